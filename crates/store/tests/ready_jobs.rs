//! The ready jobs (migration 0019): leases move from `jobs` into `ready_jobs`, which holds
//! only the pending job at the head of each queue. Jobs left pending by the version before it
//! keep their place: the claimable ones keep their attempts, due time, pull and lease; the
//! waiting ones stay behind the job before them. SQLite always, PostgreSQL whenever
//! `HERALD_TEST_PG` is reachable.

mod common;

use common::*;
use herald_store::*;
use herald_wire::AppId;

/// Jobs as the older version left them, as (id, user, state, attempts, run_at, blocked,
/// next_id, locked_by, locked_until, pulled_ms):
/// 1 is done; 2 runs under w-old's lease with 3 waiting behind it; 4 is ready, never tried,
/// due later; 5 waits for a retry that a clock advance pulled forward while it ran; 6 failed.
type OldJob = (i64, Option<&'static str>, &'static str, i64, i64, i64, Option<i64>, Option<&'static str>, Option<i64>, i64);
const OLD_JOBS: &[OldJob] = &[
    (1, Some("a"), "done", 1, 100, 0, None, None, None, 0),
    (2, Some("a"), "pending", 2, 100, 0, Some(3), Some("w-old"), Some(50_000), 0),
    (3, Some("a"), "pending", 0, 100, 1, None, None, None, 0),
    (4, Some("b"), "pending", 0, 9_000, 0, None, None, None, 0),
    (5, None, "pending", 1, 7_000, 0, None, None, None, 2_000),
    (6, Some("c"), "failed", 3, 100, 0, None, None, None, 0),
];

/// `ready_jobs` after the migration: (job_id, run_at, attempts, pulled_ms, locked_by, locked_until).
type Ready = (i64, i64, i64, i64, Option<String>, Option<i64>);
fn expected_ready() -> Vec<Ready> {
    vec![
        (2, 100, 2, 0, Some("w-old".into()), Some(50_000)),
        (4, 9_000, 0, 0, None, None),
        (5, 7_000, 1, 2_000, None, None),
    ]
}

const INSERT_OLD: &str = "INSERT INTO jobs (id, kind, appid, user_id, state, attempts, run_at, created_at, blocked, next_id, locked_by, locked_until, pulled_ms) \
                          VALUES ($1, 'callback', 'wxready', $2, $3, $4, $5, 0, $6, $7, $8, $9, $10)";
const READY: &str = "SELECT job_id, run_at, attempts, pulled_ms, locked_by, locked_until FROM ready_jobs ORDER BY job_id";
const GONE_COLUMNS: [&str; 4] = ["blocked", "locked_by", "locked_until", "pulled_ms"];

#[tokio::test]
async fn the_migration_keeps_pending_jobs_and_their_leases_on_sqlite() {
    let path = std::env::temp_dir().join(format!("herald-ready-{}.db", rand_suffix()));
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE _herald_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL)").unwrap();
        // Up to 0017 by hand (0018 needs a function the store registers); the store runs the rest.
        for (i, sql) in migrations_before("sqlite", "0018").iter().enumerate() {
            c.execute_batch(sql).unwrap();
            c.execute("INSERT INTO _herald_migrations (version, description) VALUES (?1, 'old')", [i as i64 + 1]).unwrap();
        }
        for &(id, user, state, attempts, run_at, blocked, next, by, until, pulled) in OLD_JOBS {
            c.execute(&INSERT_OLD.replace('$', "?"), rusqlite::params![id, user, state, attempts, run_at, blocked, next, by, until, pulled])
                .unwrap();
            c.execute("INSERT INTO job_payloads (job_id, payload) VALUES (?1, '<xml/>')", [id]).unwrap();
        }
    }
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        let got: Vec<Ready> = c
            .prepare(READY)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got, expected_ready());
        let columns: Vec<String> = c.prepare("SELECT name FROM pragma_table_info('jobs')").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        for gone in GONE_COLUMNS {
            assert!(!columns.iter().any(|c| c == gone), "jobs still has {gone}");
        }
    }
    // The queue goes on from there: w-old's lease holds until it ends; a pulled retry keeps its pull.
    let ids = |jobs: Vec<Job>| jobs.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>();
    assert_eq!(ids(store.claim_jobs("w", 8_000, 30_000, 10).await.unwrap()), vec![(5, 2)]);
    let attempt = |job: i64| Attempt {
        id: 0,
        job_id: job,
        appid: AppId("wxready".into()),
        attempt: 3,
        url: "http://dev/wx".into(),
        request: "<xml/>".into(),
        status: Some(200),
        response: None,
        latency_ms: 1,
        error: None,
        at: 50_001,
    };
    assert!(store.finish_job(2, "w-old", &attempt(2), &JobOutcome::Done { reply: None }, 10_000).await.unwrap(), "the old lease still holds");
    assert_eq!(store.job(2).await.unwrap().unwrap().attempts, 2);
    assert_eq!(ids(store.claim_jobs("w", 10_000, 30_000, 10).await.unwrap()), vec![(3, 1), (4, 1)], "3 was handed on");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn the_migration_keeps_pending_jobs_and_their_leases_on_postgres() {
    let Some(pool) = postgres_before("0019").await else { return };
    for &(id, user, state, attempts, run_at, blocked, next, by, until, pulled) in OLD_JOBS {
        sqlx::query(INSERT_OLD)
            .bind(id)
            .bind(user)
            .bind(state)
            .bind(attempts)
            .bind(run_at)
            .bind(blocked as i16)
            .bind(next)
            .bind(by)
            .bind(until)
            .bind(pulled)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::raw_sql(&migration("postgres", "0019_ready_jobs.sql")).execute(&pool).await.unwrap();
    let got: Vec<Ready> = sqlx::query_as(READY).fetch_all(&pool).await.unwrap();
    assert_eq!(got, expected_ready());
    let columns: Vec<(String,)> =
        sqlx::query_as("SELECT column_name::TEXT FROM information_schema.columns WHERE table_name = 'jobs'").fetch_all(&pool).await.unwrap();
    for gone in GONE_COLUMNS {
        assert!(!columns.iter().any(|(c,)| c == gone), "jobs still has {gone}");
    }
    pool.close().await;
}
