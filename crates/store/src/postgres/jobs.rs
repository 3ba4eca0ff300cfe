// JobStore on PostgreSQL: the durable queue (claimed with FOR UPDATE SKIP LOCKED, so nodes
// never take the same job) and the delivery log.

/// A job's columns, its payload included (read from `job_payloads`), the job's table named `t`:
/// for `SELECT ... FROM jobs` and `UPDATE jobs ... RETURNING`.
fn job_cols(t: &str) -> String {
    format!(
        "{t}.id, {t}.kind, {t}.appid, {t}.user_id, {t}.message_seq, (SELECT payload FROM job_payloads WHERE job_id = {t}.id), \
         {t}.state, {t}.attempts, {t}.run_at, {t}.last_error, {t}.created_at, {t}.finished_at"
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
        let conv: Option<(String, Option<String>)> = sqlx::query_as("SELECT appid, user_id FROM jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((appid, user)) = conv else { return Ok(false) };
        lock_conversation(&mut tx, &appid, user.as_deref()).await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'pending', attempts = 0, round = round + 1, run_at = $2, locked_by = NULL, \
             locked_until = NULL, finished_at = NULL, blocked = CASE WHEN user_id IS NULL THEN 0 ELSE 1 END \
             WHERE id = $1 AND state <> 'pending'",
        )
        .bind(job_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        promote(&mut tx, &appid, user.as_deref()).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn pull_jobs_forward(&self, kind: &str, ms: i64) -> crate::Result<i64> {
        let n = sqlx::query("UPDATE jobs SET run_at = run_at - $2 WHERE kind = $1 AND state = 'pending'").bind(kind).bind(ms).execute(self.writer()).await?;
        Ok(n.rows_affected() as i64)
    }

    async fn requeue_failed(&self, appid: &herald_wire::AppId, now_ms: i64) -> crate::Result<i64> {
        let mut tx = self.begin().await?;
        let users: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT user_id FROM jobs WHERE appid = $1 AND state = 'failed' AND user_id IS NOT NULL ORDER BY user_id")
                .bind(appid.as_str())
                .fetch_all(&mut *tx)
                .await?;
        for (user,) in &users {
            lock_conversation(&mut tx, appid.as_str(), Some(user)).await?;
        }
        let done = sqlx::query(
            "UPDATE jobs SET state = 'pending', attempts = 0, round = round + 1, run_at = $2, locked_by = NULL, \
             locked_until = NULL, finished_at = NULL, blocked = CASE WHEN user_id IS NULL THEN 0 ELSE 1 END \
             WHERE appid = $1 AND state = 'failed'",
        )
        .bind(appid.as_str())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        promote(&mut tx, appid.as_str(), None).await?;
        tx.commit().await?;
        Ok(done.rows_affected() as i64)
    }
}

/// A job to queue.
struct NewJob<'a> {
    kind: &'a str,
    appid: &'a str,
    /// The conversation (or other queue) it runs in order with; None for a job on its own.
    user_id: Option<&'a str>,
    message_seq: Option<i64>,
    payload: &'a str,
    run_at: i64,
    /// Waits for the jobs before it in its queue (see `promote`).
    blocked: bool,
}

/// Queues a job inside the caller's transaction: its state row and its payload. Its id.
async fn insert_job(tx: &mut Tx, j: &NewJob<'_>) -> crate::Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "WITH job AS (INSERT INTO jobs (kind, appid, user_id, message_seq, state, attempts, run_at, created_at, blocked) \
           VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $6) RETURNING id) \
         INSERT INTO job_payloads (job_id, payload) SELECT id, $7 FROM job RETURNING job_id",
    )
    .bind(j.kind)
    .bind(j.appid)
    .bind(j.user_id)
    .bind(j.message_seq)
    .bind(j.run_at)
    .bind(i16::from(j.blocked))
    .bind(j.payload)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Claims up to `limit` ready jobs for `worker` inside the caller's transaction (rows another
/// node is claiming are skipped, not waited for).
async fn pg_claim(tx: &mut Tx, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> crate::Result<Vec<crate::Job>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND blocked = 0 AND run_at <= $3 \
           AND (locked_until IS NULL OR locked_until < $3) \
           ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING {}",
        job_cols("jobs")
    );
    let rows = sqlx::query(&sql).bind(worker).bind(now_ms + lease_ms).bind(now_ms).bind(limit as i64).fetch_all(&mut **tx).await?;
    let mut jobs = rows.iter().map(job_from_row).collect::<crate::Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Applies finished attempts inside the caller's transaction. Only one job of a conversation
/// is claimable at a time, so two batches meet on one conversation's lock only over a lease
/// that expired; in job order, such a meeting is at worst a deadlock PostgreSQL breaks, and
/// the lease expires and the job is retried.
async fn pg_finish_all(tx: &mut Tx, done: &[crate::Finished], now_ms: i64) -> crate::Result<Vec<bool>> {
    let mut order: Vec<usize> = (0..done.len()).collect();
    order.sort_by_key(|&i| done[i].job_id);
    let mut out = vec![false; done.len()];
    for i in order {
        out[i] = pg_finish_one(tx, &done[i], now_ms).await?;
    }
    Ok(out)
}

/// Applies one finished attempt inside the caller's transaction.
async fn pg_finish_one(tx: &mut Tx, f: &crate::Finished, now_ms: i64) -> crate::Result<bool> {
    let (job_id, worker, a) = (f.job_id, f.worker.as_str(), &f.attempt);
    let conv: Option<(String, Option<String>)> = sqlx::query_as("SELECT appid, user_id FROM jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((appid, user)) = conv else { return Ok(false) };
    lock_conversation(tx, &appid, user.as_deref()).await?;
    let round: Option<(i64,)> =
        sqlx::query_as("SELECT round FROM jobs WHERE id = $1 AND state = 'pending' AND locked_by = $2 FOR UPDATE")
            .bind(job_id)
            .bind(worker)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((round,)) = round else { return Ok(false) };
    sqlx::query(
        "INSERT INTO delivery_attempts (job_id, appid, attempt, url, request, status, response, latency_ms, error, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(job_id)
    .bind(a.appid.as_str())
    .bind(a.attempt)
    .bind(&a.url)
    .bind(&a.request)
    .bind(a.status)
    .bind(&a.response)
    .bind(a.latency_ms)
    .bind(&a.error)
    .bind(a.at)
    .execute(&mut **tx)
    .await?;
    match &f.outcome {
        crate::JobOutcome::Done { reply } => {
            sqlx::query("UPDATE jobs SET state = 'done', finished_at = $2, locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = $1")
                .bind(job_id)
                .bind(now_ms)
                .execute(&mut **tx)
                .await?;
            if let Some(m) = reply {
                insert_message(tx, m, Some((job_id, round))).await?;
            }
        }
        crate::JobOutcome::Retry { run_at, error } => {
            sqlx::query("UPDATE jobs SET run_at = $2, locked_by = NULL, locked_until = NULL, last_error = $3 WHERE id = $1")
                .bind(job_id)
                .bind(run_at)
                .bind(error)
                .execute(&mut **tx)
                .await?;
        }
        crate::JobOutcome::Failed { error, notice } => {
            sqlx::query("UPDATE jobs SET state = 'failed', finished_at = $2, locked_by = NULL, locked_until = NULL, last_error = $3 WHERE id = $1")
                .bind(job_id)
                .bind(now_ms)
                .bind(error)
                .execute(&mut **tx)
                .await?;
            if let Some(m) = notice {
                insert_message(tx, m, Some((job_id, round))).await?;
            }
        }
    }
    if !matches!(f.outcome, crate::JobOutcome::Retry { .. }) {
        promote(tx, &appid, user.as_deref()).await?;
    }
    Ok(true)
}

/// Serialises, across nodes, the transactions that queue, finish or requeue one
/// conversation's callbacks, so the hand-over in `promote` never misses a job queued at the
/// same moment. Released at commit.
async fn lock_conversation(tx: &mut Tx, appid: &str, user: Option<&str>) -> crate::Result<()> {
    if let Some(user) = user {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))")
            .bind(appid)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Unblocks the earliest waiting job of each conversation (of `user`, or of every user of the
/// account) that has no unblocked pending job (see the SQLite twin).
async fn promote(tx: &mut Tx, appid: &str, user: Option<&str>) -> crate::Result<()> {
    let Some(user) = user else {
        sqlx::query(
            "UPDATE jobs SET blocked = 0 WHERE id IN (SELECT min(w.id) FROM jobs w \
               WHERE w.appid = $1 AND w.state = 'pending' AND w.blocked = 1 \
               GROUP BY w.user_id \
               HAVING NOT EXISTS (SELECT 1 FROM jobs r WHERE r.appid = $1 AND r.user_id = w.user_id \
                 AND r.state = 'pending' AND r.blocked = 0))",
        )
        .bind(appid)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    // One conversation: its first waiting job, from the head of `jobs_waiting`.
    sqlx::query(
        "UPDATE jobs SET blocked = 0 WHERE id = (SELECT id FROM jobs \
           WHERE appid = $1 AND user_id = $2 AND state = 'pending' AND blocked = 1 ORDER BY id LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.appid = $1 AND r.user_id = $2 AND r.state = 'pending' AND r.blocked = 0)",
    )
    .bind(appid)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
