//! The delivery queue's storage alone, without HTTP (issue 3): replays the worker's rounds
//! (`finish_and_claim`) against a database of pending callbacks, each delivery finishing at
//! once with a passive reply like the echo server's, and prints the storage's cost per
//! delivery. Run by bench/queue.sh, which prepares the database.
//!
//!   queue_rounds <database url> [round=256] [in flight=512]

use std::time::Instant;

use herald_store::{Attempt, Direction, Finished, Job, JobOutcome, JobStore, NewMessage, SqliteStore};
use herald_wire::OpenId;

/// A request and a reply of the sizes safe mode produces (an encrypted envelope each).
const REQUEST: &str = include_str!("queue_rounds_request.txt");
const RESPONSE: &str = include_str!("queue_rounds_response.txt");

fn finished(job: &Job, now_ms: i64) -> Finished {
    let attempt = Attempt {
        id: 0,
        job_id: job.id,
        appid: job.appid.clone(),
        attempt: job.attempts,
        url: "http://127.0.0.1:8080/wx".into(),
        request: REQUEST.into(),
        status: Some(200),
        response: Some(RESPONSE.into()),
        latency_ms: 1,
        error: None,
        at: now_ms,
    };
    let reply = NewMessage {
        appid: job.appid.clone(),
        user_id: job.user_id.clone().unwrap_or_default(),
        openid: OpenId("oiasN2pFja2AHr1gPy3RZ8ggmEeL".into()),
        direction: Direction::Out,
        source: "passive_reply".into(),
        msg_type: "text".into(),
        body: format!(r#"{{"content":"echo: message {}"}}"#, job.id),
        created_at: now_ms / 1000,
    };
    Finished { job_id: job.id, worker: "w-bench".into(), attempt, outcome: JobOutcome::Done { reply: Some(reply) } }
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or_default().split(' ').collect();
    let ticks = |i: usize| fields.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("usage: queue_rounds <database url> [round] [in flight]");
    let round: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(256);
    let in_flight: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(512);
    let store = SqliteStore::connect(url).await.expect("open the database");
    store.migrate().await.expect("migrate");
    let lease = 60_000;
    // A far-future clock would do, but the real one keeps the leases' arithmetic honest.
    let mut flight = store.claim_jobs("w-bench", now_ms(), lease, in_flight).await.expect("claim");
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let (mut delivered, mut rounds, mut in_rounds) = (0usize, 0usize, 0f64);
    while !flight.is_empty() {
        let take = round.min(flight.len());
        let now = now_ms();
        let done: Vec<Finished> = flight.drain(..take).map(|j| finished(&j, now)).collect();
        let started = Instant::now();
        let (applied, claimed) = store.finish_and_claim(&done, "w-bench", now, lease, take).await.expect("round");
        in_rounds += started.elapsed().as_secs_f64();
        assert!(applied.iter().all(|a| *a), "every finish holds its lease");
        delivered += done.len();
        rounds += 1;
        flight.extend(claimed);
    }
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    let per = |s: f64| s * 1e6 / delivered.max(1) as f64;
    println!(
        "{delivered} deliveries in {rounds} rounds of up to {round} ({in_flight} in flight): {:.1} us per delivery in rounds, \
         {:.1} us of CPU (checkpoints included), {:.0} deliveries/s",
        per(in_rounds),
        per(cpu),
        delivered as f64 / wall
    );
}
