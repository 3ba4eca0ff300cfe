//! The delivery worker: claims due jobs from the durable queue with a lease, delivers each,
//! and records the attempt and its outcome in one transaction. Several nodes can run it on one
//! database; a node that dies leaves its leased jobs to be claimed again when the lease ends.

use std::sync::Arc;
use std::time::Duration;

use herald_domain::conversation::delivery::LEASE_MS;
use tokio::sync::{Notify, Semaphore};

use crate::clock::system_now_ms;
use crate::state::AppState;

const MAX_IN_FLIGHT: usize = 256;
const IDLE_POLL: Duration = Duration::from_millis(100);

/// Runs until `stop` is notified.
pub async fn run(st: AppState, stop: Arc<Notify>) {
    let worker_id = format!("w-{:016x}", rand::random::<u64>());
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let http = super::client();
    loop {
        let free = permits.available_permits();
        let jobs = if free == 0 {
            Vec::new()
        } else {
            match st.store.claim_jobs(&worker_id, system_now_ms(), LEASE_MS, free.min(128)).await {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming jobs failed");
                    Vec::new()
                }
            }
        };
        let idle = jobs.is_empty();
        for job in jobs {
            let Ok(permit) = permits.clone().acquire_owned().await else { return };
            let (st, http, worker_id) = (st.clone(), http.clone(), worker_id.clone());
            tokio::spawn(async move {
                deliver(&st, &http, &worker_id, job).await;
                drop(permit);
            });
        }
        if idle {
            tokio::select! {
                _ = stop.notified() => return,
                _ = st.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

async fn deliver(st: &AppState, http: &reqwest::Client, worker_id: &str, job: herald_store::Job) {
    let account = match st.store.account(job.appid.as_str()).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(job = job.id, error = %e, "loading the account failed; the lease will expire");
            return;
        }
    };
    let now = st.clock.now().await.unwrap_or_else(|_| crate::clock::system_now());
    let r = super::attempt(http, account.as_ref(), &job, now, system_now_ms(), st.allow_private_callbacks).await;
    let retry = matches!(r.outcome, herald_store::JobOutcome::Retry { .. });
    match st.store.finish_job(job.id, worker_id, &r.attempt, &r.outcome, system_now_ms()).await {
        Ok(true) if retry => st.wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::warn!(job = job.id, error = %e, "recording a delivery failed; the lease will expire"),
    }
}
