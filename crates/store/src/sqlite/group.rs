//! Group commit for small, independent writes that many requests make at once (a payment
//! request's nonce, an order). A writer queues its work and waits; whichever writer finds no
//! batch under way leads: it runs every queued write in one `BEGIN IMMEDIATE` transaction,
//! each inside its own savepoint, commits once, and only then hands each writer its result.
//! Writes that arrive while a batch runs form the next one, which the same leader runs. A new
//! leader first yields once, so that writes from tasks already runnable join its batch.
//!
//! Each write sees the ones before it in the batch exactly as if they had committed just
//! before it, so the outcome is that of running them one after another; a write that fails
//! is rolled back to its savepoint and fails alone. What one write costs SQLite per commit
//! (the log header, the file's size in page 1, the tail pages of append-only tables and
//! indexes) is paid once per batch, and a writer waiting for its batch does not hold a
//! thread: its task yields, and the thread serves other requests meanwhile.

use std::sync::Mutex;

use rusqlite::{Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use super::{lock, SqliteStore};
use crate::{Result, StoreError};

/// Hands a write its result once the batch's commit succeeded or failed.
type Finish = Box<dyn FnOnce(std::result::Result<(), &StoreError>) + Send>;
/// A queued write, run inside the batch's transaction (or told that it could not begin).
/// Besides its `Finish` it tells whether the transaction is still sound: false when undoing
/// its own savepoint failed, which dooms the whole batch.
type Op = Box<dyn FnOnce(std::result::Result<&Transaction<'_>, &StoreError>) -> (Finish, bool) + Send>;

#[derive(Default)]
pub(super) struct Group {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    ops: Vec<Op>,
    leading: bool,
}

/// Gives up the leader's role if a write panics, so the next writer leads instead. (A leader
/// that returns gives it up itself, under the same lock that finds the queue empty: a guard
/// doing it afterwards could clear the role of a writer that took it meanwhile.)
struct Leading<'a>(&'a Mutex<Queue>);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).leading = false;
        }
    }
}

/// Runs the queued batches when dropped: at the end of the leader's yield, or when the
/// leader's task is cancelled during it.
struct LeadOnDrop<'a>(&'a SqliteStore);

impl Drop for LeadOnDrop<'_> {
    fn drop(&mut self) {
        self.0.lead_batches();
    }
}

/// Runs `f` inside a savepoint: kept if it succeeds, undone if it fails. The flag is false if
/// the savepoint itself could not be managed.
fn in_savepoint<T>(tx: &Transaction<'_>, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> (Result<T>, bool) {
    if let Err(e) = tx.prepare_cached("SAVEPOINT grouped").and_then(|mut s| s.execute([])) {
        return (Err(e.into()), true);
    }
    let out = f(tx);
    let closed = if out.is_ok() {
        tx.prepare_cached("RELEASE grouped").and_then(|mut s| s.execute([]))
    } else {
        tx.prepare_cached("ROLLBACK TO grouped")
            .and_then(|mut s| s.execute([]))
            .and_then(|_| tx.prepare_cached("RELEASE grouped").and_then(|mut s| s.execute([])))
    };
    match closed {
        Ok(_) => (out, true),
        Err(e) => (Err(e.into()), false),
    }
}

impl SqliteStore {
    /// Runs `f` in a transaction shared with the other grouped writes queued meanwhile; its
    /// result once that transaction has committed.
    pub(super) async fn write_grouped<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (done, result) = oneshot::channel::<Result<T>>();
        let op: Op = Box::new(move |tx| match tx {
            Err(e) => {
                let e = e.clone();
                let finish: Finish = Box::new(move |_| {
                    let _ = done.send(Err(e));
                });
                (finish, true)
            }
            Ok(tx) => {
                let (out, sound) = in_savepoint(tx, f);
                let finish: Finish = Box::new(move |committed| {
                    let _ = done.send(match committed {
                        Ok(()) => out,
                        Err(e) => Err(e.clone()),
                    });
                });
                (finish, sound)
            }
        });
        let lead = {
            let mut q = lock(&self.group.queue);
            q.ops.push(op);
            !std::mem::replace(&mut q.leading, true)
        };
        if lead {
            // Let the tasks already runnable on this thread go first: under load they queue
            // their own writes meanwhile and share this batch (about a dozen writes a batch
            // instead of two in the payments benchmark). When nothing else is runnable this
            // returns at once. The batches run when `LeadOnDrop` drops, so a caller cancelled
            // during the yield still leads instead of leaving the queue without a leader.
            let lead = LeadOnDrop(self);
            tokio::task::yield_now().await;
            drop(lead);
        }
        result.await.map_err(|_| StoreError::Other("the grouped write was dropped before it ran".into()))?
    }

    /// Runs batches until none is queued.
    fn lead_batches(&self) {
        let _leading = Leading(&self.group.queue);
        loop {
            let ops = {
                let mut q = lock(&self.group.queue);
                if q.ops.is_empty() {
                    q.leading = false;
                    return;
                }
                std::mem::take(&mut q.ops)
            };
            let mut conn = lock(&self.write);
            let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => tx,
                Err(e) => {
                    let e = StoreError::from(e);
                    for op in ops {
                        let (finish, _) = op(Err(&e));
                        finish(Err(&e));
                    }
                    continue;
                }
            };
            let mut sound = true;
            let finishes: Vec<Finish> = ops
                .into_iter()
                .map(|op| {
                    let (finish, ok) = op(Ok(&tx));
                    sound &= ok;
                    finish
                })
                .collect();
            let committed = if sound {
                tx.commit().map_err(StoreError::from)
            } else {
                drop(tx);
                Err(StoreError::Other("a grouped write could not be undone; its batch was rolled back".into()))
            };
            drop(conn);
            for finish in finishes {
                finish(committed.as_ref().map(|_| ()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    async fn until(what: impl Fn() -> bool) {
        for _ in 0..2_000 {
            if what() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("timed out");
    }

    // The test holds the write lock across awaits on purpose: it keeps the batch from starting
    // until the writers it wants in it have queued.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_fails_alone_and_its_batch_commits() {
        let store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        lock(&store.write).execute_batch("CREATE TABLE grouped_t (v INTEGER NOT NULL UNIQUE)").unwrap();
        let write = |vs: Vec<i64>| {
            let s = store.clone();
            tokio::spawn(async move {
                s.write_grouped(move |tx| {
                    for v in &vs {
                        tx.execute("INSERT INTO grouped_t (v) VALUES (?1)", [v])?;
                    }
                    Ok(vs.len())
                })
                .await
            })
        };
        // While the write lock is held no batch can begin: the first writer leads and waits
        // with its own write; the next three queue behind it and form one batch.
        let held = lock(&store.write);
        let a = write(vec![1]);
        until(|| {
            let q = lock(&store.group.queue);
            q.leading && q.ops.is_empty()
        })
        .await;
        let b = write(vec![2]);
        until(|| lock(&store.group.queue).ops.len() == 1).await;
        // Inserts 3, then 2 again, which b inserted earlier in the same transaction.
        let c = write(vec![3, 2]);
        until(|| lock(&store.group.queue).ops.len() == 2).await;
        let d = write(vec![4]);
        until(|| lock(&store.group.queue).ops.len() == 3).await;
        drop(held);
        assert_eq!(a.await.unwrap().unwrap(), 1);
        assert_eq!(b.await.unwrap().unwrap(), 1);
        assert!(matches!(c.await.unwrap(), Err(StoreError::Conflict(_))));
        assert_eq!(d.await.unwrap().unwrap(), 1);
        let rows: Vec<i64> = store.read(|c| {
            let mut st = c.prepare("SELECT v FROM grouped_t ORDER BY v")?;
            let rows = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(rows)
        })
        .unwrap();
        assert_eq!(rows, vec![1, 2, 4], "c's first insert is undone with it; the others are kept");
        let q = lock(&store.group.queue);
        assert!(!q.leading && q.ops.is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_leader_cancelled_during_its_yield_still_runs_the_batch() {
        let store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        lock(&store.write).execute_batch("CREATE TABLE grouped_c (v INTEGER NOT NULL)").unwrap();
        let insert = |v: i64| {
            let s = store.clone();
            async move { s.write_grouped(move |tx| Ok(tx.execute("INSERT INTO grouped_c (v) VALUES (?1)", [v])?)).await }
        };
        let a = tokio::spawn(insert(1));
        // On this one thread, a runs up to its own yield: it leads, and its write is queued.
        tokio::task::yield_now().await;
        {
            let q = lock(&store.group.queue);
            assert!(q.leading && q.ops.len() == 1, "a is in its yield");
        }
        a.abort();
        assert!(a.await.unwrap_err().is_cancelled());
        let b = tokio::time::timeout(Duration::from_secs(5), insert(2)).await.expect("the next writer was left without a leader");
        assert_eq!(b.unwrap(), 1);
        let rows: Vec<i64> = store.read(|c| {
            let mut st = c.prepare("SELECT v FROM grouped_c ORDER BY v")?;
            let rows = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(rows)
        })
        .unwrap();
        assert_eq!(rows, vec![1, 2], "the cancelled leader's write ran with its batch");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_each_get_their_own_result() {
        let store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
        lock(&store.write).execute_batch("CREATE TABLE grouped_n (k INTEGER PRIMARY KEY)").unwrap();
        // Each key is written twice; exactly one of each pair inserts it.
        let tasks: Vec<_> = (0..400i64)
            .map(|i| {
                let s = store.clone();
                tokio::spawn(async move {
                    let k = i % 200;
                    let fresh = s.write_grouped(move |tx| Ok(tx.execute("INSERT INTO grouped_n (k) VALUES (?1) ON CONFLICT DO NOTHING", [k])? == 1)).await;
                    (k, fresh.unwrap())
                })
            })
            .collect();
        let mut fresh = vec![0; 200];
        for t in tasks {
            let (k, f) = t.await.unwrap();
            fresh[k as usize] += i32::from(f);
        }
        assert!(fresh.iter().all(|&n| n == 1), "{fresh:?}");
        let n: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM grouped_n", [], |r| r.get(0))?)).unwrap();
        assert_eq!(n, 200);
    }
}
