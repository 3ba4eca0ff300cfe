//! Benchmark (issue 6): signed order creation per second against a running Herald, next to
//! the raw RSA-2048 signing rate of the same machine in the same run. Run by `bench/pay.sh`.
//!
//! Each order is a real `POST /v3/pay/transactions/native` as a merchant's SDK sends it:
//! Herald verifies the request signature, checks the nonce, stores the order and signs its
//! answer. The requests are signed before the clock starts (each with its own nonce and
//! out_trade_no) and rendered to the bytes sent on the wire, so the load generator does not
//! compete for the CPU with its own signing or an HTTP client's work (about 0.025 ms per order
//! against about 0.15 with reqwest); every answer's status is checked and a sample of answers'
//! signatures verified. The raw rate is the mean of runs just before and just after the orders.
//!
//! With the server's pid it also reads the server's own CPU time over the run (from
//! /proc/<pid>/stat), which gives its cost per order apart from the load generator's, which
//! shares the machine: the rate the server's CPU alone would allow on every core.
//!
//! `PAY_BENCH_BEFORE` and `PAY_BENCH_AFTER`, when set, are shell commands run just before the
//! first order and just after the last (bench/pay_instructions.sh uses them to count the
//! server's instructions for the orders alone with callgrind).
//!
//!   pay_bench <base_url> <operator_token> [orders=6000] [concurrency=32] [sign_seconds=5] [server_pid]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_wire::pay::auth::{request_message, response_message, AuthHeader};
use herald_wire::pay::keys::{PrivateKey, PublicKey};
use serde_json::{json, Value};

async fn op(http: &reqwest::Client, base: &str, token: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = http.request(method, format!("{base}{path}")).bearer_auth(token).json(&body).send().await.expect("platform API");
    let status = r.status();
    let v: Value = r.json().await.expect("JSON");
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// One order request, signed and rendered as the bytes sent on the wire.
struct Signed {
    wire: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection that sends prepared requests and reads whole answers:
/// the load generator does as little as it can, so the machine's CPU goes to the server.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

/// An answer: its status, its head as received (headers are parsed only when asked for, so
/// the load generator allocates nothing per header) and its body.
struct Answer {
    status: u16,
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        let mut hs = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut hs);
        r.parse(&self.head).expect("a parsed head parses again");
        r.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value).into_owned()).unwrap_or_default()
    }
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect to Herald");
        stream.set_nodelay(true).unwrap();
        Conn { stream, buf: Vec::with_capacity(4096) }
    }

    async fn exchange(&mut self, request: &[u8]) -> Answer {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(request).await.expect("send a request");
        loop {
            let mut hs = [httparse::EMPTY_HEADER; 32];
            let mut r = httparse::Response::new(&mut hs);
            if let httparse::Status::Complete(head) = r.parse(&self.buf).expect("an HTTP answer") {
                let status = r.code.unwrap_or(0);
                let len: usize = r
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                    .unwrap_or(0);
                while self.buf.len() < head + len {
                    self.read_more().await;
                }
                let answer = Answer { status, head: self.buf[..head].to_vec(), body: self.buf[head..head + len].to_vec() };
                self.buf.drain(..head + len);
                return answer;
            }
            self.read_more().await;
        }
    }

    async fn read_more(&mut self) {
        use tokio::io::AsyncReadExt;
        let n = self.stream.read_buf(&mut self.buf).await.expect("read an answer");
        assert!(n > 0, "Herald closed the connection");
    }
}

fn sign_all(key: &PrivateKey, host: &str, mchid: &str, serial: &str, appid: &str, n: usize) -> Vec<Signed> {
    let ts = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).to_string();
    let threads = cores();
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let ts = ts.clone();
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(n))
                        .map(|i| {
                            let body = json!({
                                "appid": appid, "mchid": mchid, "description": "Bench tea", "out_trade_no": format!("BENCH{i:010}"),
                                "notify_url": "https://merchant.example/notify", "amount": {"total": 100 + (i % 900) as i64, "currency": "CNY"},
                            })
                            .to_string();
                            let nonce = format!("{:032X}", rand::random::<u128>());
                            let msg = request_message("POST", "/v3/pay/transactions/native", &ts, &nonce, body.as_bytes());
                            let h = AuthHeader { mchid: mchid.into(), nonce_str: nonce, signature: key.sign(&msg), timestamp: ts.clone(), serial_no: serial.into() };
                            let head = format!(
                                "POST /v3/pay/transactions/native HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nUser-Agent: herald-pay-bench\r\nContent-Length: {}\r\n\r\n",
                                h.render(),
                                body.len()
                            );
                            Signed { wire: [head.into_bytes(), body.into_bytes()].concat() }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

/// Signatures per second with every core signing, as the server signs (same key type, same
/// code, a response-sized message).
fn raw_sign_rate(key: &PrivateKey, seconds: u64) -> f64 {
    let threads = cores();
    let msg = response_message("1700000000", "0123456789ABCDEF0123456789ABCDEF", br#"{"code_url":"weixin://wxpay/bizpayurl?pr=abcdefghi"}"#);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let msg = &msg;
                s.spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(seconds) {
                        std::hint::black_box(key.sign(msg));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).expect("base URL").trim_end_matches('/').to_string();
    let token = args.get(2).expect("operator token").clone();
    let n: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(6000);
    let conc: usize = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(32);
    let sign_secs: u64 = args.get(5).map(|s| s.parse().unwrap()).unwrap_or(5);
    let server_pid: Option<u32> = args.get(6).map(|s| s.parse().unwrap());
    let http = reqwest::Client::builder().pool_max_idle_per_host(conc).build().unwrap();
    use reqwest::Method;

    let acc = op(&http, &base, &token, Method::POST, "/herald/v1/accounts", json!({"name": "Bench Tea", "type": "service", "owner": {"kind": "organisation", "name": "Bench"}, "verified": true})).await;
    let appid = acc["appid"].as_str().unwrap().to_string();
    let m = op(&http, &base, &token, Method::POST, "/herald/v1/merchants", json!({"name": "Bench Tea", "appids": [appid]})).await;
    let mchid = m["mchid"].as_str().unwrap().to_string();
    let key = PrivateKey::from_pem(m["private_key"].as_str().unwrap()).unwrap();
    let serial = m["serial_no"].as_str().unwrap().to_string();
    let platform = PublicKey::from_pem(m["public_key"].as_str().unwrap()).unwrap();

    eprintln!("signing {n} order requests in advance...");
    let addr = base.strip_prefix("http://").expect("an http:// base URL").to_string();
    let reqs = Arc::new(sign_all(&key, &addr, &mchid, &serial, &appid, n));
    let next = Arc::new(AtomicUsize::new(0));
    eprintln!("measuring raw RSA-2048 signing for {sign_secs} s...");
    let raw_before = raw_sign_rate(&key, sign_secs);
    eprintln!("creating {n} orders with {conc} connections...");
    let cpu_before = server_pid.map(cpu_seconds);
    let own_before = cpu_seconds(std::process::id());
    let idle_before = machine_idle();
    hook("PAY_BENCH_BEFORE");
    let start = Instant::now();
    let tasks: Vec<_> = (0..conc)
        .map(|w| {
            let (reqs, next, addr, platform) = (reqs.clone(), next.clone(), addr.clone(), platform.clone());
            tokio::spawn(async move {
                let mut conn = Conn::open(&addr).await;
                let mut verified = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = reqs.get(i) else { break };
                    let resp = conn.exchange(&r.wire).await;
                    assert_eq!(resp.status, 200, "order {i}: {}", String::from_utf8_lossy(&resp.body));
                    // The first answer of each of the first connections: check Herald's signature.
                    if verified == 0 && w < 4 {
                        let h = |k: &str| resp.header(k);
                        let msg = response_message(&h("Wechatpay-Timestamp"), &h("Wechatpay-Nonce"), &resp.body);
                        assert!(platform.verify(&msg, &h("Wechatpay-Signature")), "a response signature does not verify");
                        verified += 1;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    hook("PAY_BENCH_AFTER");
    let orders_per_s = n as f64 / secs;
    let server_cpu = server_pid.zip(cpu_before).map(|(p, b)| cpu_seconds(p) - b);
    let own_cpu = cpu_seconds(std::process::id()) - own_before;
    let idle = machine_idle().0 - idle_before.0;
    let (_, all_ticks) = machine_idle();
    let idle_share = idle / (all_ticks - idle_before.1).max(1.0);
    eprintln!("measuring raw RSA-2048 signing for {sign_secs} s...");
    let raw_after = raw_sign_rate(&key, sign_secs);
    // The machine's speed drifts (a shared VM): the ceiling is the mean of the rates measured
    // just before and just after the orders.
    let raw = (raw_before + raw_after) / 2.0;
    let mut out = json!({
        "orders": n, "concurrency": conc, "seconds": (secs * 100.0).round() / 100.0,
        "signed_orders_per_s": orders_per_s.round(), "raw_rsa2048_signs_per_s": raw.round(),
        "raw_before_after": [raw_before.round(), raw_after.round()],
        "ratio": (orders_per_s / raw * 100.0).round() / 100.0,
        "load_generator_cpu_ms_per_order": (own_cpu * 1e6 / n as f64).round() / 1000.0,
        "machine_idle_share": (idle_share * 100.0).round() / 100.0,
    });
    if let Some(cpu) = server_cpu {
        let cores = cores() as f64;
        let per_order_ms = cpu * 1000.0 / n as f64;
        let capacity = cores * n as f64 / cpu;
        out["server_cpu_ms_per_order"] = ((per_order_ms * 1000.0).round() / 1000.0).into();
        out["server_cpu_bound_orders_per_s"] = capacity.round().into();
        out["server_cpu_bound_ratio"] = ((capacity / raw * 100.0).round() / 100.0).into();
    }
    println!("{out}");
}

/// Runs the shell command in the environment variable `var`, if set, and waits for it.
fn hook(var: &str) {
    if let Ok(cmd) = std::env::var(var) {
        let ok = std::process::Command::new("sh").arg("-c").arg(&cmd).status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "{var} ({cmd}) failed");
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// The machine's idle ticks and all ticks so far, from /proc/stat (idle + iowait).
fn machine_idle() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let f: Vec<f64> = stat.lines().next().unwrap().split_whitespace().skip(1).map(|x| x.parse().unwrap()).collect();
    (f[3] + f[4], f.iter().take(8).sum())
}

/// A process's user + system CPU time in seconds, from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server's /proc stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}
