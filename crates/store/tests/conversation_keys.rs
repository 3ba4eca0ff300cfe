//! Conversation keys (migration 0018): messages stored before the migration get the key the
//! code computes, so their conversations still read back whole; and PostgreSQL's migration
//! computes the same key as the code.

mod common;

use common::migration;
use herald_store::*;
use herald_wire::{AppId, UserId};

#[tokio::test]
async fn sqlite_messages_stored_before_the_keys_keep_their_conversations() {
    let path = std::env::temp_dir().join(format!("herald-keys-{}.db", common::rand_suffix()));
    // A database as the version before migration 0018 left it, with two conversations' messages.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        // The messages below belong to no stored account or user.
        c.pragma_update(None, "foreign_keys", "OFF").unwrap();
        c.execute_batch("CREATE TABLE _herald_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL)").unwrap();
        let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/sqlite", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.as_str() < "0018")
            .collect();
        names.sort();
        assert_eq!(names.len(), 17);
        for (i, name) in names.iter().enumerate() {
            c.execute_batch(&migration("sqlite", name)).unwrap();
            c.execute("INSERT INTO _herald_migrations (version, description) VALUES (?1, ?2)", rusqlite::params![i as i64 + 1, name]).unwrap();
        }
        for (seq, user) in [(1, "u_one"), (2, "u_two"), (3, "u_one")] {
            c.execute(
                "INSERT INTO messages (seq, appid, user_id, openid, direction, source, msg_type, body, created_at) \
                 VALUES (?1, 'wx_keys', ?2, 'o_x', 'in', 'user', 'text', '{}', 0)",
                rusqlite::params![seq, user],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate().await.unwrap();
    let appid = AppId("wx_keys".into());
    let one = store.conversation(&appid, &UserId("u_one".into()), 0, 10, true).await.unwrap();
    assert_eq!(one.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 3]);
    let two = store.conversation(&appid, &UserId("u_two".into()), 0, 10, true).await.unwrap();
    assert_eq!(two.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2]);
    let (last, unread) = store.chat_tail(&appid, &UserId("u_one".into()), 0).await.unwrap();
    assert_eq!((last.map(|m| m.seq), unread), (Some(3), 0));
    drop(store);
    let c = rusqlite::Connection::open(&path).unwrap();
    let keys: Vec<(String, i64)> =
        c.prepare("SELECT user_id, conversation_key FROM messages ORDER BY seq").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect();
    for (user, key) in keys {
        assert_eq!(key, conversation_key("wx_keys", &user));
    }
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn postgres_migration_computes_the_codes_key() {
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    let Ok(Ok(pool)) = tokio::time::timeout(std::time::Duration::from_secs(3), sqlx::PgPool::connect(&base)).await else {
        eprintln!("PostgreSQL not reachable at {base}: skipped");
        return;
    };
    // The expression the migration fills existing rows with.
    let sql = migration("postgres", "0018_conversation_keys.sql");
    let expr = sql.split("SET conversation_key = ").nth(1).and_then(|s| s.split(';').next()).expect("the backfill's expression");
    for (appid, user) in [("wx1234567890abcdef", "u_abc"), ("wxd8705a5ce5225f80", "u_zxb3iohkwai5d639"), ("wx_ü", "u_✓")] {
        let (key,): (i64,) = sqlx::query_as(&format!("SELECT {expr} FROM (SELECT $1::TEXT AS appid, $2::TEXT AS user_id) AS m"))
            .bind(appid)
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(key, conversation_key(appid, user), "{appid} {user}");
    }
}
