//! What the content endpoints share: finding usable media and the articles behind a media id,
//! reading multipart uploads, the file URLs (`/mmbiz/<hash>`) and the article web pages.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use herald_domain::broadcast::is_deleted;
use herald_domain::sanitize;
use herald_store::Media;
use herald_wire::{AppId, ErrCode, WxError};
use serde_json::{json, Value};

use crate::error::WxErr;
use crate::state::AppState;

/// A temporary medium that has not expired, or a permanent material.
pub async fn usable_media(st: &AppState, appid: &AppId, id: &str, now: i64) -> Result<Option<Media>, WxErr> {
    let m = st.store.media(appid, id).await?;
    Ok(m.filter(|m| match m.kind.as_str() {
        "temp" => m.expires_at.is_none_or(|e| e > now),
        "material" => true,
        _ => false,
    }))
}

/// The articles behind an mpnews media id: uploaded news (unexpired), a news material, or a
/// draft.
pub async fn news_articles(st: &AppState, appid: &AppId, id: &str, now: i64) -> Result<Option<Value>, WxErr> {
    let Some(m) = st.store.media(appid, id).await? else { return Ok(None) };
    let ok = match m.kind.as_str() {
        "temp" => m.media_type == "news" && m.expires_at.is_none_or(|e| e > now),
        "material" => m.media_type == "news",
        "draft" => true,
        _ => false,
    };
    if !ok {
        return Ok(None);
    }
    Ok(serde_json::from_str(&m.meta).ok())
}

/// The URL a stored file is served at (on the content origin).
pub fn file_url(st: &AppState, hash: &str) -> String {
    format!("{}/mmbiz/{hash}", st.content_base())
}

/// `GET /mmbiz/…` and `/s/…` on the app origin: the same path on the content origin, so links
/// written before the two origins split keep working and authored pages never run here.
pub async fn to_content_origin(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    let target = format!("{}{}", st.content_base(), uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    axum::response::Redirect::permanent(&target).into_response()
}

/// Checks that every article's cover is an image or thumb this account can use (40007).
pub async fn check_covers(st: &AppState, appid: &AppId, articles: &[Value], now: i64) -> Result<(), WxErr> {
    for a in articles {
        let thumb = a.get("thumb_media_id").and_then(Value::as_str).unwrap_or("");
        if thumb.is_empty() {
            return Err(WxError::with_detail(ErrCode::InvalidMediaId, "thumb_media_id is required").into());
        }
        match usable_media(st, appid, thumb, now).await? {
            Some(m) if matches!(m.media_type.as_str(), "image" | "thumb") => {}
            _ => return Err(WxError::with_detail(ErrCode::InvalidMediaId, format!("invalid thumb_media_id {thumb}")).into()),
        }
    }
    Ok(())
}

/// Articles as the API shows them: each with its cover's URL and, when published, its own URL.
pub async fn news_items(st: &AppState, appid: &AppId, articles: &Value, url_of: impl Fn(usize) -> String) -> Value {
    let mut out = Vec::new();
    for (i, a) in articles.as_array().into_iter().flatten().enumerate() {
        let mut a = a.clone();
        let thumb = a.get("thumb_media_id").and_then(Value::as_str).unwrap_or("").to_string();
        let thumb_url = match st.store.media(appid, &thumb).await {
            Ok(Some(Media { blob_hash: Some(h), .. })) => file_url(st, &h),
            _ => String::new(),
        };
        if let Some(o) = a.as_object_mut() {
            o.insert("thumb_url".into(), json!(thumb_url));
            o.insert("url".into(), json!(url_of(i)));
        }
        out.push(a);
    }
    Value::Array(out)
}

/// One uploaded file from a multipart form, and the form's other text fields.
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

/// A multipart form; anything else (no boundary, not multipart) is 41005 in WeChat's shape,
/// not axum's plain-text rejection.
pub struct WxMultipart(pub Multipart);

impl axum::extract::FromRequest<AppState> for WxMultipart {
    type Rejection = WxErr;

    async fn from_request(req: axum::extract::Request, st: &AppState) -> Result<Self, Self::Rejection> {
        Multipart::from_request(req, st).await.map(WxMultipart).map_err(|_| WxErr::from(ErrCode::MediaDataMissing))
    }
}

/// Reads the `media` file (41005 if absent) and any text fields.
pub async fn read_upload(WxMultipart(mut form): WxMultipart) -> Result<Upload, WxErr> {
    let mut up = Upload { filename: String::new(), content_type: String::new(), bytes: Vec::new(), fields: Vec::new() };
    let mut found = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(WxError::with_detail(ErrCode::MediaDataMissing, format!("media data missing: {e}")).into()),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "media" || (!found && field.file_name().is_some()) {
            up.filename = field.file_name().unwrap_or("media").to_string();
            up.content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
            up.bytes = field.bytes().await.map_err(|_| WxErr::from(ErrCode::MediaDataMissing))?.to_vec();
            found = true;
        } else {
            let text = field.text().await.unwrap_or_default();
            up.fields.push((name, text));
        }
    }
    if !found {
        return Err(ErrCode::MediaDataMissing.into());
    }
    Ok(up)
}

/// The content type of some bytes, from their first bytes (files are stored by content only).
pub fn sniff(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        [b'#', b'!', b'A', b'M', b'R', ..] => "audio/amr",
        [b'I', b'D', b'3', ..] | [0xFF, 0xFB, ..] => "audio/mpeg",
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// `GET /mmbiz/{hash}`: a stored file, as WeChat's CDN serves article images.
pub async fn file(State(st): State<AppState>, Path(hash): Path<String>) -> Response {
    match st.blobs.get(&hash) {
        Ok(Some(bytes)) => ([(header::CONTENT_TYPE, sniff(&bytes)), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], bytes).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a blob failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response()
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An article as a web page, on the content origin. The content is cleaned again here: what
/// is stored may predate the allow-list.
async fn article_page(st: &AppState, appid: &AppId, a: &Value, published_at: i64) -> Response {
    let account = account_name(st, appid).await;
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    // The cover, when the article shows it (show_cover_pic), from the content origin.
    let cover = match (a.get("show_cover_pic").and_then(Value::as_i64), st.store.media(appid, &s("thumb_media_id")).await) {
        (Some(1), Ok(Some(Media { blob_hash: Some(h), .. }))) => format!("<img class=\"cover\" alt=\"\" src=\"{}\">", escape(&file_url(st, &h))),
        _ => String::new(),
    };
    let date = herald_domain::time::cst_date(published_at);
    let source = s("content_source_url");
    let source = if sanitize::is_http_url(&source) {
        format!("<p class=\"source\"><a rel=\"noopener noreferrer nofollow\" href=\"{}\">Read more</a></p>", escape(source.trim()))
    } else {
        String::new()
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:680px;margin:2em auto;padding:0 1em;line-height:1.6}}\
         .meta{{color:#595959;font-size:.9em}}img{{max-width:100%}}.cover{{width:100%;border-radius:4px}}</style></head><body><article>\
         <h1 id=\"title\">{title}</h1><p class=\"meta\"><span id=\"account\">{account}</span>{author} \
         <time datetime=\"{date}\" data-unix=\"{published_at}\">{date}</time></p>{cover}<div id=\"content\">{content}</div>{source}</article></body></html>",
        title = escape(&s("title")),
        author = if s("author").is_empty() { String::new() } else { format!(" · <span id=\"author\">{}</span>", escape(&s("author"))) },
        account = escape(&account),
        content = sanitize::article_html(&s("content")),
    ))
    .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><p>This article does not exist or has been deleted.</p>")).into_response()
}

async fn account_name(st: &AppState, appid: &AppId) -> String {
    st.store.account(appid.as_str()).await.ok().flatten().map(|a| a.name).unwrap_or_default()
}

/// `GET /s/{article_id}/{idx}`: a published article (idx from 1).
pub async fn published_article(State(st): State<AppState>, Path((article_id, idx)): Path<(String, usize)>) -> Response {
    let Ok(Some(p)) = st.store.publication_by_article(&article_id).await else { return not_found() };
    let articles: Value = serde_json::from_str(&p.articles).unwrap_or(Value::Null);
    match articles.get(idx.wrapping_sub(1)) {
        Some(a) if !is_deleted(&p.deleted, idx) => article_page(&st, &p.appid, a, p.created_at).await,
        _ => not_found(),
    }
}

/// `GET /s/mass/{appid}/{msg_id}/{idx}`: an article sent in a mass message (idx from 1).
pub async fn mass_article(State(st): State<AppState>, Path((appid, msg_id, idx)): Path<(String, i64, usize)>) -> Response {
    let appid = AppId(appid);
    let Ok(Some(m)) = st.store.mass(&appid, msg_id).await else { return not_found() };
    let articles: Value = m.articles.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or(Value::Null);
    match articles.get(idx.wrapping_sub(1)) {
        Some(a) if !is_deleted(&m.deleted, idx) => article_page(&st, &appid, a, m.created_at).await,
        _ => not_found(),
    }
}

/// The URL of article `idx` (from 0) of a mass message.
pub fn mass_article_url(st: &AppState, appid: &AppId, msg_id: i64, idx: usize) -> String {
    format!("{}/s/mass/{}/{msg_id}/{}", st.content_base(), appid.as_str(), idx + 1)
}

/// The URL of article `idx` (from 0) of a publication.
pub fn published_url(st: &AppState, article_id: &str, idx: usize) -> String {
    format!("{}/s/{article_id}/{}", st.content_base(), idx + 1)
}
