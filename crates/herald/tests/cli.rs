//! The `herald` binary itself: settings layering, `migrate`, and `serve` on port 0.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn herald() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_herald"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HERALD_") {
            c.env_remove(k);
        }
    }
    c
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("herald-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn settings_come_from_defaults_then_file_then_environment() {
    let out = herald().arg("config").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["listen"], "127.0.0.1:8080");
    assert_eq!(v["database_url"], "sqlite://herald.db");
    assert_eq!(v["clock"], "real");
    // Secrets are masked: the operator token and a database password.
    let out = herald()
        .arg("config")
        .env("HERALD_OPERATOR_TOKEN", "hop_very-secret-operator-token")
        .env("HERALD_DATABASE_URL", "postgres://herald:pa55word@db.example/herald")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("very-secret") && !text.contains("pa55word"), "{text}");
    assert!(text.contains("postgres://herald:***@db.example/herald"), "{text}");

    let dir = tmp("cfg");
    let file = dir.join("herald.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\nclock = \"simulated\"\n").unwrap();
    let out = herald().args(["--config", file.to_str().unwrap(), "config"]).env("HERALD_CLOCK", "real").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["listen"], "127.0.0.1:9999", "the file overrides the default");
    assert_eq!(v["clock"], "real", "the environment overrides the file");

    // Refused before the database (herald.db in the working directory) is created.
    let bad = herald().arg("serve").env("HERALD_CLOCK", "sundial").env("HERALD_LISTEN", "127.0.0.1:0").current_dir(&dir).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("clock must be"));
    assert!(!dir.join("herald.db").exists(), "bad settings created the database");
}

#[test]
fn migrate_then_serve_on_port_zero() {
    let dir = tmp("serve");
    let db = format!("sqlite://{}", dir.join("h.db").display());
    let out = herald().args(["migrate", "--database-url", &db]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("h.db").exists());

    let mut child = herald()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db])
        .env("HERALD_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.strip_prefix("herald listening on ").expect(&first).to_string();
    let (mut operator, mut content) = (None, None);
    for line in lines.by_ref().take(4) {
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("operator token: ") {
            operator = Some(t.to_string());
        }
        if let Some(u) = line.strip_prefix("content origin on ") {
            content = Some(u.to_string());
        }
    }
    let content = content.expect("the content origin's URL is printed");
    assert_ne!(content, url, "the content origin has its own address");
    let operator = operator.expect("a generated operator token is printed");
    // Plain HTTP/1.1 with std only: the health check and an operator call.
    let get = |path: &str, bearer: Option<&str>| -> String {
        use std::io::{Read, Write};
        let addr = url.strip_prefix("http://").unwrap();
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let auth = bearer.map(|b| format!("Authorization: Bearer {b}\r\n")).unwrap_or_default();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    assert!(get("/herald/v1/health", None).contains("\"status\":\"ok\""));
    assert!(get("/herald/v1/accounts", Some(&operator)).contains("\"accounts\":[]"));
    assert!(get("/herald/v1/accounts", Some("nope")).starts_with("HTTP/1.1 401"));
    // The content origin serves files and articles only.
    let on_content = |path: &str| -> String {
        use std::io::{Read, Write};
        let addr = content.strip_prefix("http://").unwrap();
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    assert!(on_content("/herald/v1/health").starts_with("HTTP/1.1 404"));
    assert!(on_content("/s/nope/1").starts_with("HTTP/1.1 404"));
    // Herald started itself again with the allocator's purge delay set (same process id).
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    assert!(environ.split(|b| *b == 0).any(|v| v == b"MIMALLOC_PURGE_DELAY=0"), "the purge delay is set");
    child.kill().unwrap();
    child.wait().unwrap();
    // A purge delay in the environment is kept as it is.
    let (mut child, _) = serve(&["--database-url", &db], &[("MIMALLOC_PURGE_DELAY", "25")]);
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    assert!(environ.split(|b| *b == 0).any(|v| v == b"MIMALLOC_PURGE_DELAY=25"));
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The first line of a running command's stdout that starts with `prefix`.
fn line_with(lines: &mut impl Iterator<Item = std::io::Result<String>>, prefix: &str) -> String {
    lines.map(|l| l.unwrap()).find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
}

/// `herald serve` on port 0 with `args` and `env` added: the child and its URL.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String) {
    let mut cmd = herald();
    cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(args).env("HERALD_LOG", "warn").stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = line_with(&mut lines, "herald listening on ").trim_start_matches("herald listening on ").to_string();
    // Keep reading what it prints, so its stdout never closes under it.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// One HTTP/1.1 call with std only: the JSON answer (Null when it is none).
fn http(url: &str, method: &str, path: &str, body: &str, bearer: Option<&str>) -> serde_json::Value {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = bearer.map(|b| format!("Authorization: Bearer {b}\r\n")).unwrap_or_default();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    serde_json::from_str(r.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap_or(serde_json::Value::Null)
}

#[test]
fn listen_colon_zero_picks_a_free_port() {
    let dir = tmp("colon");
    let db = format!("sqlite://{}", dir.join("h.db").display());
    let mut child = herald().arg("serve").env("HERALD_LISTEN", ":0").env("HERALD_DATABASE_URL", &db).env("HERALD_LOG", "warn").stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = line_with(&mut lines, "herald listening on ");
    assert!(first.starts_with("herald listening on http://127.0.0.1:") && !first.ends_with(":0"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_demo_on_a_database_it_seeded_before_seeds_nothing_twice() {
    let dir = tmp("demo");
    let db = format!("sqlite://{}", dir.join("d.db").display());
    let mut appids = Vec::new();
    for _ in 0..2 {
        let mut child = herald().args(["demo", "--listen", "127.0.0.1:0", "--database-url", &db]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = line_with(&mut lines, "herald listening on ").trim_start_matches("herald listening on ").to_string();
        appids.push(line_with(&mut lines, "  AppID:"));
        assert!(line_with(&mut lines, "The Herald app: open ").contains("herald-demo"));
        // The console's printed owner signs in with the printed password.
        let console = line_with(&mut lines, "The console: open ");
        assert!(console.contains("acme@example.com") && console.contains("herald-demo"), "{console}");
        let me = http(&url, "POST", "/herald/v1/console/signin", r#"{"email":"acme@example.com","password":"herald-demo"}"#, None);
        assert_eq!(me["owner"]["name"], "Acme Bank Ltd.", "{me}");
        // So does the printed agent, as a member of Acme with the agent's role (both runs).
        assert!(console.contains("kefu@example.com"), "{console}");
        let agent = http(&url, "POST", "/herald/v1/console/signin", r#"{"email":"kefu@example.com","password":"herald-demo"}"#, None);
        assert_eq!((agent["owner"]["name"].as_str(), agent["role"].as_str()), (Some("Acme Bank Ltd."), Some("agent")), "{agent}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert_eq!(appids[0], appids[1], "the second run found the first run's accounts");
    // HERALD_LISTEN is honoured by the demo too.
    let mut child = herald().args(["demo", "--database-url", &db]).env("HERALD_LISTEN", ":0").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = line_with(&mut lines, "herald listening on ");
    assert!(!first.ends_with(":8080"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn errors_are_one_line_and_an_unreachable_postgres_is_named_at_once() {
    let started = std::time::Instant::now();
    let out = herald().args(["migrate", "--database-url", "postgres://127.0.0.1:1/nothing"]).env("RUST_BACKTRACE", "1").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach PostgreSQL at 127.0.0.1:1"), "{err}");
    assert!(!err.contains("stack backtrace") && !err.contains("Stack backtrace") && err.lines().filter(|l| !l.trim().is_empty()).count() <= 2, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
}

/// `herald user …` and `herald clock …` drive a running Herald as the follower app does.
#[test]
fn triggers_act_as_a_follower() {
    let dir = tmp("triggers");
    let db = format!("sqlite://{}", dir.join("t.db").display());
    let op = "cli-operator-token-0123456789";
    let (mut child, url) = serve(&["--database-url", &db], &[("HERALD_OPERATOR_TOKEN", op), ("HERALD_CLOCK", "simulated"), ("HERALD_REQUEST_LOG", "true")]);
    let run = |args: &[&str]| -> serde_json::Value {
        let out = herald().args(args).env("HERALD_URL", &url).env("HERALD_OPERATOR_TOKEN", op).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // An account to act on, through the platform API.
    let body = r#"{"name":"CLI Bank","type":"service","owner":{"kind":"organisation","name":"C"},"verified":true}"#;
    let acc = http(&url, "POST", "/herald/v1/accounts", body, Some(op));
    let appid = acc["appid"].as_str().unwrap();
    let u = run(&["user", "create", "Ming", "--login", "ming", "--password", "correct horse"]);
    let id = u["id"].as_str().unwrap();
    let f = run(&["user", "follow", id, appid]);
    assert_eq!(f["subscribed"], true, "{f}");
    let m = run(&["user", "say", id, appid, "hello from the terminal"]);
    assert_eq!(m["body"]["content"], "hello from the terminal", "{m}");
    let l = run(&["user", "location", id, appid, "31.23", "121.47"]);
    assert_eq!(l["msgtype"], "event", "{l}");
    let w = run(&["user", "topup", id, "1234"]);
    assert_eq!(w["balance"], 1234, "{w}");
    let before = run(&["clock", "show"])["now"].as_i64().unwrap();
    let after = run(&["clock", "advance", "48h"])["now"].as_i64().unwrap();
    assert!((after - before - 172_800).abs() <= 2, "{before} -> {after}");
    // Faults from the terminal: a preset narrowed to one path, once.
    let f = run(&["fault", "add", "--preset", "system-busy", "--path", "/cgi-bin/getcallbackip", "--count", "1"]);
    assert_eq!((f["errcode"].as_i64(), f["remaining"].as_i64()), (Some(-1), Some(1)), "{f}");
    assert_eq!(run(&["fault", "list"])["faults"].as_array().unwrap().len(), 1);
    assert!(run(&["fault", "clear"])["cleared"].as_i64().unwrap() >= 1);
    run(&["user", "unfollow", id, appid]);
    // The request log shows what was done, one line per call.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let logs = herald().args(["logs"]).env("HERALD_URL", &url).env("HERALD_OPERATOR_TOKEN", op).output().unwrap();
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(text.contains("POST /herald/v1/users/") && text.contains("/messages 201"), "{text}");
    // A bad call fails with the platform's error, and the exit status says so.
    let bad = herald().args(["user", "say", "u_nobody", appid, "x"]).env("HERALD_URL", &url).env("HERALD_OPERATOR_TOKEN", op).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("404"), "{}", String::from_utf8_lossy(&bad.stderr));
    child.kill().unwrap();
    child.wait().unwrap();
}

fn pg_url(name: &str) -> Option<String> {
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    let ok = std::net::TcpStream::connect_timeout(&"127.0.0.1:5432".parse().unwrap(), std::time::Duration::from_secs(2)).is_ok();
    ok.then(|| format!("{}/herald_t_cli_{name}_{}", base.rsplit_once('/').unwrap().0, std::process::id()))
}

/// A seed file applied twice gives one copy, with the credentials it names (both backends).
#[test]
fn a_seed_file_applies_once_with_its_credentials() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed.yaml");
    let dir = tmp("seed");
    let mut dbs = vec![format!("sqlite://{}", dir.join("s.db").display())];
    dbs.extend(pg_url("seed"));
    for db in dbs {
        let apply = || {
            let out = herald().args(["apply-seed", seed, "--database-url", &db]).env("HERALD_LOG", "warn").output().unwrap();
            assert!(out.status.success(), "{db}: {}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        };
        let first = apply();
        assert!(first["created"].as_array().unwrap().len() >= 6, "{first}");
        let second = apply();
        assert_eq!(second["created"], serde_json::json!([]), "{db}: the second run created {}", second["created"]);
        // Served with --seed (a third application), the credentials work.
        let op = "seed-operator-token-0123456789";
        let (mut child, url) = serve(&["--database-url", &db, "--seed", seed], &[("HERALD_OPERATOR_TOKEN", op)]);
        let call = |method: &str, path: &str, body: &str, bearer: bool| http(&url, method, path, body, bearer.then_some(op));
        let tok = call("GET", "/cgi-bin/token?grant_type=client_credential&appid=wx0123456789abcdef&secret=0123456789abcdef0123456789abcdef", "", false);
        let tok = tok["access_token"].as_str().unwrap_or_else(|| panic!("{db}: {tok}")).to_string();
        let followers = call("GET", &format!("/cgi-bin/user/get?access_token={tok}"), "", false);
        assert_eq!(followers["total"], 2, "{db}: {followers}");
        let tags = call("GET", &format!("/cgi-bin/tags/get?access_token={tok}"), "", false);
        let vip = tags["tags"].as_array().unwrap().iter().find(|t| t["name"] == "vip").unwrap().clone();
        assert_eq!(vip["count"], 1, "{db}: {tags}");
        let accounts = call("GET", "/herald/v1/accounts", "", true);
        assert_eq!(accounts["accounts"].as_array().unwrap().len(), 2, "{db}: one copy");
        let signin = call("POST", "/herald/v1/auth/signin", r#"{"login":"alice","password":"correct horse"}"#, false);
        assert_eq!(signin["user"]["id"], "u_alice", "{db}: {signin}");
        let wallet = call("GET", "/herald/v1/users/u_alice/wallet", "", true);
        assert_eq!(wallet["balance"], 50000, "{db}: {wallet}");
        let m = call("GET", "/herald/v1/merchants/1900000109", "", true);
        assert_eq!((m["apiv3_key"].as_str(), m["balance"].as_i64()), (Some("0123456789abcdef0123456789abcdef"), Some(1_000_000)), "{db}: {m}");
        // A test suite's reset: what it added goes, the seed comes back.
        let extra = call("POST", "/herald/v1/users", r#"{"nickname":"Extra"}"#, true);
        let extra = extra["id"].as_str().unwrap().to_string();
        call("POST", "/herald/v1/users/u_alice/wallet/topup", r#"{"amount":1}"#, true);
        let out = herald().args(["reset"]).env("HERALD_URL", &url).env("HERALD_OPERATOR_TOKEN", "seed-operator-token-0123456789").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["reset"], true, "{r}");
        assert_eq!(call("GET", &format!("/herald/v1/users/{extra}"), "", true)["code"], "not_found");
        assert_eq!(call("GET", "/herald/v1/users/u_alice/wallet", "", true)["balance"], 50000);
        assert_eq!(call("GET", "/herald/v1/accounts", "", true)["accounts"].as_array().unwrap().len(), 2);
        let old = call("GET", &format!("/cgi-bin/user/get?access_token={tok}"), "", false);
        assert_ne!(old["errcode"], 0, "{db}: tokens issued before the reset are gone: {old}");
        let tok = call("GET", "/cgi-bin/token?grant_type=client_credential&appid=wx0123456789abcdef&secret=0123456789abcdef0123456789abcdef", "", false);
        assert!(tok["access_token"].is_string(), "{db}: {tok}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
