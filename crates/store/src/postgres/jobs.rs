// JobStore on PostgreSQL: the durable queue (claimed with FOR UPDATE SKIP LOCKED, so nodes
// never take the same job) and the delivery log.

/// A job's columns, its payload included (read from `job_payloads`) and, while it is ready,
/// its attempts and due time (read from `ready_jobs`), the job's table named `t`: for
/// `SELECT ... FROM jobs`.
fn job_cols(t: &str) -> String {
    job_cols_with(
        t,
        &format!("COALESCE((SELECT attempts FROM ready_jobs WHERE job_id = {t}.id), {t}.attempts)"),
        &format!("COALESCE((SELECT run_at FROM ready_jobs WHERE job_id = {t}.id), {t}.run_at)"),
    )
}

/// `job_cols` with the attempts and due time given as SQL expressions (the claim has them).
fn job_cols_with(t: &str, attempts: &str, run_at: &str) -> String {
    format!(
        "{t}.id, {t}.kind, {t}.appid, {t}.user_id, {t}.message_seq, (SELECT payload FROM job_payloads WHERE job_id = {t}.id), \
         {t}.state, {attempts}, {run_at}, {t}.last_error, {t}.created_at, {t}.finished_at"
    )
}
const ATTEMPT_COLS: &str = "id, job_id, appid, attempt, url, request, status, response, latency_ms, error, at";

fn job_from_row(r: &DbRow) -> crate::Result<crate::Job> {
    job_from_row_at(r, 0)
}

/// A job from the row's columns `at..at + 12` (in `job_cols` order).
fn job_from_row_at(r: &DbRow, at: usize) -> crate::Result<crate::Job> {
    Ok(crate::Job {
        id: r.try_get(at)?,
        kind: r.try_get(at + 1)?,
        appid: herald_wire::AppId(r.try_get(at + 2)?),
        user_id: r.try_get::<Option<String>, _>(at + 3)?.map(herald_wire::UserId),
        message_seq: r.try_get(at + 4)?,
        payload: r.try_get(at + 5)?,
        state: r.try_get(at + 6)?,
        attempts: r.try_get(at + 7)?,
        run_at: r.try_get(at + 8)?,
        last_error: r.try_get(at + 9)?,
        created_at: r.try_get(at + 10)?,
        finished_at: r.try_get(at + 11)?,
    })
}

fn attempt_from_row(r: &DbRow) -> crate::Result<crate::Attempt> {
    Ok(crate::Attempt {
        id: r.try_get(0)?,
        job_id: r.try_get(1)?,
        appid: herald_wire::AppId(r.try_get(2)?),
        attempt: r.try_get(3)?,
        url: r.try_get(4)?,
        request: r.try_get(5)?,
        status: r.try_get(6)?,
        response: r.try_get(7)?,
        latency_ms: r.try_get(8)?,
        error: r.try_get(9)?,
        at: r.try_get(10)?,
    })
}

#[async_trait::async_trait]
impl crate::JobStore for Backend {
    async fn claim_jobs(&self, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> crate::Result<Vec<crate::Job>> {
        let mut tx = self.begin().await?;
        let jobs = pg_claim(&mut tx, worker, now_ms, lease_ms, limit).await?;
        tx.commit().await?;
        Ok(jobs)
    }

    async fn finish_jobs(&self, done: &[crate::Finished], now_ms: i64) -> crate::Result<Vec<bool>> {
        let mut tx = self.begin().await?;
        let out = pg_finish_all(&mut tx, done, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn finish_and_claim(
        &self,
        done: &[crate::Finished],
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> crate::Result<(Vec<bool>, Vec<crate::Job>)> {
        let mut tx = self.begin().await?;
        let applied = pg_finish_all(&mut tx, done, now_ms).await?;
        let jobs = pg_claim(&mut tx, worker, now_ms, lease_ms, limit).await?;
        tx.commit().await?;
        Ok((applied, jobs))
    }

    async fn job(&self, id: i64) -> crate::Result<Option<crate::Job>> {
        let row = sqlx::query(&format!("SELECT {} FROM jobs WHERE id = $1", job_cols("jobs"))).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn jobs(&self, appid: &herald_wire::AppId, state: Option<&str>, limit: usize) -> crate::Result<Vec<crate::Job>> {
        let sql = format!("SELECT {} FROM jobs WHERE appid = $1 AND ($2::TEXT IS NULL OR state = $2) ORDER BY id DESC LIMIT $3", job_cols("jobs"));
        let rows = sqlx::query(&sql).bind(appid.as_str()).bind(state).bind(limit as i64).fetch_all(self.reader()).await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn attempts(&self, job_id: i64) -> crate::Result<Vec<crate::Attempt>> {
        let sql = format!("SELECT {ATTEMPT_COLS} FROM delivery_attempts WHERE job_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql).bind(job_id).fetch_all(self.reader()).await?;
        rows.iter().map(attempt_from_row).collect()
    }

    async fn requeue(&self, job_id: i64, now_ms: i64) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        if !pg_requeue_one(&mut tx, job_id, now_ms).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn pull_jobs_forward(&self, kind: &str, ms: i64) -> crate::Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE ready_jobs SET run_at = run_at - $2, pulled_ms = pulled_ms + $2 \
             WHERE job_id IN (SELECT id FROM jobs WHERE kind = $1 AND state = 'pending')",
        )
        .bind(kind)
        .bind(ms)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("UPDATE jobs SET run_at = run_at - $2 WHERE kind = $1 AND state = 'pending'").bind(kind).bind(ms).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n.rows_affected() as i64)
    }

    async fn requeue_failed(&self, appid: &herald_wire::AppId, now_ms: i64) -> crate::Result<i64> {
        let mut tx = self.begin().await?;
        let failed: Vec<(i64,)> = sqlx::query_as("SELECT id FROM jobs WHERE appid = $1 AND state = 'failed' ORDER BY id")
            .bind(appid.as_str())
            .fetch_all(&mut *tx)
            .await?;
        let mut n = 0;
        for (id,) in failed {
            n += i64::from(pg_requeue_one(&mut tx, id, now_ms).await?);
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// Queues a finished job again, as a new round at the end of its queue.
async fn pg_requeue_one(tx: &mut Tx, job_id: i64, now_ms: i64) -> crate::Result<bool> {
    let conv: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT appid, user_id FROM jobs WHERE id = $1").bind(job_id).fetch_optional(&mut **tx).await?;
    let Some((appid, user)) = conv else { return Ok(false) };
    lock_conversation(tx, &appid, user.as_deref()).await?;
    let finished: Option<(i64,)> = sqlx::query_as("SELECT id FROM jobs WHERE id = $1 AND state <> 'pending' FOR UPDATE")
        .bind(job_id)
        .fetch_optional(&mut **tx)
        .await?;
    if finished.is_none() {
        return Ok(false);
    }
    let tail = match &user {
        Some(user) => queue_tail(tx, &appid, user).await?,
        None => None,
    };
    sqlx::query("UPDATE jobs SET state = 'pending', attempts = 0, round = round + 1, run_at = $2, finished_at = NULL, next_id = NULL WHERE id = $1")
        .bind(job_id)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    join_queue(tx, job_id, now_ms, tail).await?;
    Ok(true)
}

/// A job to queue.
struct NewJob<'a> {
    kind: &'a str,
    appid: &'a str,
    /// The queue it runs in, in order, one job at a time: the conversation's user, or another
    /// queue's name; None for a job on its own.
    user_id: Option<&'a str>,
    message_seq: Option<i64>,
    payload: &'a str,
    run_at: i64,
}

/// Queues a job inside the caller's transaction: its state row and its payload. Its id. A
/// queue's pending jobs form a chain (see the SQLite twin); the caller holds the queue's lock
/// (`lock_conversation`, or the account's mass lock).
async fn insert_job(tx: &mut Tx, j: &NewJob<'_>) -> crate::Result<i64> {
    let tail = match j.user_id {
        Some(user) => queue_tail(tx, j.appid, user).await?,
        None => None,
    };
    let (id,): (i64,) = sqlx::query_as(
        "WITH job AS (INSERT INTO jobs (kind, appid, user_id, message_seq, state, attempts, run_at, created_at) \
           VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) RETURNING id) \
         INSERT INTO job_payloads (job_id, payload) SELECT id, $6 FROM job RETURNING job_id",
    )
    .bind(j.kind)
    .bind(j.appid)
    .bind(j.user_id)
    .bind(j.message_seq)
    .bind(j.run_at)
    .bind(j.payload)
    .fetch_one(&mut **tx)
    .await?;
    join_queue(tx, id, j.run_at, tail).await?;
    Ok(id)
}

/// Puts a pending job at the end of its queue: behind `tail`, the queue's last pending job,
/// or, with none, among the ready jobs, due at `run_at`.
async fn join_queue(tx: &mut Tx, id: i64, run_at: i64, tail: Option<i64>) -> crate::Result<()> {
    match tail {
        Some(tail) => sqlx::query("UPDATE jobs SET next_id = $2 WHERE id = $1").bind(tail).bind(id).execute(&mut **tx).await?,
        None => sqlx::query("INSERT INTO ready_jobs (job_id, run_at, attempts) VALUES ($1, $2, 0)").bind(id).bind(run_at).execute(&mut **tx).await?,
    };
    Ok(())
}

/// The last pending job of a queue, if it has any (`jobs_tail` holds one per queue).
async fn queue_tail(tx: &mut Tx, appid: &str, user: &str) -> crate::Result<Option<i64>> {
    let tail: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM jobs WHERE appid = $1 AND user_id = $2 AND state = 'pending' AND next_id IS NULL AND user_id IS NOT NULL",
    )
    .bind(appid)
    .bind(user)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(tail.map(|(id,)| id))
}

/// Claims up to `limit` ready jobs for `worker` inside the caller's transaction (rows another
/// node is claiming are skipped, not waited for).
async fn pg_claim(tx: &mut Tx, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> crate::Result<Vec<crate::Job>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // The claimed rows' new attempts are read through the CTE: the outer SELECT sees the table
    // as it was before the UPDATE.
    let sql = format!(
        "WITH c AS (UPDATE ready_jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1, pulled_ms = 0 \
           WHERE job_id IN (SELECT job_id FROM ready_jobs WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
             ORDER BY job_id LIMIT $4 FOR UPDATE SKIP LOCKED) \
           RETURNING job_id, attempts, run_at) \
         SELECT {} FROM c JOIN jobs j ON j.id = c.job_id",
        job_cols_with("j", "c.attempts", "c.run_at")
    );
    let rows = sqlx::query(&sql).bind(worker).bind(now_ms + lease_ms).bind(now_ms).bind(limit as i64).fetch_all(&mut **tx).await?;
    let mut jobs = rows.iter().map(job_from_row).collect::<crate::Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// `pg_advisory_xact_lock` on one conversation's key, given SQL expressions for its appid and
/// user: the one definition of the key that `lock_conversation` and `pg_finish_all` share.
macro_rules! conversation_lock {
    ($appid:literal, $user:literal) => {
        concat!("pg_advisory_xact_lock(hashtextextended(", $appid, " || '/' || ", $user, ", 0))")
    };
}

/// Applies finished attempts inside the caller's transaction, a round's worth in a handful of
/// statements (each over arrays), not several per job: on PostgreSQL every statement is a
/// round trip. Each job is applied exactly as one at a time would be: only if it is still
/// pending and leased by the worker that reports it; once per job if a job comes twice.
///
/// Only one job of a conversation is claimable at a time, so two batches meet on one
/// conversation's lock only over a lease that expired; the locks are taken in job order, so
/// such a meeting is at worst a deadlock PostgreSQL breaks, and the lease expires and the job
/// is retried.
async fn pg_finish_all(tx: &mut Tx, done: &[crate::Finished], now_ms: i64) -> crate::Result<Vec<bool>> {
    let mut out = vec![false; done.len()];
    if done.is_empty() {
        return Ok(out);
    }
    let mut order: Vec<usize> = (0..done.len()).collect();
    order.sort_by_key(|&i| (done[i].job_id, i));
    order.dedup_by_key(|i| done[*i].job_id);
    let ids: Vec<i64> = order.iter().map(|&i| done[i].job_id).collect();
    let workers: Vec<&str> = order.iter().map(|&i| done[i].worker.as_str()).collect();
    // The conversations' locks (see `lock_conversation`), in job order, before any job row.
    sqlx::query(
        concat!(
            "SELECT count(",
            conversation_lock!("appid", "user_id"),
            ") FROM (SELECT j.appid, j.user_id FROM UNNEST($1::BIGINT[]) WITH ORDINALITY AS u(id, o) \
             JOIN jobs j ON j.id = u.id WHERE j.user_id IS NOT NULL ORDER BY u.o OFFSET 0) AS s"
        ),
    )
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    let found: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT j.id, j.round, j.next_id FROM jobs j JOIN ready_jobs r ON r.job_id = j.id \
         JOIN UNNEST($1::BIGINT[], $2::TEXT[]) AS f(id, worker) ON j.id = f.id \
         WHERE r.locked_by = f.worker ORDER BY j.id FOR UPDATE OF j, r",
    )
    .bind(&ids)
    .bind(&workers)
    .fetch_all(&mut **tx)
    .await?;
    if found.is_empty() {
        return Ok(out);
    }
    let index: std::collections::HashMap<i64, usize> = order.iter().map(|&i| (done[i].job_id, i)).collect();
    let mut b = Batch::default();
    for (job_id, round, next) in found {
        let i = index[&job_id];
        out[i] = true;
        b.add(&done[i], round, next);
    }
    b.apply(tx, now_ms).await?;
    Ok(out)
}

/// What a round's applied jobs write, column by column.
#[derive(Default)]
struct Batch<'a> {
    attempts: AttemptColumns<'a>,
    done: Vec<i64>,
    retry: (Vec<i64>, Vec<i64>, Vec<&'a str>),
    failed: (Vec<i64>, Vec<&'a str>),
    replies: ReplyColumns<'a>,
    hand_on: Vec<i64>,
}

#[derive(Default)]
struct AttemptColumns<'a> {
    job_id: Vec<i64>,
    appid: Vec<&'a str>,
    attempt: Vec<i64>,
    url: Vec<&'a str>,
    request: Vec<&'a str>,
    status: Vec<Option<i64>>,
    response: Vec<Option<&'a str>>,
    latency_ms: Vec<i64>,
    error: Vec<Option<&'a str>>,
    at: Vec<i64>,
}

impl<'a> Batch<'a> {
    fn add(&mut self, f: &'a crate::Finished, round: i64, next: Option<i64>) {
        let (a, c) = (&f.attempt, &mut self.attempts);
        c.job_id.push(f.job_id);
        c.appid.push(a.appid.as_str());
        c.attempt.push(a.attempt);
        c.url.push(&a.url);
        c.request.push(&a.request);
        c.status.push(a.status);
        c.response.push(a.response.as_deref());
        c.latency_ms.push(a.latency_ms);
        c.error.push(a.error.as_deref());
        c.at.push(a.at);
        match &f.outcome {
            crate::JobOutcome::Done { reply } => {
                self.done.push(f.job_id);
                if let Some(m) = reply {
                    self.replies.push(m, f.job_id, round);
                }
            }
            crate::JobOutcome::Retry { run_at, error } => {
                self.retry.0.push(f.job_id);
                self.retry.1.push(*run_at);
                self.retry.2.push(error);
            }
            crate::JobOutcome::Failed { error, notice } => {
                self.failed.0.push(f.job_id);
                self.failed.1.push(error);
                if let Some(m) = notice {
                    self.replies.push(m, f.job_id, round);
                }
            }
        }
        if !matches!(f.outcome, crate::JobOutcome::Retry { .. }) {
            self.hand_on.extend(next);
        }
    }

    async fn apply(self, tx: &mut Tx, now_ms: i64) -> crate::Result<()> {
        let c = &self.attempts;
        sqlx::query(
            "INSERT INTO delivery_attempts (job_id, appid, attempt, url, request, status, response, latency_ms, error, at) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::TEXT[], \
               $8::BIGINT[], $9::TEXT[], $10::BIGINT[])",
        )
        .bind(&c.job_id)
        .bind(&c.appid)
        .bind(&c.attempt)
        .bind(&c.url)
        .bind(&c.request)
        .bind(&c.status)
        .bind(&c.response)
        .bind(&c.latency_ms)
        .bind(&c.error)
        .bind(&c.at)
        .execute(&mut **tx)
        .await?;
        // Done and failed jobs leave the ready jobs, taking their attempts to `jobs`; a retry
        // stays, due again.
        let ended: Vec<i64> = self.done.iter().chain(&self.failed.0).copied().collect();
        let errors: Vec<Option<&str>> = self.done.iter().map(|_| None).chain(self.failed.1.iter().map(|e| Some(*e))).collect();
        let states: Vec<&str> = self.done.iter().map(|_| "done").chain(self.failed.0.iter().map(|_| "failed")).collect();
        if !ended.is_empty() {
            sqlx::query(
                "WITH r AS (DELETE FROM ready_jobs WHERE job_id = ANY($1) RETURNING job_id, attempts) \
                 UPDATE jobs SET state = u.state, finished_at = $4, attempts = r.attempts, last_error = u.error \
                 FROM r JOIN UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[]) AS u(id, state, error) ON u.id = r.job_id \
                 WHERE jobs.id = r.job_id",
            )
            .bind(&ended)
            .bind(&states)
            .bind(&errors)
            .bind(now_ms)
            .execute(&mut **tx)
            .await?;
        }
        if !self.retry.0.is_empty() {
            sqlx::query(
                "WITH r AS (UPDATE ready_jobs SET run_at = u.run_at - ready_jobs.pulled_ms, locked_by = NULL, locked_until = NULL \
                   FROM UNNEST($1::BIGINT[], $2::BIGINT[]) AS u(id, run_at) WHERE ready_jobs.job_id = u.id RETURNING job_id, attempts) \
                 UPDATE jobs SET attempts = r.attempts, last_error = u.error \
                 FROM r JOIN UNNEST($1::BIGINT[], $3::TEXT[]) AS u(id, error) ON u.id = r.job_id WHERE jobs.id = r.job_id",
            )
            .bind(&self.retry.0)
            .bind(&self.retry.1)
            .bind(&self.retry.2)
            .execute(&mut **tx)
            .await?;
        }
        insert_replies(tx, &self.replies).await?;
        hand_on(tx, &self.hand_on).await
    }
}

/// Serialises, across nodes, the transactions that queue, finish or requeue one
/// conversation's callbacks, so a job joining the chain's tail and the tail finishing at the
/// same moment never miss each other. Released at commit. Taken before any of the
/// conversation's job rows is locked.
async fn lock_conversation(tx: &mut Tx, appid: &str, user: Option<&str>) -> crate::Result<()> {
    if let Some(user) = user {
        sqlx::query(concat!("SELECT ", conversation_lock!("$1", "$2")))
            .bind(appid)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Makes the job after each finished one in its queue (`next`, from the finished jobs'
/// `next_id`) claimable (see the SQLite twin).
async fn hand_on(tx: &mut Tx, next: &[i64]) -> crate::Result<()> {
    if !next.is_empty() {
        sqlx::query(
            "INSERT INTO ready_jobs (job_id, run_at, attempts) SELECT id, run_at, attempts FROM jobs WHERE id = ANY($1) AND state = 'pending' \
             ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(next)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Ends a job that records its own end (a mass send, a money job, a red packet's return) in
/// the caller's transaction: done, out of the ready jobs, and its queue handed on.
async fn end_job(tx: &mut Tx, job_id: i64, now_ms: i64) -> crate::Result<()> {
    let next: Option<(Option<i64>,)> = sqlx::query_as(
        "WITH r AS (DELETE FROM ready_jobs WHERE job_id = $1 RETURNING attempts) \
         UPDATE jobs SET state = 'done', finished_at = $2, attempts = COALESCE((SELECT attempts FROM r), attempts) \
         WHERE id = $1 AND state = 'pending' RETURNING next_id",
    )
    .bind(job_id)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    hand_on(tx, next.and_then(|(n,)| n).as_slice()).await
}

/// Lets a job that records its own end run again at `run_at` (real milliseconds, moved
/// forward by what the clock was pulled while it ran), releasing its lease.
async fn reschedule_job(tx: &mut Tx, job_id: i64, run_at: i64) -> crate::Result<()> {
    sqlx::query("UPDATE ready_jobs SET run_at = $2 - pulled_ms, locked_by = NULL, locked_until = NULL WHERE job_id = $1")
        .bind(job_id)
        .bind(run_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
