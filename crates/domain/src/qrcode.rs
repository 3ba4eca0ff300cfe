//! Parametric QR codes and short keys: what `qrcode/create` and `shorten/gen` accept, the
//! shapes of tickets and keys, and what a scan of a code means.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use serde_json::Value;

use crate::{ErrCode, WxError};
use herald_wire::lenient::int_value;

/// Temporary codes live at most 30 days; without `expire_seconds`, 60 seconds.
pub const MAX_EXPIRE_SECS: i64 = 30 * 86_400;
pub const DEFAULT_EXPIRE_SECS: i64 = 60;
/// Permanent codes per account, and the range of permanent numeric scenes.
pub const MAX_PERMANENT: i64 = 100_000;
pub const MAX_SCENE_STR_CHARS: usize = 64;
/// Short keys: data up to 4 KB, kept up to 30 days (the default).
pub const MAX_LONG_DATA_BYTES: usize = 4096;
/// The action of every account's own code (not a WeChat action name).
pub const ACCOUNT_ACTION: &str = "QR_ACCOUNT";

/// A code's scene: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scene {
    Id(i64),
    Str(String),
}

impl Scene {
    /// The `EventKey` value (without the `qrscene_` prefix a subscribe adds).
    pub fn key(&self) -> String {
        match self {
            Scene::Id(i) => i.to_string(),
            Scene::Str(s) => s.clone(),
        }
    }
}

/// A checked `qrcode/create` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrRequest {
    pub action: String,
    pub scene: Scene,
    pub permanent: bool,
    /// Temporary codes only.
    pub expire_seconds: Option<i64>,
}

fn bad(detail: impl Into<String>) -> WxError {
    WxError::with_detail(ErrCode::InvalidActionInfo, format!("invalid action info: {}", detail.into()))
}

/// Reads a `qrcode/create` body. Temporary `scene_id` is any non-zero 32-bit number;
/// permanent ones are 1 to 100000; `scene_str` is 1 to 64 characters. `expire_seconds` above
/// 30 days is cut to 30 days, as WeChat does.
pub fn parse_create(body: &Value) -> Result<QrRequest, WxError> {
    let action = body.get("action_name").and_then(Value::as_str).unwrap_or("");
    let scene = body.get("action_info").and_then(|a| a.get("scene"));
    let scene_id = || int_value(scene.and_then(|s| s.get("scene_id")));
    let scene_str = || scene.and_then(|s| s.get("scene_str")).and_then(Value::as_str).unwrap_or("").to_string();
    let check_str = |s: String| {
        let n = s.chars().count();
        if n == 0 || n > MAX_SCENE_STR_CHARS {
            Err(bad(format!("scene_str must be 1 to {MAX_SCENE_STR_CHARS} characters")))
        } else {
            Ok(Scene::Str(s))
        }
    };
    let (permanent, scene) = match action {
        "QR_SCENE" => match scene_id() {
            Some(i) if i != 0 && i32::try_from(i).is_ok() || (i > 0 && u32::try_from(i).is_ok()) => (false, Scene::Id(i)),
            _ => return Err(bad("scene_id must be a non-zero 32-bit number")),
        },
        "QR_LIMIT_SCENE" => match scene_id() {
            Some(i) if (1..=MAX_PERMANENT).contains(&i) => (true, Scene::Id(i)),
            _ => return Err(bad(format!("scene_id must be 1 to {MAX_PERMANENT}"))),
        },
        "QR_STR_SCENE" => (false, check_str(scene_str())?),
        "QR_LIMIT_STR_SCENE" => (true, check_str(scene_str())?),
        other => return Err(bad(format!("unknown action_name {other:?}"))),
    };
    let expire_seconds = if permanent {
        None
    } else {
        match int_value(body.get("expire_seconds")) {
            None | Some(0) => Some(DEFAULT_EXPIRE_SECS),
            Some(s) if s < 0 => return Err(WxError::with_detail(ErrCode::InvalidParameter, "expire_seconds must be positive")),
            Some(s) => Some(s.min(MAX_EXPIRE_SECS)),
        }
    };
    Ok(QrRequest { action: action.to_string(), scene, permanent, expire_seconds })
}

/// A ticket, shaped like WeChat's (base64-like, ending in `==`). It has no `+`, which some
/// SDKs (wechat-api's `showQRCodeURL`) put into URLs unencoded, where it would read as a space.
pub fn ticket(rng: &mut impl Rng) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..70).map(|_| rng.gen()).collect();
    format!("gQ{}", base64::engine::general_purpose::STANDARD.encode(bytes).replace('+', "/"))
}

/// The key in a code's url (`/q/<key>`).
pub fn url_key(rng: &mut impl Rng) -> String {
    Alphanumeric.sample_string(rng, 22)
}

/// A short key for `shorten/gen`.
pub fn short_key(rng: &mut impl Rng) -> String {
    Alphanumeric.sample_string(rng, 28)
}

/// Reads a `shorten/gen` body: (long_data, expire_seconds).
pub fn parse_shorten(body: &Value) -> Result<(String, i64), WxError> {
    let data = body.get("long_data").and_then(Value::as_str).unwrap_or("");
    if data.is_empty() || data.len() > MAX_LONG_DATA_BYTES {
        return Err(WxError::with_detail(ErrCode::InvalidParameter, format!("long_data must be 1 to {MAX_LONG_DATA_BYTES} bytes")));
    }
    let secs = match int_value(body.get("expire_seconds")) {
        None | Some(0) => MAX_EXPIRE_SECS,
        Some(s) if !(1..=MAX_EXPIRE_SECS).contains(&s) => {
            return Err(WxError::with_detail(ErrCode::InvalidParameter, format!("expire_seconds must be 1 to {MAX_EXPIRE_SECS}")))
        }
        Some(s) => s,
    };
    Ok((data.to_string(), secs))
}

/// What a scan of an account's code by a user raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// A new follower: subscribe, with `qrscene_<scene>` and the ticket for parametric codes.
    Subscribe { event_key: Option<String>, ticket: Option<String> },
    /// A follower scanned a parametric code.
    Scan { event_key: String, ticket: String },
    /// A follower scanned the account's own code: the chat opens, no event.
    Open,
}

/// The outcome of `scene` (None for the account's own code) scanned by a follower or not.
pub fn scan_outcome(scene: Option<&Scene>, ticket: &str, following: bool) -> ScanOutcome {
    match (scene, following) {
        (None, false) => ScanOutcome::Subscribe { event_key: None, ticket: None },
        (None, true) => ScanOutcome::Open,
        (Some(s), false) => ScanOutcome::Subscribe { event_key: Some(format!("qrscene_{}", s.key())), ticket: Some(ticket.to_string()) },
        (Some(s), true) => ScanOutcome::Scan { event_key: s.key(), ticket: ticket.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_requests_are_checked() {
        let r = parse_create(&json!({"expire_seconds": 1800, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})).unwrap();
        assert_eq!((r.permanent, r.scene.clone(), r.expire_seconds), (false, Scene::Id(123), Some(1800)));
        let r = parse_create(&json!({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "abc"}}})).unwrap();
        assert_eq!(r.expire_seconds, Some(60));
        let r = parse_create(&json!({"expire_seconds": 99_999_999, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 1}}})).unwrap();
        assert_eq!(r.expire_seconds, Some(MAX_EXPIRE_SECS));
        let r = parse_create(&json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x".repeat(64)}}})).unwrap();
        assert!(r.permanent && r.expire_seconds.is_none());
        for bad in [
            json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}}),
            json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 0}}}),
            json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 0}}}),
            json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x".repeat(65)}}}),
            json!({"action_name": "QR_STR_SCENE", "action_info": {"scene": {}}}),
            json!({"action_name": "QR_ANY", "action_info": {"scene": {"scene_id": 1}}}),
        ] {
            assert_eq!(parse_create(&bad).unwrap_err().code, ErrCode::InvalidActionInfo, "{bad}");
        }
    }

    #[test]
    fn scans_raise_the_right_event() {
        let s = Scene::Id(42);
        assert_eq!(
            scan_outcome(Some(&s), "T", false),
            ScanOutcome::Subscribe { event_key: Some("qrscene_42".into()), ticket: Some("T".into()) }
        );
        assert_eq!(scan_outcome(Some(&s), "T", true), ScanOutcome::Scan { event_key: "42".into(), ticket: "T".into() });
        assert_eq!(scan_outcome(None, "T", true), ScanOutcome::Open);
    }

    #[test]
    fn tickets_need_url_encoding_and_keys_do_not() {
        let mut r = rand::thread_rng();
        let t = ticket(&mut r);
        assert!(t.len() > 90 && t.starts_with("gQ") && t.ends_with("==") && !t.contains('+'));
        assert!(url_key(&mut r).chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
