//! The delivery worker: claims due jobs from the durable queue with a lease, delivers each,
//! and records attempts and outcomes. Several nodes can run it on one database; a node that
//! dies leaves its leased jobs to be claimed again when the lease ends.
//!
//! Each round is one write transaction (`finish_and_claim`): it records every delivery that
//! finished since the last round (group commit, each job exactly as `finish_job` would) and
//! claims as many ready jobs as there are free slots, so the next message of a conversation
//! is claimed as soon as the one before it is recorded. A round runs whenever something
//! finished; what finishes while one runs waits for the next, so a busy queue gathers larger
//! batches by itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use herald_domain::conversation::delivery::LEASE_MS;
use herald_store::{Account, Finished, Job};
use herald_wire::AppId;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

use crate::clock::system_now_ms;
use crate::state::AppState;

const MAX_IN_FLIGHT: usize = 512;
const MAX_CLAIM: usize = 256;
/// The most finished deliveries recorded in one transaction.
const MAX_BATCH: usize = 512;
const IDLE_POLL: Duration = Duration::from_millis(100);

type Done = (Finished, OwnedSemaphorePermit);

/// Runs until `stop` is notified.
pub async fn run(st: AppState, stop: Arc<Notify>) {
    let worker_id = format!("w-{:016x}", rand::random::<u64>());
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let http = st.http.clone();
    // Jobs that record their own end (payments' money jobs, mass sends) ring this.
    let ended = Arc::new(Notify::new());
    let (tx, mut rx) = mpsc::channel::<Done>(MAX_IN_FLIGHT);
    let mut batch: Vec<Done> = Vec::with_capacity(MAX_BATCH);
    loop {
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(d) => batch.push(d),
                Err(_) => break,
            }
        }
        let (done, held): (Vec<Finished>, Vec<OwnedSemaphorePermit>) = batch.drain(..).unzip();
        let limit = (permits.available_permits() + held.len()).min(MAX_CLAIM);
        let jobs = if done.is_empty() && limit == 0 {
            Vec::new()
        } else {
            let started = std::time::Instant::now();
            match st.store.finish_and_claim(&done, &worker_id, system_now_ms(), LEASE_MS, limit).await {
                Ok((_, jobs)) => {
                    if !done.is_empty() {
                        // Replies joined conversations: open apps hear of them at once.
                        st.live.poke();
                    }
                    let in_flight = MAX_IN_FLIGHT - permits.available_permits() - held.len();
                    tracing::debug!(finished = done.len(), claimed = jobs.len(), in_flight, us = started.elapsed().as_micros() as u64, "round");
                    jobs
                }
                Err(e) => {
                    tracing::warn!(finished = done.len(), error = %e, "recording deliveries and claiming jobs failed; leases will expire");
                    Vec::new()
                }
            }
        };
        drop(held);
        let idle = jobs.is_empty();
        dispatch(&st, &http, &worker_id, &permits, &tx, &ended, jobs).await;
        if idle {
            tokio::select! {
                _ = stop.notified() => break,
                _ = st.wake.notified() => {}
                _ = ended.notified() => {}
                Some(d) = rx.recv() => batch.push(d),
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
    // Deliveries under way finish and are recorded (nothing more is claimed); what a stopping
    // process does not record is claimed again when its lease ends.
    drop(tx);
    tokio::spawn(async move {
        loop {
            let (done, held): (Vec<Finished>, Vec<OwnedSemaphorePermit>) = batch.drain(..).unzip();
            if !done.is_empty() {
                if let Err(e) = st.store.finish_jobs(&done, system_now_ms()).await {
                    tracing::warn!(jobs = done.len(), error = %e, "recording deliveries failed; their leases will expire");
                }
            }
            drop(held);
            if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
                break;
            }
        }
    });
}

/// Starts each claimed job in its own task, holding one of the worker's slots.
async fn dispatch(
    st: &AppState,
    http: &super::Outbound,
    worker_id: &str,
    permits: &Arc<Semaphore>,
    tx: &mpsc::Sender<Done>,
    ended: &Arc<Notify>,
    jobs: Vec<Job>,
) {
    let accounts = load_accounts(st, &jobs).await;
    for job in jobs {
        let Ok(permit) = permits.clone().acquire_owned().await else { break };
        let Some(account) = accounts.get(&job.appid).cloned() else {
            // Loading failed (logged); the lease will expire and the job is claimed again.
            continue;
        };
        if crate::pay::is_money_job(&job.kind) {
            let (st, ended) = (st.clone(), ended.clone());
            tokio::spawn(async move {
                crate::pay::run_money_job(&st, &job).await;
                drop(permit);
                ended.notify_one();
            });
            continue;
        }
        if job.kind == "pay_notify" {
            let (st, worker, tx) = (st.clone(), worker_id.to_string(), tx.clone());
            tokio::spawn(async move {
                let (attempt, outcome) = crate::pay::notify::attempt(&st, &job).await;
                let done = Finished { job_id: job.id, worker, attempt, outcome };
                let _ = tx.send((done, permit)).await;
            });
            continue;
        }
        if job.kind == "mass" {
            let (st, worker, ended) = (st.clone(), worker_id.to_string(), ended.clone());
            tokio::spawn(async move {
                run_mass(&st, &worker, account.as_deref(), job.id).await;
                drop(permit);
                ended.notify_one();
            });
            continue;
        }
        let (st, http, worker, tx) = (st.clone(), http.clone(), worker_id.to_string(), tx.clone());
        tokio::spawn(async move {
            let now = st.clock.now().await.unwrap_or_else(|_| crate::clock::system_now());
            let r = super::attempt(&http, account.as_deref(), &job, now, system_now_ms()).await;
            let done = Finished { job_id: job.id, worker, attempt: r.attempt, outcome: r.outcome };
            let _ = tx.send((done, permit)).await;
        });
    }
}

/// A mass message's fan-out: one transaction that applies the quotas, records who received
/// it and queues MASSSENDJOBFINISH. On failure the lease expires and it runs again; nothing
/// of a failed run was kept.
async fn run_mass(st: &AppState, worker: &str, account: Option<&Account>, job_id: i64) {
    let original = account.map(|a| a.original_id.clone()).unwrap_or_default();
    let now = st.clock.now().await.unwrap_or_else(|_| crate::clock::system_now());
    let event = move |m: &herald_store::MassMessage| {
        let counts = herald_domain::broadcast::MassCounts { total: m.total, filtered: m.filtered, sent: m.sent, errors: m.errors };
        Some(herald_domain::broadcast::mass_finish_xml(&original, m.msg_id, counts, now))
    };
    match st.store.run_mass(job_id, worker, system_now_ms(), &event).await {
        Ok(true) => st.wake.notify_one(),
        Ok(false) => {}
        Err(e) => tracing::warn!(job = job_id, error = %e, "a mass send failed; the lease will expire and it runs again"),
    }
}

/// Each distinct account of a claim, loaded once.
async fn load_accounts(st: &AppState, jobs: &[herald_store::Job]) -> HashMap<AppId, Option<Arc<Account>>> {
    let mut out = HashMap::new();
    for job in jobs {
        if out.contains_key(&job.appid) {
            continue;
        }
        match st.store.account(job.appid.as_str()).await {
            Ok(a) => {
                out.insert(job.appid.clone(), a.map(Arc::new));
            }
            Err(e) => tracing::warn!(appid = %job.appid.as_str(), error = %e, "loading the account failed; its jobs' leases will expire"),
        }
    }
    out
}
