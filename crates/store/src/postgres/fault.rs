// FaultStore: fault rules shared by every node.

#[async_trait::async_trait]
impl crate::FaultStore for Backend {
    async fn add_fault(&self, spec: &str, remaining: Option<i64>, now: i64) -> crate::Result<i64> {
        let r = sqlx::query("INSERT INTO faults (spec, remaining, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(spec)
            .bind(remaining)
            .bind(now)
            .fetch_one(self.writer())
            .await?;
        Ok(r.try_get(0)?)
    }

    async fn faults(&self) -> crate::Result<Vec<crate::fault::StoredFault>> {
        let rows = sqlx::query("SELECT id, spec, remaining, created_at FROM faults WHERE remaining IS NULL OR remaining > 0 ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok(crate::fault::StoredFault { id: r.try_get(0)?, spec: r.try_get(1)?, remaining: r.try_get(2)?, created_at: r.try_get(3)? }))
            .collect()
    }

    async fn delete_fault(&self, id: i64) -> crate::Result<bool> {
        Ok(sqlx::query("DELETE FROM faults WHERE id = $1").bind(id).execute(self.writer()).await?.rows_affected() > 0)
    }

    async fn clear_faults(&self) -> crate::Result<u64> {
        Ok(sqlx::query("DELETE FROM faults").execute(self.writer()).await?.rows_affected())
    }

    async fn take_fault(&self, id: i64) -> crate::Result<bool> {
        Ok(sqlx::query("UPDATE faults SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0").bind(id).execute(self.writer()).await?.rows_affected() > 0)
    }
}

#[async_trait::async_trait]
impl crate::fault::ResetStore for Backend {
    async fn wipe(&self) -> crate::Result<()> {
        let tables: Vec<String> = sqlx::query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_all(self.writer())
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<std::result::Result<_, sqlx::Error>>()?;
        let wiped: Vec<String> = tables.iter().filter(|t| !crate::fault::KEPT_TABLES.contains(&t.as_str())).map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
        let mut tx = self.begin().await?;
        if !wiped.is_empty() {
            sqlx::query(&format!("TRUNCATE {} RESTART IDENTITY CASCADE", wiped.join(", "))).execute(&mut *tx).await?;
        }
        for k in crate::fault::FORGOTTEN_SETTINGS {
            sqlx::query("DELETE FROM settings WHERE key = $1").bind(*k).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::fault::RequestLogStore for Backend {
    async fn log_calls(&self, calls: &[crate::fault::LoggedCall], keep: i64, forget_before_ms: i64) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        for c in calls {
            sqlx::query(
                "INSERT INTO request_log (at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(c.at_ms)
            .bind(&c.appid)
            .bind(&c.mchid)
            .bind(&c.method)
            .bind(&c.path)
            .bind(c.status)
            .bind(c.errcode)
            .bind(c.latency_ms)
            .bind(&c.request)
            .bind(&c.response)
            .bind(c.fault)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM request_log WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM request_log) - $1 OR at_ms < $2")
            .bind(keep)
            .bind(forget_before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn logged_calls(&self, after: i64, appid: Option<&str>, limit: i64) -> crate::Result<Vec<crate::fault::LoggedCall>> {
        let rows = sqlx::query(
            "SELECT id, at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault FROM request_log \
             WHERE id > $1 AND ($2::text IS NULL OR appid = $2) ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(appid)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(logged_call).collect()
    }

    async fn account_calls(&self, appid: &str, before: Option<i64>, errors_only: bool, limit: i64) -> crate::Result<Vec<crate::fault::LoggedCall>> {
        let rows = sqlx::query(
            "SELECT id, at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault FROM request_log \
             WHERE appid = $1 AND ($2::BIGINT IS NULL OR id < $2) AND path NOT LIKE '/herald/%' \
               AND (NOT $3 OR COALESCE(errcode, 0) <> 0 OR status >= 400) ORDER BY id DESC LIMIT $4",
        )
        .bind(appid)
        .bind(before)
        .bind(errors_only)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(logged_call).collect()
    }
}

fn logged_call(r: &DbRow) -> crate::Result<crate::fault::LoggedCall> {
    Ok(crate::fault::LoggedCall {
        id: r.try_get(0)?,
        at_ms: r.try_get(1)?,
        appid: r.try_get(2)?,
        mchid: r.try_get(3)?,
        method: r.try_get(4)?,
        path: r.try_get(5)?,
        status: r.try_get(6)?,
        errcode: r.try_get(7)?,
        latency_ms: r.try_get(8)?,
        request: r.try_get(9)?,
        response: r.try_get(10)?,
        fault: r.try_get(11)?,
    })
}
