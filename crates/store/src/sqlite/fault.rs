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

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::fault::LoggedCall> {
    Ok(crate::fault::LoggedCall {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        appid: r.get(2)?,
        mchid: r.get(3)?,
        method: r.get(4)?,
        path: r.get(5)?,
        status: r.get(6)?,
        errcode: r.get(7)?,
        latency_ms: r.get(8)?,
        request: r.get(9)?,
        response: r.get(10)?,
        fault: r.get(11)?,
    })
}

#[async_trait]
impl crate::fault::RequestLogStore for SqliteStore {
    async fn log_calls(&self, calls: &[crate::fault::LoggedCall], keep: i64, forget_before_ms: i64) -> Result<()> {
        self.write(|tx| {
            let mut st = tx.prepare_cached(
                "INSERT INTO request_log (at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for c in calls {
                st.execute(params![c.at_ms, c.appid, c.mchid, c.method, c.path, c.status, c.errcode, c.latency_ms, c.request, c.response, c.fault])?;
            }
            tx.prepare_cached("DELETE FROM request_log WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM request_log) - ?1 OR at_ms < ?2")?.execute(params![keep, forget_before_ms])?;
            Ok(())
        })
    }

    async fn logged_calls(&self, after: i64, appid: Option<&str>, limit: i64) -> Result<Vec<crate::fault::LoggedCall>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault FROM request_log \
                 WHERE id > ?1 AND (?2 IS NULL OR appid = ?2) ORDER BY id LIMIT ?3",
            )?;
            let rows = st.query_map(params![after, appid, limit], call_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn account_calls(&self, appid: &str, before: Option<i64>, errors_only: bool, limit: i64) -> Result<Vec<crate::fault::LoggedCall>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, at_ms, appid, mchid, method, path, status, errcode, latency_ms, request, response, fault FROM request_log \
                 WHERE appid = ?1 AND (?2 IS NULL OR id < ?2) AND path NOT LIKE '/herald/%' \
                   AND (NOT ?3 OR COALESCE(errcode, 0) <> 0 OR status >= 400) ORDER BY id DESC LIMIT ?4",
            )?;
            let rows = st.query_map(params![appid, before, errors_only, limit], call_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
