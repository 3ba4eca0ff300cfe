//! The request log (issue 29): every WeChat-compatible and platform call a node answers, with
//! its time, AppID or mchid, path, status, errcode, latency, the fault rule that answered it,
//! and both bodies with secrets masked and cut to 4 KiB; written in batches by a background
//! task (a full queue drops entries rather than slow calls down), kept to the newest 100,000
//! and the last day (`request_log_rows`, `request_log_days`); read with `GET /herald/v1/logs`
//! and `herald logs [--follow]`, and each account's calls in the console (`api_calls`).

use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::Response;
use axum::Json;
use herald_store::LoggedCall;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::error::ApiResult;
use crate::extract::Operator;
use crate::state::AppState;

const TEXT_MAX: usize = 4096;
const BODY_MAX: u64 = 64 << 10;
const SECRET_KEYS: &[&str] = &[
    "secret", "app_secret", "appsecret", "access_token", "refresh_token", "password", "current", "apiv3_key", "api_key",
    "private_key", "csrf_token", "token", "encoding_aes_key", "ticket", "code", "sign", "signature", "paySign", "totp", "invite_token",
];

/// The fault rule that answered a call (set by `faults::apply` on its response).
#[derive(Clone, Copy)]
pub struct AppliedFault(pub i64);

/// Where calls go to be written.
#[derive(Clone)]
pub struct RequestLog {
    tx: mpsc::Sender<LoggedCall>,
    /// How many days calls are kept.
    pub keep_days: i64,
}

impl RequestLog {
    /// The log and its writer task.
    pub fn start(store: std::sync::Arc<dyn herald_store::Store>, keep_days: i64, keep_rows: i64) -> RequestLog {
        let keep_ms = keep_days * 24 * 3600 * 1000;
        let (tx, mut rx) = mpsc::channel::<LoggedCall>(8192);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(512);
            loop {
                match rx.recv().await {
                    Some(c) => batch.push(c),
                    None => return,
                }
                let deadline = tokio::time::sleep(Duration::from_millis(100));
                tokio::pin!(deadline);
                while batch.len() < 512 {
                    tokio::select! {
                        c = rx.recv() => match c { Some(c) => batch.push(c), None => break },
                        _ = &mut deadline => break,
                    }
                }
                let now = crate::clock::system_now_ms();
                if let Err(e) = store.log_calls(&batch, keep_rows, now - keep_ms).await {
                    tracing::warn!(error = %e, dropped = batch.len(), "writing the request log failed");
                }
                batch.clear();
            }
        });
        RequestLog { tx, keep_days }
    }
}

fn logged(path: &str) -> bool {
    let api = ["/cgi-bin/", "/sns/", "/wxa/", "/v3/", "/mmpaymkttransfers/", "/sandboxnew/", "/herald/v1/"].iter().any(|p| path.starts_with(p));
    api && !path.starts_with("/herald/v1/logs") && !path.ends_with("/live") && path != "/herald/v1/health"
}

/// A query string with secret values masked.
pub fn mask_query(q: &str) -> String {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| if SECRET_KEYS.contains(&k.as_ref()) { format!("{k}=***") } else { format!("{k}={v}") })
        .collect::<Vec<_>>()
        .join("&")
}

fn mask_value(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) && !x.is_null() {
                    *x = json!("***");
                } else {
                    mask_value(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_value),
        _ => {}
    }
}

/// A body as the log keeps it: JSON with secret fields masked, XML with `<sign>` masked,
/// other text as it is, binary as its size; at most 4 KiB.
pub fn mask_body(bytes: &[u8], content_type: &str) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    if content_type.starts_with("multipart/") || content_type.starts_with("image/") || std::str::from_utf8(bytes).is_err() {
        return format!("[{} bytes {}]", bytes.len(), if content_type.is_empty() { "binary" } else { content_type });
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            mask_value(&mut v);
            v.to_string()
        }
        Err(_) => match (text.find("<sign>"), text.find("</sign>")) {
            (Some(a), Some(b)) if b > a => format!("{}<sign>***{}", &text[..a], &text[b..]),
            _ => text.into_owned(),
        },
    };
    if out.len() > TEXT_MAX {
        let mut cut = TEXT_MAX;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

fn content_type(h: &axum::http::HeaderMap) -> String {
    h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// What the log keeps of a request while it is answered.
pub struct Pending {
    started: std::time::Instant,
    method: String,
    path: String,
    request: String,
    token: Option<String>,
    appid: Option<String>,
    mchid: Option<String>,
}

/// Before the call: what to record of the request (None when the log is off or the path is
/// not logged); the request, its body back in place.
pub async fn before(st: &AppState, req: Request) -> (Request, Option<Pending>) {
    if !st.log_requests_db || !logged(req.uri().path()) {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    let req_bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(mask_query).unwrap_or_default();
    let param = |name: &str| parts.uri.query().and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()));
    let mchid = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("mchid=\"").nth(1))
        .and_then(|r| r.split('"').next())
        .map(str::to_string);
    let request = format!("{} {}{}{}\n{}", parts.method, path, if query.is_empty() { "" } else { "?" }, query, mask_body(&req_bytes, &content_type(&parts.headers)));
    let pending = Pending { started: std::time::Instant::now(), method: parts.method.to_string(), path, request, token: param("access_token"), appid: param("appid"), mchid };
    (Request::from_parts(parts, Body::from(req_bytes)), Some(pending))
}

/// After the call: records it (in the background) and hands the response on.
pub async fn after(st: &AppState, p: Pending, resp: Response) -> Response {
    let status = resp.status().as_u16() as i64;
    let fault = resp.extensions().get::<AppliedFault>().map(|f| f.0);
    let small = resp.body().size_hint().exact().is_some_and(|n| n <= BODY_MAX);
    let (resp, response_text, errcode) = if small {
        let ct = content_type(resp.headers());
        let (rparts, rbody) = resp.into_parts();
        let bytes = rbody.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        let errcode = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v.get("errcode").and_then(Value::as_i64));
        let text = mask_body(&bytes, &ct);
        (Response::from_parts(rparts, Body::from(bytes)), text, errcode)
    } else {
        (resp, "[streamed]".to_string(), None)
    };
    // The token's account is in this node's cache once the handler has checked it; a call
    // answered before that (a fault) looks it up.
    let appid = match (p.appid, p.token) {
        (Some(a), _) => Some(a),
        (None, Some(t)) => match st.tokens.get(&t) {
            Some((_, a)) => Some(a.appid.0),
            None => st.store.token_account(&t).await.ok().flatten().map(|(_, a)| a.appid.0),
        },
        (None, None) => None,
    };
    let call = LoggedCall {
        id: 0,
        at_ms: crate::clock::system_now_ms(),
        appid,
        mchid: p.mchid,
        method: p.method,
        path: p.path,
        status,
        errcode,
        latency_ms: p.started.elapsed().as_millis() as i64,
        request: p.request,
        response: response_text,
        fault,
    };
    let _ = st.request_log.tx.try_send(call);
    resp
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /herald/v1/logs?after=&appid=&limit=`: recorded calls after an id, oldest first.
pub async fn list(State(st): State<AppState>, _: Operator, Query(q): Query<LogQuery>) -> ApiResult<Value> {
    let calls = st.store.logged_calls(q.after, q.appid.as_deref().filter(|a| !a.is_empty()), q.limit.unwrap_or(200).clamp(1, 1000)).await?;
    let next = calls.last().map_or(q.after, |c| c.id);
    Ok(Json(json!({"calls": calls, "next": next})))
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountCallsQuery {
    #[serde(default)]
    before: Option<i64>,
    /// `true`: only calls answered with an error.
    #[serde(default)]
    errors: Option<bool>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /herald/v1/accounts/{appid}/api_calls?before=&errors=&limit=`: the account's calls to
/// the WeChat-compatible APIs, newest first (the console's API call log; developer settings).
pub async fn account_calls(
    State(st): State<AppState>,
    acc: crate::platform::console::AccountAccess,
    Query(q): Query<AccountCallsQuery>,
) -> ApiResult<herald_wire::platform::deliveries::ApiCallList> {
    use herald_wire::platform::deliveries::{ApiCallList, ApiCallOut};
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let calls = if st.log_requests_db { st.store.account_calls(acc.account.appid.as_str(), q.before, q.errors.unwrap_or(false), limit).await? } else { Vec::new() };
    let next = (calls.len() as i64 == limit).then(|| calls.last().map(|c| c.id)).flatten();
    let calls = calls
        .into_iter()
        .map(|c| ApiCallOut { id: c.id, at_ms: c.at_ms, method: c.method, path: c.path, status: c.status, errcode: c.errcode, latency_ms: c.latency_ms, request: c.request, response: c.response, fault: c.fault })
        .collect();
    Ok(Json(ApiCallList { enabled: st.log_requests_db, keep_days: st.request_log.keep_days, calls, next }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask_query("grant_type=client_credential&appid=wx1&secret=abc"), "grant_type=client_credential&appid=wx1&secret=***");
        let body = mask_body(br#"{"name":"x","app_secret":"s3cret","nested":[{"password":"p"}]}"#, "application/json");
        assert!(!body.contains("s3cret") && !body.contains("\"p\"") && body.contains("\"name\":\"x\""), "{body}");
        assert_eq!(mask_body(b"<xml><a>1</a><sign>ABC</sign></xml>", "text/xml"), "<xml><a>1</a><sign>***</sign></xml>");
        assert_eq!(mask_body(&[0xff, 0xfe], ""), "[2 bytes binary]");
        assert!(mask_body("x".repeat(5000).as_bytes(), "text/plain").len() <= TEXT_MAX + 3);
    }
}
