//! Integration tests: the real server on port 0, driven over HTTP, once per backend
//! (SQLite always; PostgreSQL whenever `HERALD_TEST_PG`, default
//! `postgres://127.0.0.1:5432/test`, is reachable).

mod accounts;
mod apicalls;
mod app;
mod broadcast;
mod console;
mod members;
mod conversations;
mod devserver;
mod faults;
mod miniprogram;
mod nodes;
mod openapi;
mod overview;
mod security;
mod tags;
mod templates;
mod tokens;
mod users;
mod wallet;
mod web;

use rand::distributions::{Alphanumeric, DistString};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const OPERATOR: &str = "test-operator-token-0123456789";

pub struct App {
    pub backend: &'static str,
    pub database_url: String,
    pub base: String,
    pub http: reqwest::Client,
    pub _running: herald_server::Running,
}

pub fn suffix() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 10).to_lowercase()
}

pub async fn pg_base() -> Option<String> {
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    let ok = tokio::time::timeout(std::time::Duration::from_secs(3), herald_store::PgStore::connect(&base)).await;
    match ok {
        Ok(Ok(_)) => Some(base),
        _ => {
            eprintln!("PostgreSQL not reachable at {base}: skipping the PostgreSQL run");
            None
        }
    }
}

pub fn config(database_url: &str) -> herald_server::Config {
    herald_server::Config {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.to_string(),
        clock: "simulated".into(),
        operator_token: Some(OPERATOR.into()),
        allow_private_callbacks: true,
        request_log: true,
        blob_dir: Some(std::env::temp_dir().join("herald-it-blobs").to_string_lossy().into_owned()),
        ..herald_server::Config::default()
    }
}

pub async fn start(backend: &'static str, database_url: String) -> App {
    start_with(backend, config(&database_url)).await
}

pub async fn start_with(backend: &'static str, cfg: herald_server::Config) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = herald_server::start(&cfg, listener).await.unwrap();
    App { backend, database_url: cfg.database_url.clone(), base: running.url(), http: reqwest::Client::new(), _running: running }
}

/// A fresh server per backend, each on its own new database.
pub async fn apps() -> Vec<App> {
    let path = std::env::temp_dir().join(format!("herald-it-{}.db", suffix()));
    let mut out = vec![start("sqlite", format!("sqlite://{}", path.display())).await];
    if let Some(base) = pg_base().await {
        let url = format!("{}/herald_t_it_{}", base.rsplit_once('/').unwrap().0, suffix());
        out.push(start("postgres", url).await);
    }
    out
}

impl App {
    pub async fn stop(self) {
        self._running.stop().await.unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A platform-API call as the operator: (status, body).
    pub async fn op(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, self.url(path)).bearer_auth(OPERATOR);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A WeChat API GET: body (always HTTP 200).
    pub async fn wx_get(&self, path_and_query: &str) -> Value {
        let resp = self.http.get(self.url(path_and_query)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path_and_query}");
        resp.json().await.unwrap()
    }

    /// A WeChat API POST with a JSON body sent as raw bytes with no Content-Type, as wechatpy does.
    pub async fn wx_post(&self, path_and_query: &str, body: Value) -> Value {
        let bytes = serde_json::to_vec(&body).unwrap();
        let resp = self.http.post(self.url(path_and_query)).body(bytes).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path_and_query}");
        resp.json().await.unwrap()
    }

    pub async fn account(&self, ty: &str, owner_kind: &str, verified: bool) -> Value {
        let (s, a) = self
            .op(
                "POST",
                "/herald/v1/accounts",
                Some(json!({"name": format!("{ty} {}", suffix()), "type": ty, "owner": {"kind": owner_kind, "name": "Owner"}, "verified": verified})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        a
    }

    pub async fn token(&self, account: &Value) -> String {
        let v = self
            .wx_get(&format!(
                "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
                account["appid"].as_str().unwrap(),
                account["app_secret"].as_str().unwrap()
            ))
            .await;
        v["access_token"].as_str().unwrap_or_else(|| panic!("no token: {v}")).to_string()
    }

    pub async fn user(&self, nickname: &str) -> String {
        let (s, u) = self.op("POST", "/herald/v1/users", Some(json!({"nickname": nickname}))).await;
        assert_eq!(s, StatusCode::CREATED);
        u["id"].as_str().unwrap().to_string()
    }

    /// Makes `user` follow the account; returns the openid.
    pub async fn follow(&self, user: &str, account: &Value) -> String {
        let (s, r) = self
            .op("POST", &format!("/herald/v1/users/{user}/follow"), Some(json!({"appid": account["appid"]})))
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        r["openid"].as_str().unwrap().to_string()
    }

    pub async fn advance(&self, seconds: i64) {
        let (s, _) = self.op("POST", "/herald/v1/clock", Some(json!({"advance": seconds}))).await;
        assert_eq!(s, StatusCode::OK);
    }

    /// Freezes the simulated clock so time only moves when a test says.
    pub async fn freeze(&self) {
        let (s, _) = self.op("POST", "/herald/v1/clock", Some(json!({"frozen": true}))).await;
        assert_eq!(s, StatusCode::OK);
    }
}

pub fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

/// A call from a browser holding a session (its own cookie jar), with the session's CSRF token
/// in `X-CSRF-Token` when `with_csrf`: the status and the JSON answer (null if none).
pub async fn session_call(http: &reqwest::Client, app: &App, csrf: &str, method: &str, path: &str, body: Option<Value>, with_csrf: bool) -> (StatusCode, Value) {
    let mut req = http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(path));
    if with_csrf {
        req = req.header("x-csrf-token", csrf);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}
