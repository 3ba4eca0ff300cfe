//! SettingsStore on SQLite.

use async_trait::async_trait;
use herald_domain::time::ClockState;
use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::Result;

#[async_trait]
impl crate::SettingsStore for SqliteStore {
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
        })
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        self.write(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING", [key, value])?;
            Ok(tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))?)
        })
    }

    async fn clock(&self) -> Result<Option<ClockState>> {
        self.read(|c| {
            let row: Option<(bool, i64, Option<i64>)> = c
                .prepare_cached("SELECT simulated, offset_secs, frozen_at FROM clock WHERE id = 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            Ok(row.map(|(simulated, offset, frozen_at)| {
                if simulated {
                    ClockState::Simulated { offset, frozen_at }
                } else {
                    ClockState::Real
                }
            }))
        })
    }

    async fn set_clock(&self, state: ClockState) -> Result<()> {
        let (simulated, offset, frozen_at) = match state {
            ClockState::Real => (false, 0, None),
            ClockState::Simulated { offset, frozen_at } => (true, offset, frozen_at),
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO clock (id, simulated, offset_secs, frozen_at) VALUES (1, ?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET simulated = excluded.simulated, \
                 offset_secs = excluded.offset_secs, frozen_at = excluded.frozen_at",
                rusqlite::params![simulated, offset, frozen_at],
            )?;
            Ok(())
        })
    }
}
