//! Herald's web pages for users: sign-in by link with a session cookie, and (in `oauth`) the
//! web OAuth authorize and consent pages. The web client will build on the same session.

pub mod cashier;
pub mod oauth;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use herald_domain::oauth::SESSION_TTL;
use herald_store::{CodeTake, User};
use herald_wire::UserId;
use sha2::{Digest, Sha256};

use crate::extract::WxQuery;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "herald_session";

/// SHA-256 hex: how session ids and sign-in tokens are stored.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Escapes text for HTML bodies and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;background:#ededed;margin:0;color:#191919}}\
         main{{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}}\
         .card{{background:#fff;border-radius:12px;padding:28px 20px;margin-top:24px}}\
         h1{{font-size:20px;margin:8px 0 16px}} p{{color:#555;line-height:1.5}} ul{{text-align:left;color:#333}}\
         button{{display:block;width:100%;font-size:17px;padding:12px;border-radius:8px;border:0;margin-top:12px;cursor:pointer}}\
         .primary{{background:#07c160;color:#fff}} .secondary{{background:#f2f2f2;color:#06ae56}}\
         .error{{color:#fa5151}} .muted{{font-size:13px;color:#888}}</style></head>\
         <body><main>{body}</main></body></html>",
        t = esc(title)
    )
}

/// An error page with a status.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!("<div class=\"card\"><h1 class=\"error\">{}</h1><p>{}</p></div>", esc(title), esc(detail));
    (status, Html(page(title, &body))).into_response()
}

/// The signed-in user, if a live session cookie came with the request.
pub struct WebSession(pub Option<(User, String)>);

pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let fail = |_| error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.");
        session_user(parts, st).await.map(WebSession).map_err(fail)
    }
}

/// The user of the live session the request's cookie names, and the session's hash.
pub async fn session_user(parts: &Parts, st: &AppState) -> Result<Option<(User, String)>, herald_store::StoreError> {
    let Some(raw) = cookie(parts, SESSION_COOKIE) else { return Ok(None) };
    let h = hash(&raw);
    let Some((user_id, expires)) = st.store.session(&h).await? else { return Ok(None) };
    let now = st.clock.now().await?;
    if expires <= now {
        return Ok(None);
    }
    Ok(st.store.user(&user_id).await?.map(|u| (u, h)))
}

/// Where a sign-in may send the browser next: a path on this server only. Browsers drop tabs
/// and newlines from URLs and read `\\` as `/`, so `/\t/evil.example` would be
/// `//evil.example`: any control character, space or backslash disqualifies a path, and what
/// is left must resolve to this server when joined to it. Anything else opens the app (`/`).
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(n) = next else { return HOME.to_string() };
    let clean = n.starts_with('/')
        && !n.starts_with("//")
        && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let base = url::Url::parse("http://herald.invalid/").expect("a valid base");
    let same_server = base.join(n).is_ok_and(|u| u.origin() == base.origin());
    if clean && same_server {
        n.to_string()
    } else {
        HOME.to_string()
    }
}

/// Creates a session for `user` (remembering the browser's User-Agent, cut to 200 bytes) and
/// returns its Set-Cookie value and its stored hash.
pub async fn start_session(st: &AppState, user: &UserId, user_agent: &str) -> Result<(HeaderValue, String), herald_store::StoreError> {
    let raw = herald_domain::idgen::secret_token(&mut rand::thread_rng(), "hs_");
    let now = st.clock.now().await?;
    let mut agent = user_agent.to_string();
    while agent.len() > 200 {
        agent.pop();
    }
    let h = hash(&raw);
    st.store.put_user_session(&h, user, now, now + SESSION_TTL, &agent).await?;
    let secure = if st.base_url().starts_with("https://") { "; Secure" } else { "" };
    let v = format!("{SESSION_COOKIE}={raw}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_TTL}{secure}");
    Ok((HeaderValue::from_str(&v).expect("cookie value is ASCII"), h))
}

#[derive(serde::Deserialize)]
pub struct SigninQuery {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// `GET /herald/signin?token=…&next=…`: a sign-in link works once, before it expires.
pub async fn signin(State(st): State<AppState>, headers: axum::http::HeaderMap, WxQuery(q): WxQuery<SigninQuery>) -> Response {
    let fail = |_| error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.");
    let now = match st.clock.now().await {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let taken = match st.store.take_code(&hash(&q.token), "signin", None, now).await {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let user = match taken {
        CodeTake::Taken(c) if c.expires_at > now => c.user_id,
        CodeTake::Taken(_) => return error_page(StatusCode::GONE, "This sign-in link has expired", "Ask for a new link."),
        CodeTake::Used(_) => return error_page(StatusCode::GONE, "This sign-in link was already used", "Each link works once. Ask for a new one."),
        CodeTake::Missing => return error_page(StatusCode::NOT_FOUND, "This sign-in link is not valid", "Check that the whole link was copied."),
    };
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    match start_session(&st, &user, agent).await {
        Ok((cookie, _)) => {
            let mut r = Redirect::to(&safe_next(q.next.as_deref())).into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            r
        }
        Err(e) => fail(e),
    }
}

/// `POST /herald/signout`: ends the session.
pub async fn signout(State(st): State<AppState>, s: WebSession) -> Response {
    if let Some((_, h)) = s.0 {
        let _ = st.store.delete_session(&h).await;
    }
    let mut r = Html(page("Signed out", "<div class=\"card\"><h1>Signed out</h1></div>")).into_response();
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("herald_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    r
}

/// `GET /herald/me`: who is signed in (a page; JSON with `Accept: application/json`).
pub async fn me(s: WebSession, parts: axum::http::HeaderMap) -> Response {
    let wants_json = parts.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    match (s.0, wants_json) {
        (Some((u, _)), true) => axum::Json(serde_json::json!({"id": u.id, "nickname": u.nickname})).into_response(),
        (None, true) => (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"code": "unauthorized", "message": "not signed in"}))).into_response(),
        (Some((u, _)), false) => {
            let body = format!("<div class=\"card\"><h1>Signed in</h1><p>You are signed in to Herald as <b>{}</b>.</p></div>", esc(&u.nickname));
            Html(page("Herald", &body)).into_response()
        }
        (None, false) => error_page(StatusCode::UNAUTHORIZED, "Not signed in", "Open a sign-in link to sign in to Herald."),
    }
}

/// `GET /q/{key}`: where a QR code's url leads a browser: the code and what it is for.
pub async fn qr_page(State(st): State<AppState>, axum::extract::Path(key): axum::extract::Path<String>) -> Response {
    let code = match st.store.qrcode_by_key(&key).await {
        Ok(Some(c)) => c,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No such QR code", "This code does not exist."),
        Err(_) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."),
    };
    let name = match st.store.account(code.appid.as_str()).await {
        Ok(Some(a)) => a.name,
        _ => String::new(),
    };
    let body = format!(
        "<div class=\"card\"><h1>{}</h1><img alt=\"QR code\" width=\"215\" height=\"215\" src=\"{}\">\
         <p>Scan this code with the Herald client to follow the account.</p></div>",
        esc(&name),
        esc(&crate::cgi::qrcode::image_path(&code))
    );
    Html(page(&name, &body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_server() {
        for ok in ["/herald/me", "/pay/cashier?pr=abc", "/connect/oauth2/authorize?appid=wx1&redirect_uri=https%3A%2F%2Fa.example"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/x", "/\\evil.example", "\\\\evil.example", "https://evil.example",
            "evil.example", "/ /evil.example", "/\u{0}x", "/x\nSet-Cookie: a=b", "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
