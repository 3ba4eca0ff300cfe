// AuthStore: followers' logins, failed attempts and sessions.

#[async_trait::async_trait]
impl crate::AuthStore for Backend {
    async fn create_login(&self, login: &str, user: &herald_wire::UserId, password_hash: &str, now: i64) -> crate::Result<bool> {
        let n = sqlx::query("INSERT INTO user_logins (login, user_id, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(login)
            .bind(user.as_str())
            .bind(password_hash)
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn login(&self, login: &str) -> crate::Result<Option<(herald_wire::UserId, String)>> {
        let row = sqlx::query("SELECT user_id, password_hash FROM user_logins WHERE login = $1").bind(login).fetch_optional(self.reader()).await?;
        row.map(|r| Ok((herald_wire::UserId(r.try_get(0)?), r.try_get(1)?))).transpose()
    }

    async fn login_of(&self, user: &herald_wire::UserId) -> crate::Result<Option<String>> {
        let row = sqlx::query("SELECT login FROM user_logins WHERE user_id = $1").bind(user.as_str()).fetch_optional(self.reader()).await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    async fn set_password_hash(&self, user: &herald_wire::UserId, password_hash: &str) -> crate::Result<()> {
        sqlx::query("UPDATE user_logins SET password_hash = $2 WHERE user_id = $1").bind(user.as_str()).bind(password_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn note_login_failure(&self, login: &str, now: i64, window: i64) -> crate::Result<i64> {
        let row = sqlx::query(
            "INSERT INTO login_failures (login, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (login) DO UPDATE SET \
               failures = CASE WHEN login_failures.window_start <= $2 - $3 THEN 1 ELSE login_failures.failures + 1 END, \
               window_start = CASE WHEN login_failures.window_start <= $2 - $3 THEN $2 ELSE login_failures.window_start END \
             RETURNING failures",
        )
        .bind(login)
        .bind(now)
        .bind(window)
        .fetch_one(self.writer())
        .await?;
        Ok(row.try_get(0)?)
    }

    async fn login_failures(&self, login: &str, now: i64, window: i64) -> crate::Result<i64> {
        let row = sqlx::query("SELECT failures FROM login_failures WHERE login = $1 AND window_start > $2 - $3")
            .bind(login)
            .bind(now)
            .bind(window)
            .fetch_optional(self.writer())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    async fn clear_login_failures(&self, login: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login).execute(self.writer()).await?;
        Ok(())
    }

    async fn put_user_session(&self, id_hash: &str, user: &herald_wire::UserId, now: i64, expires_at: i64, user_agent: &str) -> crate::Result<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at, user_agent) VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash)
            .bind(user.as_str())
            .bind(now)
            .bind(expires_at)
            .bind(user_agent)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn user_sessions(&self, user: &herald_wire::UserId, now: i64) -> crate::Result<Vec<crate::SessionInfo>> {
        let rows = sqlx::query(
            "SELECT id_hash, created_at, expires_at, user_agent FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash",
        )
        .bind(user.as_str())
        .bind(now)
        .fetch_all(self.writer())
        .await?;
        rows.iter()
            .map(|r| Ok(crate::SessionInfo { id_hash: r.try_get(0)?, created_at: r.try_get(1)?, expires_at: r.try_get(2)?, user_agent: r.try_get(3)? }))
            .collect()
    }

    async fn end_user_sessions(&self, user: &herald_wire::UserId, prefix: &str) -> crate::Result<u64> {
        if prefix.len() < 16 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(0);
        }
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND left(id_hash, length($2)) = $2")
            .bind(user.as_str())
            .bind(prefix)
            .execute(self.writer())
            .await?
            .rows_affected();
        Ok(n)
    }
}

#[async_trait::async_trait]
impl crate::LiveStore for Backend {
    async fn live_head(&self) -> crate::Result<crate::LiveCursor> {
        let r = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM messages)::BIGINT, (SELECT COALESCE(MAX(msg_id), 0) FROM mass_messages)::BIGINT, \
             (SELECT COALESCE(MAX(id), 0) FROM ledger_txns)::BIGINT",
        )
        .fetch_one(self.reader())
        .await?;
        Ok(crate::LiveCursor { message: r.try_get(0)?, mass: r.try_get(1)?, txn: r.try_get(2)? })
    }

    async fn live_changes(&self, from: crate::LiveCursor, lookback: i64, limit: i64) -> crate::Result<Vec<crate::LiveChange>> {
        use crate::LiveChange;
        use herald_wire::{AppId, UserId};
        let mut out = Vec::new();
        for r in sqlx::query("SELECT seq, user_id, appid, direction FROM messages WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(from.message - lookback)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        {
            let direction: String = r.try_get(3)?;
            out.push(LiveChange::Message { seq: r.try_get(0)?, user: UserId(r.try_get(1)?), appid: AppId(r.try_get(2)?), outbound: direction == "out" });
        }
        for r in sqlx::query("SELECT msg_id, appid FROM mass_messages WHERE msg_id > $1 ORDER BY msg_id LIMIT $2")
            .bind(from.mass - lookback)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        {
            out.push(LiveChange::Mass { msg_id: r.try_get(0)?, appid: AppId(r.try_get(1)?) });
        }
        for r in sqlx::query("SELECT txn_id, substr(book, 8) FROM ledger_entries WHERE txn_id > $1 AND book LIKE 'wallet:%' ORDER BY txn_id LIMIT $2")
            .bind(from.txn - lookback)
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        {
            out.push(LiveChange::Wallet { txn: r.try_get(0)?, user: UserId(r.try_get(1)?) });
        }
        Ok(out)
    }
}
