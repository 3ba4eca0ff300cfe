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
