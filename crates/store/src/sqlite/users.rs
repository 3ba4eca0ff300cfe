//! UserStore on SQLite.

use async_trait::async_trait;
use herald_domain::profile::Profile;
use herald_wire::UserId;
use rusqlite::{OptionalExtension, Row};

use super::SqliteStore;
use crate::{Result, User};

fn user(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User { id: UserId(r.get(0)?), nickname: r.get(1)?, created_at: r.get(2)?, profile: Profile::from_json(&r.get::<_, String>(3)?) })
}

#[async_trait]
impl crate::UserStore for SqliteStore {
    async fn insert_user(&self, u: &User) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO users (id, nickname, created_at, profile) VALUES (?1, ?2, ?3, ?4)")?
                .execute(rusqlite::params![u.id.as_str(), u.nickname, u.created_at, u.profile.to_json()])?;
            Ok(())
        })
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT id, nickname, created_at, profile FROM users WHERE id = ?1")?
                .query_row([id.as_str()], user)
                .optional()?)
        })
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id, nickname, created_at, profile FROM users ORDER BY created_at, id")?;
            let rows = st.query_map([], user)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
