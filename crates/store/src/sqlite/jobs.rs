//! JobStore on SQLite: the durable queue and the delivery log.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};
use rusqlite::{params, OptionalExtension, Row};

use super::conversations::insert_reply;
use super::SqliteStore;
use crate::{Attempt, Finished, Job, JobOutcome, Result};

/// A job's columns, its payload included (read from `job_payloads`) and, while it is ready,
/// its attempts and due time (read from `ready_jobs`), the job's table named `t`: for
/// `SELECT ... FROM jobs`.
pub(super) fn job_cols(t: &str) -> String {
    job_cols_with(
        t,
        &format!("COALESCE((SELECT attempts FROM ready_jobs WHERE job_id = {t}.id), {t}.attempts)"),
        &format!("COALESCE((SELECT run_at FROM ready_jobs WHERE job_id = {t}.id), {t}.run_at)"),
    )
}

/// `job_cols` with the attempts and due time given as SQL expressions (the claim has them).
pub(super) fn job_cols_with(t: &str, attempts: &str, run_at: &str) -> String {
    format!(
        "{t}.id, {t}.kind, {t}.appid, {t}.user_id, {t}.message_seq, (SELECT payload FROM job_payloads WHERE job_id = {t}.id), \
         {t}.state, {attempts}, {run_at}, {t}.last_error, {t}.created_at, {t}.finished_at"
    )
}
const ATTEMPT_COLS: &str = "id, job_id, appid, attempt, url, request, status, response, latency_ms, error, at";

pub(super) fn job(r: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        kind: r.get(1)?,
        appid: AppId(r.get(2)?),
        user_id: r.get::<_, Option<String>>(3)?.map(UserId),
        message_seq: r.get(4)?,
        payload: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        run_at: r.get(8)?,
        last_error: r.get(9)?,
        created_at: r.get(10)?,
        finished_at: r.get(11)?,
    })
}

fn attempt(r: &Row<'_>) -> rusqlite::Result<Attempt> {
    Ok(Attempt {
        id: r.get(0)?,
        job_id: r.get(1)?,
        appid: AppId(r.get(2)?),
        attempt: r.get(3)?,
        url: r.get(4)?,
        request: r.get(5)?,
        status: r.get(6)?,
        response: r.get(7)?,
        latency_ms: r.get(8)?,
        error: r.get(9)?,
        at: r.get(10)?,
    })
}

#[async_trait]
impl crate::JobStore for SqliteStore {
    async fn claim_jobs(&self, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>> {
        self.write(|tx| claim(tx, worker, now_ms, lease_ms, limit))
    }

    async fn finish_jobs(&self, done: &[Finished], now_ms: i64) -> Result<Vec<bool>> {
        self.write(|tx| done.iter().map(|f| finish_one(tx, f, now_ms)).collect())
    }

    async fn finish_and_claim(&self, done: &[Finished], worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> Result<(Vec<bool>, Vec<Job>)> {
        self.write(|tx| {
            let applied = done.iter().map(|f| finish_one(tx, f, now_ms)).collect::<Result<Vec<_>>>()?;
            Ok((applied, claim(tx, worker, now_ms, lease_ms, limit)?))
        })
    }

    async fn job(&self, id: i64) -> Result<Option<Job>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {} FROM jobs WHERE id = ?1", job_cols("jobs")))?.query_row([id], job).optional()?))
    }

    async fn jobs(&self, appid: &AppId, state: Option<&str>, limit: usize) -> Result<Vec<Job>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {} FROM jobs WHERE appid = ?1 AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3",
                job_cols("jobs")
            ))?;
            let rows = st.query_map(params![appid.as_str(), state, limit as i64], job)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn attempts(&self, job_id: i64) -> Result<Vec<Attempt>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {ATTEMPT_COLS} FROM delivery_attempts WHERE job_id = ?1 ORDER BY id"))?;
            let rows = st.query_map([job_id], attempt)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn requeue(&self, job_id: i64, now_ms: i64) -> Result<bool> {
        self.write(|tx| requeue_one(tx, job_id, now_ms))
    }

    async fn pull_jobs_forward(&self, kind: &str, ms: i64) -> Result<i64> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE ready_jobs SET run_at = run_at - ?2, pulled_ms = pulled_ms + ?2 \
                 WHERE job_id IN (SELECT id FROM jobs WHERE kind = ?1 AND state = 'pending')",
            )?
            .execute(params![kind, ms])?;
            Ok(tx.prepare_cached("UPDATE jobs SET run_at = run_at - ?2 WHERE kind = ?1 AND state = 'pending'")?.execute(params![kind, ms])? as i64)
        })
    }

    async fn requeue_failed(&self, appid: &AppId, now_ms: i64) -> Result<i64> {
        self.write(|tx| {
            let failed = tx
                .prepare_cached("SELECT id FROM jobs WHERE appid = ?1 AND state = 'failed' ORDER BY id")?
                .query_map([appid.as_str()], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut n = 0;
            for id in failed {
                n += i64::from(requeue_one(tx, id, now_ms)?);
            }
            Ok(n)
        })
    }
}

/// Queues a finished job again, as a new round at the end of its queue.
fn requeue_one(tx: &rusqlite::Transaction<'_>, job_id: i64, now_ms: i64) -> Result<bool> {
    let found: Option<(String, Option<String>)> = tx
        .prepare_cached("SELECT appid, user_id FROM jobs WHERE id = ?1 AND state <> 'pending'")?
        .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((appid, user)) = found else { return Ok(false) };
    let tail = match &user {
        Some(user) => queue_tail(tx, &appid, user)?,
        None => None,
    };
    tx.prepare_cached(
        "UPDATE jobs SET state = 'pending', attempts = 0, round = round + 1, run_at = ?2, finished_at = NULL, next_id = NULL WHERE id = ?1",
    )?
    .execute(params![job_id, now_ms])?;
    join_queue(tx, job_id, now_ms, tail)?;
    Ok(true)
}

/// A job to queue.
pub(super) struct NewJob<'a> {
    pub kind: &'a str,
    pub appid: &'a str,
    /// The queue it runs in, in order, one job at a time: the conversation's user, or another
    /// queue's name; None for a job on its own.
    pub user_id: Option<&'a str>,
    pub message_seq: Option<i64>,
    pub payload: &'a str,
    pub run_at: i64,
}

/// Queues a job inside the caller's transaction: its state row and its payload. Its id.
///
/// A queue's pending jobs form a chain, each naming the next in `next_id`: the first is
/// claimable (it has a row in `ready_jobs`, which holds its lease), the others wait until
/// the one before them finishes and hands on (`hand_on`). A new job joins at the tail, so
/// handing on reads only the row after the finished one.
pub(super) fn insert_job(tx: &rusqlite::Transaction<'_>, j: &NewJob<'_>) -> Result<i64> {
    let tail = match j.user_id {
        Some(user) => queue_tail(tx, j.appid, user)?,
        None => None,
    };
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO jobs (kind, appid, user_id, message_seq, state, attempts, run_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5) RETURNING id",
        )?
        .query_row(params![j.kind, j.appid, j.user_id, j.message_seq, j.run_at], |r| r.get(0))?;
    tx.prepare_cached("INSERT INTO job_payloads (job_id, payload) VALUES (?1, ?2)")?.execute(params![id, j.payload])?;
    join_queue(tx, id, j.run_at, tail)?;
    Ok(id)
}

/// Puts a pending job at the end of its queue: behind `tail`, the queue's last pending job,
/// or, with none, among the ready jobs, due at `run_at`.
fn join_queue(tx: &rusqlite::Transaction<'_>, id: i64, run_at: i64, tail: Option<i64>) -> Result<()> {
    match tail {
        Some(tail) => tx.prepare_cached("UPDATE jobs SET next_id = ?2 WHERE id = ?1")?.execute(params![tail, id])?,
        None => tx.prepare_cached("INSERT INTO ready_jobs (job_id, run_at, attempts) VALUES (?1, ?2, 0)")?.execute(params![id, run_at])?,
    };
    Ok(())
}

/// The last pending job of a queue, if it has any (`jobs_tail` holds one per queue).
fn queue_tail(tx: &rusqlite::Transaction<'_>, appid: &str, user: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT id FROM jobs WHERE appid = ?1 AND user_id = ?2 AND state = 'pending' AND next_id IS NULL AND user_id IS NOT NULL")?
        .query_row(params![appid, user], |r| r.get(0))
        .optional()?)
}

/// Claims up to `limit` ready jobs for `worker` inside the caller's transaction.
fn claim(tx: &rusqlite::Transaction<'_>, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut ids = tx
        .prepare_cached(
            "UPDATE ready_jobs SET locked_by = ?1, locked_until = ?2, attempts = attempts + 1, pulled_ms = 0 \
             WHERE job_id IN (SELECT job_id FROM ready_jobs WHERE run_at <= ?3 AND (locked_until IS NULL OR locked_until < ?3) \
               ORDER BY job_id LIMIT ?4) \
             RETURNING job_id, attempts, run_at",
        )?
        .query_map(params![worker, now_ms + lease_ms, now_ms, limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ids.sort_unstable();
    // The claim's own attempts and due time, not read again from `ready_jobs`.
    let mut read = tx.prepare_cached(&format!("SELECT {} FROM jobs WHERE id = ?1", job_cols_with("jobs", "?2", "?3")))?;
    Ok(ids.into_iter().map(|(id, attempts, run_at)| read.query_row(params![id, attempts, run_at], job)).collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Takes a job that `worker` holds out of the ready jobs; the attempts it was given, or None
/// (and nothing changes) if the job is no longer the worker's.
fn release(tx: &rusqlite::Transaction<'_>, job_id: i64, worker: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("DELETE FROM ready_jobs WHERE job_id = ?1 AND locked_by = ?2 RETURNING attempts")?
        .query_row(params![job_id, worker], |r| r.get(0))
        .optional()?)
}

/// Applies one finished attempt inside the caller's transaction: the job's new state (only
/// while `f.worker` still holds it), the attempt, any reply or notice, and the hand-over.
/// `jobs` is written once here; the lease lived in `ready_jobs`.
fn finish_one(tx: &rusqlite::Transaction<'_>, f: &Finished, now_ms: i64) -> Result<bool> {
    let (state, error, message) = match &f.outcome {
        JobOutcome::Retry { run_at, error } => return retry_one(tx, f, *run_at, error),
        JobOutcome::Done { reply } => ("done", None, reply.as_ref()),
        JobOutcome::Failed { error, notice } => ("failed", Some(error), notice.as_ref()),
    };
    let Some(attempts) = release(tx, f.job_id, &f.worker)? else { return Ok(false) };
    let (round, next): (i64, Option<i64>) = tx
        .prepare_cached("UPDATE jobs SET state = ?2, finished_at = ?3, attempts = ?4, last_error = ?5 WHERE id = ?1 RETURNING round, next_id")?
        .query_row(params![f.job_id, state, now_ms, attempts, error], |r| Ok((r.get(0)?, r.get(1)?)))?;
    insert_attempt(tx, f)?;
    if let Some(m) = message {
        insert_reply(tx, m, f.job_id, round)?;
    }
    hand_on(tx, next)?;
    Ok(true)
}

/// A finished attempt that asked for a retry: the job stays ready, due at `run_at` (moved
/// forward by what the clock was pulled while it ran), its lease released.
fn retry_one(tx: &rusqlite::Transaction<'_>, f: &Finished, run_at: i64, error: &str) -> Result<bool> {
    let held: Option<i64> = tx
        .prepare_cached(
            "UPDATE ready_jobs SET run_at = ?3 - pulled_ms, locked_by = NULL, locked_until = NULL \
             WHERE job_id = ?1 AND locked_by = ?2 RETURNING attempts",
        )?
        .query_row(params![f.job_id, f.worker, run_at], |r| r.get(0))
        .optional()?;
    let Some(attempts) = held else { return Ok(false) };
    tx.prepare_cached("UPDATE jobs SET attempts = ?2, last_error = ?3 WHERE id = ?1")?.execute(params![f.job_id, attempts, error])?;
    insert_attempt(tx, f)?;
    Ok(true)
}

fn insert_attempt(tx: &rusqlite::Transaction<'_>, f: &Finished) -> Result<()> {
    let a = &f.attempt;
    tx.prepare_cached(
        "INSERT INTO delivery_attempts (job_id, appid, attempt, url, request, status, response, latency_ms, error, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![f.job_id, a.appid.as_str(), a.attempt, a.url, a.request, a.status, a.response, a.latency_ms, a.error, a.at])?;
    Ok(())
}

/// Ends a job that records its own end (a mass send, a money job, a red packet's return) in
/// the caller's transaction: done, out of the ready jobs, and its queue handed on.
pub(super) fn end_job(tx: &rusqlite::Transaction<'_>, job_id: i64, now_ms: i64) -> Result<()> {
    let attempts: Option<i64> =
        tx.prepare_cached("DELETE FROM ready_jobs WHERE job_id = ?1 RETURNING attempts")?.query_row([job_id], |r| r.get(0)).optional()?;
    let next: Option<Option<i64>> = tx
        .prepare_cached(
            "UPDATE jobs SET state = 'done', finished_at = ?2, attempts = COALESCE(?3, attempts) WHERE id = ?1 AND state = 'pending' RETURNING next_id",
        )?
        .query_row(params![job_id, now_ms, attempts], |r| r.get(0))
        .optional()?;
    hand_on(tx, next.flatten())
}

/// Lets a job that records its own end run again at `run_at` (real milliseconds, moved
/// forward by what the clock was pulled while it ran), releasing its lease.
pub(super) fn reschedule_job(tx: &rusqlite::Transaction<'_>, job_id: i64, run_at: i64) -> Result<()> {
    tx.prepare_cached("UPDATE ready_jobs SET run_at = ?2 - pulled_ms, locked_by = NULL, locked_until = NULL WHERE job_id = ?1")?
        .execute(params![job_id, run_at])?;
    Ok(())
}

/// Whether `worker` holds `job_id`'s lease.
pub(super) fn holds(tx: &rusqlite::Transaction<'_>, job_id: i64, worker: &str) -> Result<bool> {
    Ok(tx.prepare_cached("SELECT 1 FROM ready_jobs WHERE job_id = ?1 AND locked_by = ?2")?.query_row(params![job_id, worker], |_| Ok(())).optional()?.is_some())
}

/// Makes the job after a finished one in its queue (`next`, from the finished job's
/// `next_id`) claimable; see `insert_job`.
pub(super) fn hand_on(tx: &rusqlite::Transaction<'_>, next: Option<i64>) -> Result<()> {
    if let Some(next) = next {
        tx.prepare_cached(
            "INSERT INTO ready_jobs (job_id, run_at, attempts) SELECT id, run_at, attempts FROM jobs WHERE id = ?1 AND state = 'pending' \
             ON CONFLICT (job_id) DO NOTHING",
        )?
        .execute([next])?;
    }
    Ok(())
}
