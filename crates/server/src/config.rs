//! Settings. Built-in defaults, then an optional TOML file, then `HERALD_*` environment
//! variables (loaded by the `herald` binary); tests build a `Config` directly.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub database_url: String,
    /// `real`, or `simulated` for a clock the operator can set and advance.
    pub clock: String,
    /// The operator's bearer credential for the platform API. When unset, one is generated
    /// once, stored in the database (so every node shares it) and printed at start.
    pub operator_token: Option<String>,
    /// The URL users and SDKs reach this server at; defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// Address of the content origin's listener: articles, mass-message pages and uploaded
    /// files, everything a business or developer authors, served where no session cookie is
    /// read and no user endpoint answers. Defaults to the main address with the port plus one
    /// (port 0 stays 0: a free port).
    pub content_listen: Option<String>,
    /// The URL browsers reach the content origin at (behind a proxy: a host name of its own,
    /// ideally on another registrable domain); defaults to `http://<content_listen>`.
    pub content_url: Option<String>,
    /// Allow developer-server URLs on loopback, private and link-local addresses (tests, demos,
    /// a developer server on the same machine). Off by default.
    pub allow_private_callbacks: bool,
    /// The addresses callbacks leave from, comma-separated, as `/cgi-bin/getcallbackip`
    /// reports them for developer servers' allow-lists. Defaults to loopback and this node's
    /// primary outbound address; set it when nodes send through other addresses (NAT, several
    /// nodes).
    pub callback_ips: Option<String>,
    /// Run the delivery worker in this process (turn off for API-only nodes).
    pub worker: bool,
    /// Followers may top up their own wallets (the sandbox's money from nowhere). Turn off on a
    /// platform where wallets hold real money: then only the operator funds wallets.
    pub self_topup: bool,
    /// Record every WeChat-compatible and platform call in the request log (`herald logs`).
    /// Off by default in `serve` (it halves user/info's throughput on two cores); the demo
    /// turns it on.
    pub request_log: bool,
    /// How many days the request log keeps calls (each account's API call log in the console
    /// reads it), 1 to 90.
    pub request_log_days: i64,
    /// At most how many calls the request log keeps (the newest).
    pub request_log_rows: i64,
    /// Log one line per request at `info` (the demo does; `serve` only when asked).
    pub log_requests: bool,
    /// Directory for uploaded files (content-addressed). Nodes sharing a database must share
    /// it. Defaults to `<database file>-blobs` for SQLite and `herald-blobs` otherwise.
    pub blob_dir: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://herald.db".into(),
            clock: "real".into(),
            operator_token: None,
            public_url: None,
            content_listen: None,
            content_url: None,
            allow_private_callbacks: false,
            callback_ips: None,
            worker: true,
            self_topup: true,
            log_requests: false,
            request_log: false,
            request_log_days: 1,
            request_log_rows: 100_000,
            blob_dir: None,
        }
    }
}

impl Config {
    pub fn simulated_clock(&self) -> bool {
        self.clock == "simulated"
    }

    /// Where uploaded files go (see `blob_dir`).
    pub fn blob_dir(&self) -> std::path::PathBuf {
        if let Some(d) = &self.blob_dir {
            return d.into();
        }
        let url = &self.database_url;
        let file = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).map(|r| r.split('?').next().unwrap_or(r));
        match file {
            Some(f) if !f.is_empty() && f != ":memory:" && !url.contains("mode=memory") => format!("{f}-blobs").into(),
            Some(_) => std::env::temp_dir().join(format!("herald-blobs-{}", std::process::id())),
            None => "herald-blobs".into(),
        }
    }

    /// The address to bind: `:PORT` (no host) means 127.0.0.1:PORT, so `:0` picks a free
    /// port on this machine.
    pub fn listen_addr(&self) -> String {
        normalize_addr(&self.listen)
    }

    /// Where the content origin listens (see `content_listen`).
    pub fn content_listen(&self) -> String {
        if let Some(l) = &self.content_listen {
            return normalize_addr(l);
        }
        let listen = self.listen_addr();
        match listen.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(0) => format!("{host}:0"),
                Ok(p) => format!("{host}:{}", p.saturating_add(1)),
                Err(_) => listen.clone(),
            },
            None => listen.clone(),
        }
    }

    /// The settings as `herald config` prints them: secrets masked.
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        c.operator_token = c.operator_token.as_deref().map(mask_secret);
        c.database_url = mask_url_password(&c.database_url);
        c
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            matches!(self.clock.as_str(), "real" | "simulated"),
            "clock must be \"real\" or \"simulated\", not {:?}",
            self.clock
        );
        anyhow::ensure!(
            herald_store::Backend::of_url(&self.database_url).is_some(),
            "database_url must start with sqlite:// or postgres://, not {:?}",
            self.database_url
        );
        if let Some(t) = &self.operator_token {
            anyhow::ensure!(t.len() >= 16, "operator_token must be at least 16 characters");
        }
        anyhow::ensure!((1..=90).contains(&self.request_log_days), "request_log_days must be 1 to 90, not {}", self.request_log_days);
        anyhow::ensure!((1_000..=100_000_000).contains(&self.request_log_rows), "request_log_rows must be 1000 to 100000000, not {}", self.request_log_rows);
        Ok(())
    }
}

/// `:PORT` is 127.0.0.1:PORT; anything else is as written.
fn normalize_addr(a: &str) -> String {
    match a.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => a.to_string(),
    }
}

/// A secret shown as its first four characters and a mask (enough to tell two apart).
pub fn mask_secret(s: &str) -> String {
    let head: String = s.chars().take(4).collect();
    format!("{head}…(masked)")
}

/// A URL with its password, if any, replaced by `***`.
pub fn mask_url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_listens_beside_the_app() {
        let mut c = Config::default();
        assert_eq!(c.content_listen(), "127.0.0.1:8081");
        c.listen = "[::1]:0".into();
        assert_eq!(c.content_listen(), "[::1]:0");
        c.content_listen = Some("0.0.0.0:9000".into());
        assert_eq!(c.content_listen(), "0.0.0.0:9000");
        let c = Config { listen: ":0".into(), ..Config::default() };
        assert_eq!((c.listen_addr(), c.content_listen()), ("127.0.0.1:0".into(), "127.0.0.1:0".into()));
    }

    #[test]
    fn secrets_are_masked() {
        let c = Config {
            operator_token: Some("hop_supersecretvalue123".into()),
            database_url: "postgres://herald:s3cret@db.example:5432/herald".into(),
            ..Config::default()
        };
        let shown = serde_json::to_string(&c.masked()).unwrap();
        assert!(!shown.contains("supersecret") && !shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://herald:***@db.example:5432/herald") && shown.contains("hop_"), "{shown}");
        assert_eq!(mask_url_password("sqlite://herald.db"), "sqlite://herald.db");
    }
}
