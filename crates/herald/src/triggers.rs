//! `herald user …` and `herald clock …`: a follower's actions and the clock, from the command
//! line, through a running Herald's platform API exactly as the follower app does them.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// Where the running Herald is and the operator's credential.
#[derive(Args, Clone)]
pub struct Target {
    /// The running Herald's URL.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8080", global = true)]
    pub url: String,
    /// The operator token (printed by `herald serve` and the demo).
    #[arg(long, env = "HERALD_OPERATOR_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// A new user (with a login and password for the app when given); prints it.
    Create {
        nickname: String,
        #[arg(long)]
        login: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// USER follows APPID (scene: a subscribe_scene, ADD_SCENE_SEARCH by default).
    Follow { user: String, appid: String, #[arg(long)] scene: Option<String> },
    Unfollow { user: String, appid: String },
    /// USER sends TEXT to APPID.
    Say { user: String, appid: String, text: String },
    /// USER scans a code: its url (a QR code's or a payment code_url), a ticket, or a picture.
    Scan {
        user: String,
        #[arg(long = "code-url", group = "code")]
        code_url: Option<String>,
        #[arg(long, group = "code")]
        ticket: Option<String>,
        #[arg(long, group = "code")]
        image: Option<std::path::PathBuf>,
    },
    /// USER taps APPID's menu button PATH ("1" for the second top-level button, "1.0" for its
    /// first sub-button).
    Tap {
        user: String,
        appid: String,
        path: String,
        /// scancode_*: what was scanned.
        #[arg(long)]
        scan_result: Option<String>,
        /// location_select: latitude,longitude[,label].
        #[arg(long)]
        location: Option<String>,
    },
    /// USER reports a location to APPID (the LOCATION event).
    Location { user: String, appid: String, latitude: f64, longitude: f64, #[arg(long, default_value_t = 30.0)] precision: f64 },
    /// USER pays an order: a prepay_id, a Native code_url or an h5_url.
    Pay { user: String, order: String },
    /// USER opens a red packet.
    OpenRedpack { user: String, send_listid: String },
    /// USER's wallet gets AMOUNT fen (the sandbox's top-up).
    Topup { user: String, amount: i64 },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum FaultCmd {
    /// A rule: calls matching --path (a glob) [--appid] [--mchid] answer --errcode (WeChat's
    /// message unless --errmsg) or --status (with --code on /v3/), after --delay ms, with
    /// --probability, at most --count times; or a --preset (list shows them) refined by these.
    Add {
        #[arg(long)]
        preset: Option<String>,
        #[arg(long)]
        path: Option<String>,
        #[arg(long)]
        appid: Option<String>,
        #[arg(long)]
        mchid: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        errcode: Option<i64>,
        #[arg(long)]
        errmsg: Option<String>,
        #[arg(long)]
        status: Option<u16>,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        probability: Option<f64>,
        #[arg(long)]
        delay: Option<u64>,
        #[arg(long)]
        count: Option<i64>,
    },
    /// The rules in force and the presets.
    List,
    /// Removes one rule.
    Rm { id: i64 },
    /// Removes every rule.
    Clear,
}

#[derive(Subcommand)]
pub enum ClockCmd {
    /// The platform clock.
    Show,
    /// Moves the simulated clock: 90s, 15m, 48h, 7d (or seconds); negative goes back.
    Advance { by: String },
    /// Sets the simulated clock to a Unix time.
    Set { unix: i64 },
    /// Freezes (or with --run, releases) the simulated clock.
    Freeze { #[arg(long)] run: bool },
}

/// Seconds in "90s", "15m", "48h", "7d", "-2h" or a plain number.
pub fn duration_secs(s: &str) -> anyhow::Result<i64> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let n: i64 = num.parse().with_context(|| format!("{s:?} is not a duration like 90s, 15m, 48h or 7d"))?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => bail!("{s:?}: the unit is s, m, h or d"),
    };
    n.checked_mul(scale).context("that duration is too long")
}

pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Api {
    pub(crate) fn new(t: &Target) -> anyhow::Result<Api> {
        let token = t.token.clone().context("the operator token is needed: --token or HERALD_OPERATOR_TOKEN")?;
        Ok(Api { http: reqwest::Client::new(), base: t.url.trim_end_matches('/').to_string(), token })
    }

    pub(crate) async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.with_context(|| format!("cannot reach Herald at {}", self.base))?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{} {}: {}", status.as_u16(), v["code"].as_str().unwrap_or(""), v["message"].as_str().unwrap_or(""));
        }
        Ok(v)
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

fn user_path(user: &str, rest: &str) -> String {
    format!("/herald/v1/users/{}{rest}", url_segment(user))
}

fn url_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn user(t: &Target, cmd: UserCmd) -> anyhow::Result<Value> {
    let api = Api::new(t)?;
    match cmd {
        UserCmd::Create { nickname, login, password } => {
            let u = api.post("/herald/v1/users", json!({"nickname": nickname})).await?;
            if let (Some(login), Some(password)) = (login, password) {
                let id = u["id"].as_str().unwrap_or_default();
                api.post(&user_path(id, "/login"), json!({"login": login, "password": password})).await?;
            }
            Ok(u)
        }
        UserCmd::Follow { user, appid, scene } => api.post(&user_path(&user, "/follow"), json!({"appid": appid, "scene": scene})).await,
        UserCmd::Unfollow { user, appid } => api.post(&user_path(&user, "/unfollow"), json!({"appid": appid})).await,
        UserCmd::Say { user, appid, text } => api.post(&user_path(&user, "/messages"), json!({"appid": appid, "msgtype": "text", "content": text})).await,
        UserCmd::Scan { user, code_url, ticket, image } => {
            let body = match (code_url, ticket, image) {
                (Some(u), _, _) => json!({"url": u}),
                (_, Some(t), _) => json!({"ticket": t}),
                (_, _, Some(p)) => {
                    use base64::Engine;
                    let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                    json!({"image": base64::engine::general_purpose::STANDARD.encode(bytes)})
                }
                _ => bail!("give --url, --ticket or --image"),
            };
            api.post(&user_path(&user, "/scan"), body).await
        }
        UserCmd::Tap { user, appid, path, scan_result, location } => {
            let path: Vec<usize> = path.split('.').map(|p| p.parse().with_context(|| format!("{p:?} in the path is not a number"))).collect::<anyhow::Result<_>>()?;
            let mut body = json!({"path": path});
            if let Some(s) = scan_result {
                body["scan_type"] = json!("qrcode");
                body["scan_result"] = json!(s);
            }
            if let Some(l) = location {
                let parts: Vec<&str> = l.splitn(3, ',').collect();
                let num = |i: usize| parts.get(i).and_then(|v| v.trim().parse::<f64>().ok()).context("--location is latitude,longitude[,label]");
                body["location"] = json!({"latitude": num(0)?, "longitude": num(1)?, "label": parts.get(2).unwrap_or(&""), "poiname": parts.get(2).unwrap_or(&"")});
            }
            api.post(&format!("/herald/v1/users/{}/menus/{}/tap", url_segment(&user), url_segment(&appid)), body).await
        }
        UserCmd::Location { user, appid, latitude, longitude, precision } => {
            api.post(&user_path(&user, "/events"), json!({"appid": appid, "event": "LOCATION", "latitude": latitude, "longitude": longitude, "precision": precision})).await
        }
        UserCmd::Pay { user, order } => {
            let body = if order.starts_with("weixin://") {
                json!({"code_url": order})
            } else if order.starts_with("http") {
                json!({"h5_url": order})
            } else {
                json!({"prepay_id": order})
            };
            api.post(&user_path(&user, "/payments"), body).await
        }
        UserCmd::OpenRedpack { user, send_listid } => api.post(&user_path(&user, &format!("/redpacks/{}/open", url_segment(&send_listid))), json!({})).await,
        UserCmd::Topup { user, amount } => api.post(&user_path(&user, "/wallet/topup"), json!({"amount": amount})).await,
    }
}

pub async fn fault(t: &Target, cmd: FaultCmd) -> anyhow::Result<Value> {
    let api = Api::new(t)?;
    match cmd {
        FaultCmd::Add { preset, path, appid, mchid, errcode, errmsg, status, code, probability, delay, count } => {
            let body = json!({"preset": preset, "path": path, "appid": appid, "mchid": mchid, "errcode": errcode, "errmsg": errmsg,
                              "http_status": status, "code": code, "probability": probability, "delay_ms": delay, "count": count});
            api.post("/herald/v1/faults", body).await
        }
        FaultCmd::List => api.call(reqwest::Method::GET, "/herald/v1/faults", None).await,
        FaultCmd::Rm { id } => api.call(reqwest::Method::DELETE, &format!("/herald/v1/faults/{id}"), None).await,
        FaultCmd::Clear => api.call(reqwest::Method::DELETE, "/herald/v1/faults", None).await,
    }
}

/// `herald logs`: recorded calls, one line each (`--json` for the records); `--follow` keeps
/// printing new ones.
pub async fn logs(t: &Target, appid: Option<String>, follow: bool, json_out: bool) -> anyhow::Result<()> {
    let api = Api::new(t)?;
    let mut after = 0i64;
    loop {
        let q = format!("/herald/v1/logs?after={after}&limit=500{}", appid.as_deref().map(|a| format!("&appid={}", url_segment(a))).unwrap_or_default());
        let page = api.call(reqwest::Method::GET, &q, None).await?;
        for c in page["calls"].as_array().into_iter().flatten() {
            if json_out {
                println!("{c}");
            } else {
                let secs = c["at_ms"].as_i64().unwrap_or(0) / 1000;
                let fault = c["fault"].as_i64().map(|f| format!(" fault #{f}")).unwrap_or_default();
                let who = c["appid"].as_str().or(c["mchid"].as_str()).unwrap_or("-");
                let errcode = c["errcode"].as_i64().map(|e| format!(" errcode {e}")).unwrap_or_default();
                println!("{secs} {who} {} {} {}{errcode} {} ms{fault}", c["method"].as_str().unwrap_or(""), c["path"].as_str().unwrap_or(""), c["status"], c["latency_ms"]);
            }
        }
        after = page["next"].as_i64().unwrap_or(after);
        if !follow {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

pub async fn reset(t: &Target) -> anyhow::Result<Value> {
    Api::new(t)?.post("/herald/v1/reset", json!({})).await
}

pub async fn clock(t: &Target, cmd: ClockCmd) -> anyhow::Result<Value> {
    let api = Api::new(t)?;
    match cmd {
        ClockCmd::Show => api.call(reqwest::Method::GET, "/herald/v1/clock", None).await,
        ClockCmd::Advance { by } => api.post("/herald/v1/clock", json!({"advance": duration_secs(&by)?})).await,
        ClockCmd::Set { unix } => api.post("/herald/v1/clock", json!({"set": unix})).await,
        ClockCmd::Freeze { run } => api.post("/herald/v1/clock", json!({"frozen": !run})).await,
    }
}

#[cfg(test)]
mod tests {
    use super::duration_secs;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("48h").unwrap(), 172_800);
        assert_eq!(duration_secs("90s").unwrap(), 90);
        assert_eq!(duration_secs("15m").unwrap(), 900);
        assert_eq!(duration_secs("7d").unwrap(), 604_800);
        assert_eq!(duration_secs("-2h").unwrap(), -7200);
        assert_eq!(duration_secs("30").unwrap(), 30);
        assert!(duration_secs("2w").is_err() && duration_secs("h").is_err());
    }
}
