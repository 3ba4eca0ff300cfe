//! FaultStore on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::fault::StoredFault;
use crate::Result;

#[async_trait]
impl crate::FaultStore for SqliteStore {
    async fn add_fault(&self, spec: &str, remaining: Option<i64>, now: i64) -> Result<i64> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO faults (spec, remaining, created_at) VALUES (?1, ?2, ?3)")?.execute(params![spec, remaining, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    async fn faults(&self) -> Result<Vec<StoredFault>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id, spec, remaining, created_at FROM faults WHERE remaining IS NULL OR remaining > 0 ORDER BY id")?;
            let rows = st.query_map([], |r| Ok(StoredFault { id: r.get(0)?, spec: r.get(1)?, remaining: r.get(2)?, created_at: r.get(3)? }))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn delete_fault(&self, id: i64) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("DELETE FROM faults WHERE id = ?1")?.execute([id])? > 0))
    }

    async fn clear_faults(&self) -> Result<u64> {
        self.write(|tx| Ok(tx.prepare_cached("DELETE FROM faults")?.execute([])? as u64))
    }

    async fn take_fault(&self, id: i64) -> Result<bool> {
        self.write(|tx| Ok(tx.prepare_cached("UPDATE faults SET remaining = remaining - 1 WHERE id = ?1 AND remaining > 0")?.execute([id])? > 0))
    }
}

#[async_trait]
impl crate::fault::ResetStore for SqliteStore {
    async fn wipe(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let tables: Vec<String> = tx
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for t in tables.iter().filter(|t| !crate::fault::KEPT_TABLES.contains(&t.as_str())) {
                tx.execute(&format!("DELETE FROM \"{}\"", t.replace('"', "\"\"")), [])?;
            }
            let sequences: bool = tx.query_row("SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'sqlite_sequence'", [], |r| r.get(0))?;
            if sequences {
                tx.execute("DELETE FROM sqlite_sequence", [])?;
            }
            for k in crate::fault::FORGOTTEN_SETTINGS {
                tx.execute("DELETE FROM settings WHERE key = ?1", [k])?;
            }
            Ok(())
        })
    }
}
