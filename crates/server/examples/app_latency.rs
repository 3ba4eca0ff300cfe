//! A follower's message to a developer server and its reply, as the follower app sees it
//! (issue 26; run by bench/app_latency.sh): USERS followers of an account whose developer
//! server answers every text, each with a live (SSE) connection; messages are sent at RATE a
//! second for SECS seconds through the platform API, and each one's time from sending to the
//! reply's `message` event on the sender's live connection is measured.
//!
//! app_latency BASE OPERATOR_TOKEN APPID USERS RATE SECS

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (base, op, appid) = (a[1].clone(), a[2].clone(), a[3].clone());
    let (users_n, rate, secs): (usize, u64, u64) = (a[4].parse().unwrap(), a[5].parse().unwrap(), a[6].parse().unwrap());
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let addr = base.trim_start_matches("http://").to_string();
    let mut users = Vec::new();
    for i in 0..users_n {
        let u: Value = http.post(format!("{base}/herald/v1/users")).bearer_auth(&op).json(&json!({"nickname": format!("lat{i}")})).send().await.unwrap().json().await.unwrap();
        let id = u["id"].as_str().unwrap().to_string();
        http.post(format!("{base}/herald/v1/users/{id}/follow")).bearer_auth(&op).json(&json!({"appid": appid})).send().await.unwrap();
        users.push(id);
    }
    // When each user's messages went out, oldest first; a reply event answers the oldest.
    let pending: Arc<Mutex<HashMap<String, VecDeque<Instant>>>> = Arc::default();
    let lat: Arc<Mutex<Vec<f64>>> = Arc::default();
    for id in &users {
        let (addr, op, id, pending, lat) = (addr.clone(), op.clone(), id.clone(), pending.clone(), lat.clone());
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(format!("GET /herald/v1/users/{id}/live HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {op}\r\n\r\n").as_bytes()).await.unwrap();
        tokio::spawn(async move {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut event = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    if event == "message" && d.contains("\"outbound\":true") {
                        let sent = pending.lock().unwrap().get_mut(&id).and_then(VecDeque::pop_front);
                        if let Some(t) = sent {
                            lat.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = rate * secs;
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = start + gap * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let id = users[n as usize % users.len()].clone();
        pending.lock().unwrap().entry(id.clone()).or_default().push_back(Instant::now());
        let (http, base, op, appid) = (http.clone(), base.clone(), op.clone(), appid.clone());
        tasks.spawn(async move {
            let r = http.post(format!("{base}/herald/v1/users/{id}/messages")).bearer_auth(&op).json(&json!({"appid": appid, "msgtype": "text", "content": format!("m{n}")})).send().await;
            r.map(|r| r.status().is_success()).unwrap_or(false)
        });
        while tasks.try_join_next().is_some() {}
    }
    let sending = start.elapsed().as_secs_f64();
    while tasks.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{total} messages in {sending:.1} s ({:.0}/s); {} replies seen live: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        total as f64 / sending,
        l.len(),
        pct(&l, 0.5),
        pct(&l, 0.9),
        pct(&l, 0.99),
        l.last().copied().unwrap_or(f64::NAN)
    );
}
