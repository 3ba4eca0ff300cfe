//! The follower app's live channel under load (issue 26; run by bench/live.sh): `clients`
//! users of a running herald each hold a Server-Sent Events connection; then the account
//! mass-sends to all its followers (the bench seeds a million), and every connection's time
//! from `sendall` to its `push` event is measured, with herald's resident memory before and
//! after the connections open.
//!
//! live_bench BASE OPERATOR_TOKEN APPID APPSECRET HERALD_PID CLIENTS

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn rss_kib(pid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok()).unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (base, op, appid, secret, pid) = (a[1].clone(), a[2].clone(), a[3].clone(), a[4].clone(), a[5].clone());
    let clients: usize = a[6].parse().unwrap();
    let http = reqwest::Client::new();
    let addr = base.trim_start_matches("http://").to_string();

    // The online followers: users who follow the account (beside the seeded million).
    let started = Instant::now();
    let mut users = Vec::with_capacity(clients);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..clients {
        let (http, base, op, appid) = (http.clone(), base.clone(), op.clone(), appid.clone());
        tasks.spawn(async move {
            let u: Value = http.post(format!("{base}/herald/v1/users")).bearer_auth(&op).json(&json!({"nickname": format!("online{i}")})).send().await.unwrap().json().await.unwrap();
            let id = u["id"].as_str().unwrap().to_string();
            http.post(format!("{base}/herald/v1/users/{id}/follow")).bearer_auth(&op).json(&json!({"appid": appid})).send().await.unwrap();
            id
        });
        if tasks.len() >= 64 {
            users.push(tasks.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(u) = tasks.join_next().await {
        users.push(u.unwrap());
    }
    println!("created {clients} online followers in {:.1} s", started.elapsed().as_secs_f64());

    let before = rss_kib(&pid);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    for (i, id) in users.iter().enumerate() {
        let (addr, op, id, tx, ready) = (addr.clone(), op.clone(), id.clone(), tx.clone(), ready.clone());
        tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.expect("connect");
            let req = format!("GET /herald/v1/users/{id}/live HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {op}\r\nAccept: text/event-stream\r\n\r\n");
            s.write_all(req.as_bytes()).await.unwrap();
            let mut r = BufReader::new(s);
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            assert!(line.starts_with("HTTP/1.1 200"), "{line}");
            ready.add_permits(1);
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line.starts_with("event: push") || line.starts_with("event:push") {
                    let _ = tx.send((i, Instant::now()));
                    return;
                }
            }
        });
        if i % 500 == 499 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _all = ready.acquire_many(clients as u32).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(&pid);
    println!("{clients} live connections open; herald RSS {} MiB before, {} MiB after ({:.1} KiB per connection)", before / 1024, after / 1024, (after.saturating_sub(before)) as f64 / clients as f64);

    let tok: Value = http.get(format!("{base}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")).send().await.unwrap().json().await.unwrap();
    let tok = tok["access_token"].as_str().unwrap();
    let sent_at = Instant::now();
    let r: Value = http
        .post(format!("{base}/cgi-bin/message/mass/sendall?access_token={tok}"))
        .body(json!({"filter": {"is_to_all": true}, "text": {"content": "hello, everyone"}, "msgtype": "text"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answered = sent_at.elapsed();
    assert_eq!(r["errcode"], 0, "{r}");
    let mut got = Vec::with_capacity(clients);
    while got.len() < clients {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some((_, at))) => got.push(at.duration_since(sent_at).as_secs_f64() * 1000.0),
            _ => break,
        }
    }
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "sendall answered in {:.0} ms; {} of {clients} clients had the push: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms after sendall",
        answered.as_secs_f64() * 1000.0,
        got.len(),
        pct(&got, 0.5),
        pct(&got, 0.99),
        got.last().copied().unwrap_or(f64::NAN)
    );
    // The push is in an online follower's chat list by then.
    let id = &users[clients / 2];
    let chats: Value = http.get(format!("{base}/herald/v1/users/{id}/chats")).bearer_auth(&op).send().await.unwrap().json().await.unwrap();
    println!("a follower's chat list shows: {}", chats["chats"][0]["last"]["preview"]);
    println!("herald RSS at the end: {} MiB", rss_kib(&pid) / 1024);
}
