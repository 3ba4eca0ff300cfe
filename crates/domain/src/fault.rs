//! Faults on purpose: rules that make chosen calls fail the way WeChat fails, for the tests of
//! code that talks to WeChat. A rule matches calls by path (a glob with `*`), AppID and mchid,
//! within a time window and with a probability, at most `count` times; it answers an errcode
//! (WeChat's own message unless given), a v3 code, or an HTTP status, after a delay. A rule
//! with only a delay slows the call and lets it through. Pure: the server applies them.

use herald_wire::ErrCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FaultSpec {
    /// A path glob: `*` matches any run of characters (`/cgi-bin/*`, `/v3/pay/*`).
    pub path: String,
    pub appid: Option<String>,
    pub mchid: Option<String>,
    /// The WeChat errcode to answer (HTTP 200, as WeChat does).
    pub errcode: Option<i64>,
    /// Its errmsg; WeChat's own text for a known code when absent.
    pub errmsg: Option<String>,
    /// An HTTP status to answer (with a v3 `code` on `/v3/` paths).
    pub http_status: Option<u16>,
    /// WeChat Pay v3's error code (`SYSTEM_ERROR`, `FREQUENCY_LIMITED`, …).
    pub code: Option<String>,
    pub message: Option<String>,
    /// The chance a matching call fails, 0 to 1 (1 when absent).
    pub probability: Option<f64>,
    /// Milliseconds to wait before answering (or before letting the call through).
    pub delay_ms: u64,
    /// How many calls the rule fails at most (no limit when absent).
    pub count: Option<i64>,
    /// The window, in platform-clock Unix seconds.
    pub from: Option<i64>,
    pub until: Option<i64>,
}

/// What a matching call gets.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAnswer {
    /// `{"errcode": code, "errmsg": msg}` over HTTP 200.
    WxError(i64, String),
    /// `{"code", "message"}` with this status (WeChat Pay v3), or an empty body elsewhere.
    Status(u16, Option<(String, String)>),
    /// Only the delay: the call goes on.
    Through,
}

/// The presets for the cases SDKs branch on.
pub const PRESETS: &[(&str, &str)] = &[
    ("token-expired", "42001 access_token expired on every /cgi-bin call"),
    ("invalid-credential", "40001 on every /cgi-bin call"),
    ("system-busy", "-1 system error on every /cgi-bin call"),
    ("daily-quota", "45009 reach max api daily quota limit"),
    ("minute-quota", "45011 api minute-quota reach limit"),
    ("subscribe-refused", "43101 user refuse to accept the msg (subscribe messages)"),
    ("pay-system-error", "HTTP 500 SYSTEM_ERROR on /v3/*"),
    ("pay-frequency-limited", "HTTP 429 FREQUENCY_LIMITED on /v3/*"),
    ("slow", "a 3-second delay on every /cgi-bin call"),
];

/// A preset as a spec (its path overridable by the caller afterwards).
pub fn preset(name: &str) -> Option<FaultSpec> {
    let wx = |code: i64, path: &str| FaultSpec { path: path.into(), errcode: Some(code), ..FaultSpec::default() };
    let pay = |status: u16, code: &str, msg: &str| FaultSpec {
        path: "/v3/*".into(),
        http_status: Some(status),
        code: Some(code.into()),
        message: Some(msg.into()),
        ..FaultSpec::default()
    };
    Some(match name {
        "token-expired" => wx(42001, "/cgi-bin/*"),
        "invalid-credential" => wx(40001, "/cgi-bin/*"),
        "system-busy" => wx(-1, "/cgi-bin/*"),
        "daily-quota" => wx(45009, "/cgi-bin/*"),
        "minute-quota" => wx(45011, "/cgi-bin/*"),
        "subscribe-refused" => FaultSpec { errmsg: Some("user refuse to accept the msg".into()), ..wx(43101, "/cgi-bin/message/subscribe/send") },
        "pay-system-error" => pay(500, "SYSTEM_ERROR", "系统错误"),
        "pay-frequency-limited" => pay(429, "FREQUENCY_LIMITED", "频率超限"),
        "slow" => FaultSpec { path: "/cgi-bin/*".into(), delay_ms: 3000, ..FaultSpec::default() },
        _ => return None,
    })
}

impl FaultSpec {
    /// Refuses rules that could never act, or act unreasonably.
    pub fn check(&self) -> Result<(), String> {
        if self.path.is_empty() || !self.path.starts_with('/') {
            return Err("path is a glob starting with / (e.g. /cgi-bin/user/*)".into());
        }
        if self.path.starts_with("/herald/") {
            return Err("faults apply to the WeChat-compatible APIs, not the platform API".into());
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability is between 0 and 1".into());
            }
        }
        if self.delay_ms > 60_000 {
            return Err("delay_ms is at most 60000".into());
        }
        if let Some(s) = self.http_status {
            if !(100..=599).contains(&s) {
                return Err("http_status is an HTTP status".into());
            }
        }
        if self.count.is_some_and(|c| c < 1) {
            return Err("count is at least 1".into());
        }
        if self.errcode.is_none() && self.http_status.is_none() && self.delay_ms == 0 {
            return Err("a fault answers an errcode or an http_status, or delays the call".into());
        }
        Ok(())
    }

    /// Does a call to `path` (by `appid` or `mchid`, at `now`) match?
    pub fn matches(&self, path: &str, appid: Option<&str>, mchid: Option<&str>, now: i64) -> bool {
        glob(&self.path, path)
            && self.appid.as_deref().is_none_or(|a| appid == Some(a))
            && self.mchid.as_deref().is_none_or(|m| mchid == Some(m))
            && self.from.is_none_or(|f| now >= f)
            && self.until.is_none_or(|u| now < u)
    }

    /// What the call gets once the rule applies.
    pub fn answer(&self, path: &str) -> FaultAnswer {
        if let Some(code) = self.errcode {
            let msg = self.errmsg.clone().unwrap_or_else(|| ErrCode::from_code(code).map_or("system error", |c| c.message()).to_string());
            return FaultAnswer::WxError(code, msg);
        }
        if let Some(status) = self.http_status {
            let body = path.starts_with("/v3/").then(|| {
                (self.code.clone().unwrap_or_else(|| "SYSTEM_ERROR".into()), self.message.clone().unwrap_or_else(|| "系统错误".into()))
            });
            return FaultAnswer::Status(status, body);
        }
        FaultAnswer::Through
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("/cgi-bin/*", "/cgi-bin/user/get"));
        assert!(glob("/cgi-bin/user/get", "/cgi-bin/user/get"));
        assert!(!glob("/cgi-bin/user/get", "/cgi-bin/user/get2"));
        assert!(glob("/cgi-bin/*/get", "/cgi-bin/user/get"));
        assert!(!glob("/cgi-bin/*/get", "/cgi-bin/user/info"));
        assert!(glob("*", "/anything"));
        assert!(!glob("/v3/*", "/cgi-bin/token"));
        assert!(glob("/a*b*c", "/aXbYc") && !glob("/a*b*c", "/aXc"));
    }

    #[test]
    fn rules_match_and_answer() {
        let r = FaultSpec { path: "/cgi-bin/user/*".into(), appid: Some("wx1".into()), errcode: Some(42001), until: Some(100), ..FaultSpec::default() };
        assert!(r.check().is_ok());
        assert!(r.matches("/cgi-bin/user/get", Some("wx1"), None, 50));
        assert!(!r.matches("/cgi-bin/user/get", Some("wx2"), None, 50));
        assert!(!r.matches("/cgi-bin/user/get", Some("wx1"), None, 100), "the window is over");
        assert_eq!(r.answer("/cgi-bin/user/get"), FaultAnswer::WxError(42001, "access_token expired".into()));
        let p = preset("pay-system-error").unwrap();
        assert_eq!(p.answer("/v3/pay/transactions/native"), FaultAnswer::Status(500, Some(("SYSTEM_ERROR".into(), "系统错误".into()))));
        assert_eq!(preset("slow").unwrap().answer("/cgi-bin/token"), FaultAnswer::Through);
        for (name, _) in PRESETS {
            assert!(preset(name).unwrap().check().is_ok(), "{name}");
        }
        assert!(FaultSpec { path: "/herald/v1/users".into(), errcode: Some(1), ..FaultSpec::default() }.check().is_err());
        assert!(FaultSpec { path: "/cgi-bin/*".into(), ..FaultSpec::default() }.check().is_err(), "does nothing");
        assert!(FaultSpec { path: "/cgi-bin/*".into(), errcode: Some(1), probability: Some(1.5), ..FaultSpec::default() }.check().is_err());
    }
}
