//! The SQLite backend (the default), on rusqlite. Statements run inline on the calling
//! thread with cached prepared statements. A point read costs microseconds, and handing it to
//! another thread would cost more than the query. Writes go through one connection in
//! `BEGIN IMMEDIATE` transactions, so writers never race inside a process, and the busy
//! timeout covers a second process on the same file. Reads use a small pool of connections in
//! WAL mode.

mod accounts;
mod broadcast;
mod console;
mod content;
mod coupon;
mod conversations;
mod followers;
mod group;
mod jobs;
mod ledger;
mod members;
mod miniprogram;
mod pay;
mod redpack;
mod settings;
mod tags;
mod tokens;
mod users;
mod auth;
mod fault;
mod web;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::{Result, StoreError};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, "live tokens", include_str!("../../migrations/sqlite/0002_live_tokens.sql")),
    (3, "conversations", include_str!("../../migrations/sqlite/0003_conversations.sql")),
    (4, "ready jobs", include_str!("../../migrations/sqlite/0004_ready_jobs.sql")),
    (5, "broadcast", include_str!("../../migrations/sqlite/0005_broadcast.sql")),
    (6, "web", include_str!("../../migrations/sqlite/0006_web.sql")),
    (7, "ledger", include_str!("../../migrations/sqlite/0007_ledger.sql")),
    (8, "pay", include_str!("../../migrations/sqlite/0008_pay.sql")),
    (9, "redpack", include_str!("../../migrations/sqlite/0009_redpack.sql")),
    (10, "coupons", include_str!("../../migrations/sqlite/0010_coupons.sql")),
    (11, "lean job index", include_str!("../../migrations/sqlite/0011_lean_job_index.sql")),
    (12, "coupon callbacks", include_str!("../../migrations/sqlite/0012_coupon_callbacks.sql")),
    (13, "bills", include_str!("../../migrations/sqlite/0013_bills.sql")),
    (14, "job payloads", include_str!("../../migrations/sqlite/0014_job_payloads.sql")),
    (15, "job chains", include_str!("../../migrations/sqlite/0015_job_chains.sql")),
    (16, "pulled jobs", include_str!("../../migrations/sqlite/0016_pulled_jobs.sql")),
    (17, "lean attempts", include_str!("../../migrations/sqlite/0017_lean_attempts.sql")),
    (18, "conversation keys", include_str!("../../migrations/sqlite/0018_conversation_keys.sql")),
    (19, "ready jobs table", include_str!("../../migrations/sqlite/0019_ready_jobs.sql")),
    (20, "merchant h5 domain", include_str!("../../migrations/sqlite/0020_merchant_h5_domain.sql")),
    (21, "user logins", include_str!("../../migrations/sqlite/0021_user_logins.sql")),
    (22, "faults", include_str!("../../migrations/sqlite/0022_faults.sql")),
    (23, "request log", include_str!("../../migrations/sqlite/0023_request_log.sql")),
    (24, "owner logins", include_str!("../../migrations/sqlite/0024_owner_logins.sql")),
    (25, "ip allow list", include_str!("../../migrations/sqlite/0025_ip_allow_list.sql")),
    (26, "mini programs", include_str!("../../migrations/sqlite/0026_miniprograms.sql")),
    (27, "account introductions", include_str!("../../migrations/sqlite/0027_account_intro.sql")),
    (28, "qr scans", include_str!("../../migrations/sqlite/0028_qr_scans.sql")),
    (29, "console members", include_str!("../../migrations/sqlite/0029_console_members.sql")),
    (30, "quick replies", include_str!("../../migrations/sqlite/0030_quick_replies.sql")),
    (31, "account daily", include_str!("../../migrations/sqlite/0031_account_daily.sql")),
];
const MAX_IDLE_READERS: usize = 16;

pub struct SqliteStore {
    target: String,
    flags: OpenFlags,
    memory: bool,
    write: Arc<Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    /// Grouped writes waiting for, or in, the next shared transaction.
    group: group::Group,
    /// Dropped with the store, which tells the checkpointer thread to finish.
    _checkpointer: Option<Checkpointer>,
}

/// How often the checkpointer copies the write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Moves WAL checkpoints off the write path. SQLite's automatic checkpoint runs inside the
/// commit that crosses 1,000 WAL pages, so that request's writer copies pages and waits for
/// fsync while holding the write lock, and every other writer in the process waits behind it
/// (under the payments benchmark the two cores sat idle 11% of the time). Here the writer
/// connection never checkpoints; every `CHECKPOINT_EVERY` this thread runs a PASSIVE
/// checkpoint on its own connection, which copies the log and syncs without holding the write
/// lock. Writers keep appending meanwhile, and SQLite restarts the log only when a write
/// transaction begins with all of it copied: a second pass, holding the process's write mutex,
/// copies the frames written during the first, so the next writer restarts the log. Without
/// it the log grew by every write (1.2 GB over 30,000 orders). That pass stalls every writer
/// for as long as it copies (a median 16 ms under the delivery benchmark, where it ran after
/// every unlocked pass and held the mutex 11% of the time), so it runs only once the log holds
/// `RESTART_AFTER_BYTES`: the log then restarts a few times less often and its file grows to
/// about that size (128 MiB) under writes that never pause; an idle moment restarts it sooner.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How large the log may grow before the checkpointer stalls writers to let SQLite restart it.
const RESTART_AFTER_BYTES: i64 = 128 << 20;

/// `PRAGMA wal_checkpoint(mode)`: how many frames the log held when it started.
fn checkpoint(conn: &Connection, mode: &str) -> i64 {
    match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get::<_, i64>(1)) {
        Ok(log) => log,
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            0
        }
    }
}

impl Checkpointer {
    /// `restart_after` is in frames (pages) of the log.
    fn start(conn: Connection, writer: Arc<Mutex<Connection>>, restart_after: i64) -> std::io::Result<Self> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("herald-sqlite-checkpoint".into()).spawn(move || loop {
            let last = matches!(stopped.recv_timeout(CHECKPOINT_EVERY), Err(std::sync::mpsc::RecvTimeoutError::Disconnected));
            if last {
                checkpoint(&conn, "TRUNCATE");
                return;
            }
            if checkpoint(&conn, "PASSIVE") > restart_after {
                let _writing = lock(&writer);
                checkpoint(&conn, "PASSIVE");
            }
        })?;
        Ok(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()))
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `sqlite://path`, `sqlite:path`, `sqlite::memory:` → (file name or URI, in memory?).
fn parse_url(url: &str) -> (String, bool) {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        (format!("file:herald-mem-{}-{n}?mode=memory&cache=shared", std::process::id()), true)
    } else {
        (path.to_string(), false)
    }
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, RESTART_AFTER_BYTES)
    }

    /// `connect`, the checkpointer letting the log restart once it holds `restart_after` bytes.
    fn connect_with(url: &str, restart_after: i64) -> Result<Self> {
        let (target, memory) = parse_url(url);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let write = Arc::new(Mutex::new(Self::open(&target, flags, memory, true)?));
        let checkpointer = if memory {
            None
        } else {
            let page: i64 = {
                let w = lock(&write);
                w.pragma_update(None, "wal_autocheckpoint", 0)?;
                w.query_row("PRAGMA page_size", [], |r| r.get(0))?
            };
            let conn = Self::open(&target, flags, memory, false)?;
            Some(Checkpointer::start(conn, write.clone(), restart_after / page.max(512)).map_err(|e| StoreError::Other(format!("cannot start the checkpointer: {e}")))?)
        };
        Ok(SqliteStore { target, flags, memory, write, readers: Mutex::new(Vec::new()), group: group::Group::default(), _checkpointer: checkpointer })
    }

    fn open(target: &str, flags: OpenFlags, memory: bool, writer: bool) -> Result<Connection> {
        let c = Connection::open_with_flags(target, flags)?;
        c.busy_timeout(Duration::from_secs(10))?;
        if writer && !memory {
            c.pragma_update(None, "journal_mode", "WAL")?;
        }
        c.pragma_update(None, "synchronous", "NORMAL")?;
        if !memory {
            // Map the file instead of read()ing pages, and keep a larger page cache per connection.
            c.pragma_update(None, "mmap_size", 1i64 << 30)?;
            c.pragma_update(None, "cache_size", -16_000i64)?;
        }
        c.pragma_update(None, "foreign_keys", "ON")?;
        c.set_prepared_statement_cache_capacity(128);
        Ok(c)
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    pub async fn migrate(&self) -> Result<()> {
        let mut conn = lock(&self.write);
        // Migration 0018 fills in the conversation keys of existing messages with this.
        conn.create_scalar_function("herald_conversation_key", 2, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |f| {
            Ok(crate::conversation_key(&f.get::<String>(0)?, &f.get::<String>(1)?))
        })?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS _herald_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL)",
        )?;
        for (version, description, sql) in MIGRATIONS {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let done: bool = tx.query_row("SELECT COUNT(*) > 0 FROM _herald_migrations WHERE version = ?1", [version], |r| r.get(0))?;
            if !done {
                tx.execute_batch(sql)?;
                tx.execute("INSERT INTO _herald_migrations (version, description) VALUES (?1, ?2)", rusqlite::params![version, description])?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    /// Runs `f` on a reader connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => Self::open(&self.target, self.flags, self.memory, false)?,
        };
        let out = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` in an immediate write transaction, committed if `f` succeeds.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.write);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Next value of a named counter shared by every node.
fn next_counter(tx: &Transaction<'_>, name: &str) -> Result<i64> {
    Ok(tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )?
    .query_row([name], |r| r.get(0))?)
}

fn bad_value(what: &str, v: &str) -> StoreError {
    StoreError::Other(format!("unexpected {what} {v:?} in the database"))
}

/// Reads column `idx` as text and parses it with `f`, failing as a conversion error.
fn parsed<T>(r: &rusqlite::Row<'_>, idx: usize, f: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    f(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, format!("unexpected value {s:?}").into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under writes that never pause, the checkpointer still lets SQLite restart the log once
    /// it passes its limit (here 1 MiB): it stays a small fraction of what was
    /// written to it (without the locked pass it held every frame ever written).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_stays_bounded_under_continuous_writes() {
        let path = std::env::temp_dir().join(format!("herald-ckpt-{}-{}.db", std::process::id(), rand::random::<u32>()));
        let store = SqliteStore::connect_with(&format!("sqlite://{}", path.display()), 1 << 20).unwrap();
        store.write(|tx| Ok(tx.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB NOT NULL)")?)).unwrap();
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let start = std::time::Instant::now();
        let mut commits = 0u64;
        let mut largest = 0;
        while start.elapsed() < Duration::from_millis(2500) {
            store
                .write(|tx| {
                    let k = format!("{:032x}", rand::random::<u128>());
                    tx.prepare_cached("INSERT INTO t (k, v) VALUES (?1, zeroblob(300))")?.execute([k])?;
                    Ok(())
                })
                .unwrap();
            commits += 1;
            if commits.is_multiple_of(100) {
                largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
            }
        }
        // Each commit appends at least one page (4 KiB or more) to the log.
        assert!(commits > 1000, "only {commits} commits");
        assert!(largest < commits * 4096 / 2, "the log reached {largest} bytes after {commits} commits");
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
