// SettingsStore: key/value settings and the shared clock.

#[async_trait::async_trait]
impl crate::SettingsStore for Backend {
    async fn setting(&self, key: &str) -> crate::Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.0))
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> crate::Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(self.writer())
            .await?;
        let (v,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(self.writer())
            .await?;
        Ok(v)
    }

    async fn clock(&self) -> crate::Result<Option<herald_domain::time::ClockState>> {
        let row: Option<(bool, i64, Option<i64>)> =
            sqlx::query_as("SELECT simulated, offset_secs, frozen_at FROM clock WHERE id = 1")
                .fetch_optional(self.reader())
                .await?;
        Ok(row.map(|(simulated, offset, frozen_at)| {
            if simulated {
                herald_domain::time::ClockState::Simulated { offset, frozen_at }
            } else {
                herald_domain::time::ClockState::Real
            }
        }))
    }

    async fn set_clock(&self, state: herald_domain::time::ClockState) -> crate::Result<()> {
        use herald_domain::time::ClockState;
        let (simulated, offset, frozen_at) = match state {
            ClockState::Real => (false, 0, None),
            ClockState::Simulated { offset, frozen_at } => (true, offset, frozen_at),
        };
        sqlx::query(
            "INSERT INTO clock (id, simulated, offset_secs, frozen_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET simulated = excluded.simulated, \
             offset_secs = excluded.offset_secs, frozen_at = excluded.frozen_at",
        )
        .bind(simulated)
        .bind(offset)
        .bind(frozen_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
