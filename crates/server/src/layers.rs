//! What every request and response passes through, on both origins:
//! - `read_body`: the whole body is read, up to its route's limit, before any handler runs.
//!   A handler that refuses early (a bad access_token, a bad signature) then leaves the
//!   connection usable for the SDK's next pooled request, and no extractor can be handed an
//!   unbounded body. A body over the limit is answered in its API's shape, with
//!   `Connection: close` since its rest is never read.
//! - `app_headers` / `content_headers`: `X-Content-Type-Options: nosniff` on everything, and on
//!   HTML a Content-Security-Policy fit for the origin (app pages: only Herald's own scripts,
//!   never framed; content pages: no script at all, framed only by the app).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use herald_wire::pay::v2::V2Code;
use herald_wire::pay::PayCode;
use herald_wire::{ErrCode, WxError};

use crate::error::{ApiError, WxErr};
use crate::state::AppState;

/// Bodies of most routes: JSON and XML requests (8 articles of 20,000 characters fit).
pub const BODY_LIMIT: usize = 2 << 20;
/// Routes that take files: WeChat allows 10 MB images and videos as materials; the rest is the
/// multipart form around the file (or base64's third, for a follower's picture in JSON).
pub const UPLOAD_LIMIT: usize = 14 << 20;

const UPLOAD_ROUTES: &[&str] = &["/cgi-bin/media/upload", "/cgi-bin/material/add_material", "/cgi-bin/media/uploadimg"];

/// The most bytes a request to `path` may carry.
pub fn body_limit(path: &str) -> usize {
    // A follower's scanned picture, avatar or image message; an owner's image material.
    let picture = (path.starts_with("/herald/v1/users/") && (path.ends_with("/scan") || path.ends_with("/avatar") || path.ends_with("/messages") || path.ends_with("/upload")))
        || (path.starts_with("/herald/v1/accounts/") && path.ends_with("/materials/image"));
    if path.starts_with("/herald/v1/accounts/") && path.ends_with("/miniprogram/versions") {
        herald_mp::MAX_BYTES
    } else if picture || UPLOAD_ROUTES.contains(&path) {
        UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// The refusal of a body over `limit`, in the shape of the API `path` belongs to.
fn too_large(path: &str, limit: usize) -> Response {
    let mut r = if path.starts_with("/v3/") {
        crate::pay::PayError::new(PayCode::ParamError, "请求体过大").into_response()
    } else if path.starts_with("/mmpaymkttransfers/") || path.starts_with("/sandboxnew/") {
        crate::pay::redpack::refused(V2Code::ParamError, "请求体过大")
    } else if path.starts_with("/herald/") {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("the body is larger than {limit} bytes")).into_response()
    } else if path.starts_with("/cgi-bin/") || path.starts_with("/sns/") || path.starts_with("/wxa/") {
        let code = if UPLOAD_ROUTES.contains(&path) { ErrCode::InvalidFileSize } else { ErrCode::ContentTooLong };
        WxErr(WxError::new(code)).into_response()
    } else {
        crate::web::error_page(StatusCode::PAYLOAD_TOO_LARGE, "Too much data", "The form sent more than this page accepts.")
    };
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Reads the whole body (bounded) before the handler runs; see the module's notes. Err is the
/// answer to send instead.
pub async fn read_whole(req: Request) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    if axum::body::HttpBody::size_hint(&body).exact() == Some(0) {
        return Ok(Request::from_parts(parts, body));
    }
    let limit = body_limit(parts.uri.path());
    if let Some(len) = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()) {
        if len > limit as u64 {
            return Err(too_large(parts.uri.path(), limit));
        }
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(parts.uri.path(), limit)),
        Err(e) => {
            // The client stopped sending or sent a malformed chunk: nothing to answer on.
            tracing::debug!(error = %e, "reading a request body failed");
            let mut r = (StatusCode::BAD_REQUEST, "the request body could not be read").into_response();
            r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(r)
        }
    }
}

fn is_html(r: &Response) -> bool {
    r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");

/// The origin (scheme, host, port) of a URL, for CSP source lists.
fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => String::new(),
    }
}

/// The policy of the app origin's pages: Herald's own scripts and styles, pictures from the
/// content origin too, articles framed from the content origin, and never framed itself
/// (the consent and cashier pages cannot be overlaid).
pub fn app_csp(content_url: &str) -> String {
    let content = origin_of(content_url);
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: {content}; \
         media-src 'self' blob: {content}; frame-src {content}; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// The policy of everything on the content origin: no script, no plugins, no forms, a
/// sandbox that gives the page an opaque origin, and framed by the app origin only.
pub fn content_csp(app_url: &str) -> String {
    let app = origin_of(app_url);
    format!(
        "default-src 'none'; img-src http: https: data:; media-src http: https:; style-src 'unsafe-inline'; font-src data:; \
         form-action 'none'; base-uri 'none'; frame-ancestors {app}; \
         sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
    )
}

/// The policy of the mini-program runtime's page on the content origin: scripts and styles from
/// the content origin (the runtime and the compiled package), pictures from anywhere, no
/// network of its own (it reaches the platform only through the app's bridge), and a sandbox
/// with scripts but without the content origin: the page's origin is opaque.
pub fn runtime_csp(app_url: &str, content_url: &str) -> String {
    let app = origin_of(app_url);
    let content = origin_of(content_url);
    format!(
        "default-src 'none'; script-src {content}; style-src 'unsafe-inline' {content}; img-src http: https: data: blob:; \
         font-src data: http: https:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors {app}; \
         sandbox allow-scripts"
    )
}

/// One line per request at `info` when the node logs requests (`Config::log_requests`; the demo
/// does): method, path (never the query, which carries access tokens), status, milliseconds.
fn log_line(line: Option<(axum::http::Method, String)>, r: &Response, started: std::time::Instant) {
    if let Some((method, path)) = line {
        tracing::info!(target: "herald::request", "{method} {path} {} {:.1} ms", r.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
    }
}

/// Headers of the app origin's responses.
fn set_app_headers(st: &AppState, r: &mut Response) {
    let html = is_html(r);
    let h = r.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if html {
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            if let Ok(v) = HeaderValue::from_str(&app_csp(st.content_base())) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, REFERRER);
        h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
}

/// Headers of the content origin's responses: every one carries the content policy (a file
/// opened directly gets the sandbox too), and none sets a cookie.
fn set_content_headers(st: &AppState, r: &mut Response) {
    let h = r.headers_mut();
    h.remove(header::SET_COOKIE);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    h.insert(header::REFERRER_POLICY, REFERRER);
    h.insert(HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    // Public files: the runtime's sandboxed page (an opaque origin) loads its module scripts
    // with CORS.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&content_csp(st.base_url())) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Everything an app-origin request passes through, in one layer (each `from_fn` layer clones
/// the whole service inside it per request, handlers' state included: five layers cost user/info
/// 40% of its throughput): the body read and bounded, the request log, fault rules, the
/// response's headers, the request's log line.
pub async fn app(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let line = st.log_requests.then(|| (req.method().clone(), req.uri().path().to_string()));
    let mut r = match read_whole(req).await {
        Err(r) => r,
        Ok(req) => {
            let (req, pending) = crate::requestlog::before(&st, req).await;
            let faultable = crate::faults::faultable(req.uri().path());
            let answer = match crate::faults::rules_for(&st, faultable).await {
                Some(rules) => crate::faults::answer_for(&st, crate::faults::call_of(rules, &req)).await,
                None => None,
            };
            let r = match answer {
                Some(r) => r,
                None => next.run(req).await,
            };
            match pending {
                Some(p) => crate::requestlog::after(&st, p, r).await,
                None => r,
            }
        }
    };
    set_app_headers(&st, &mut r);
    log_line(line, &r, started);
    r
}

/// The content origin's one layer: the body read and bounded, the content policy, the log line.
pub async fn content(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let line = st.log_requests.then(|| (req.method().clone(), req.uri().path().to_string()));
    let mut r = match read_whole(req).await {
        Err(r) => r,
        Ok(req) => next.run(req).await,
    };
    set_content_headers(&st, &mut r);
    log_line(line, &r, started);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_by_route() {
        assert_eq!(body_limit("/cgi-bin/material/add_material"), UPLOAD_LIMIT);
        assert_eq!(body_limit("/herald/v1/users/u1/scan"), UPLOAD_LIMIT);
        assert_eq!(body_limit("/cgi-bin/message/custom/send"), BODY_LIMIT);
        assert_eq!(body_limit("/mmpaymkttransfers/sendredpack"), BODY_LIMIT);
    }

    #[test]
    fn policies_name_the_other_origin() {
        let app = app_csp("http://127.0.0.1:8081/");
        assert!(app.contains("frame-src http://127.0.0.1:8081;") && app.contains("frame-ancestors 'none'"), "{app}");
        let content = content_csp("https://app.example/x");
        assert!(content.contains("frame-ancestors https://app.example;") && content.contains("default-src 'none'") && content.contains("sandbox"), "{content}");
        assert!(!content.contains("script-src"), "no script source at all: default-src 'none' covers scripts");
    }
}
