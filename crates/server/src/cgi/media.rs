//! Temporary media (`/cgi-bin/media/*`) and permanent materials (`/cgi-bin/material/*`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::content::{self as rules, check_articles, check_upload, TEMP_MEDIA_SECS};
use herald_store::Media;
use herald_wire::lenient::int_value;
use herald_wire::{ErrCode, WxError, WxOk};
use serde::Deserialize;
use serde_json::{json, Value};

use super::content::{check_covers, file_url, news_items, read_upload, usable_media, Upload, WxMultipart};
use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxJsonOrEmpty, WxQuery};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct TypeQuery {
    #[serde(rename = "type", default)]
    media_type: String,
    #[serde(default)]
    description: Option<String>,
}

fn new_media(c: &Caller, kind: &str, media_type: &str, up: Option<(&Upload, String)>, meta: Value, expires: bool) -> Media {
    Media {
        media_id: rules::media_id(&mut rand::thread_rng()),
        appid: c.account.appid.clone(),
        kind: kind.into(),
        media_type: media_type.into(),
        blob_hash: up.as_ref().map(|(_, h)| h.clone()),
        filename: up.as_ref().map(|(u, _)| u.filename.clone()).unwrap_or_default(),
        content_type: up.as_ref().map(|(u, _)| u.content_type.clone()).unwrap_or_default(),
        size: up.as_ref().map_or(0, |(u, _)| u.bytes.len() as i64),
        meta: meta.to_string(),
        created_at: c.now,
        updated_at: c.now,
        expires_at: expires.then_some(c.now + TEMP_MEDIA_SECS),
    }
}

fn store_blob(st: &AppState, bytes: &[u8]) -> Result<String, WxErr> {
    st.blobs.put(bytes).map_err(WxErr::from)
}

/// `POST /cgi-bin/media/upload?type=`: a temporary medium, kept three days.
pub async fn upload(State(st): State<AppState>, c: Caller, WxQuery(q): WxQuery<TypeQuery>, form: WxMultipart) -> WxResult<Value> {
    rules::max_size(&q.media_type)?;
    let up = read_upload(form).await?;
    check_upload(&q.media_type, up.bytes.len())?;
    let hash = store_blob(&st, &up.bytes)?;
    let m = new_media(&c, "temp", &q.media_type, Some((&up, hash)), json!({}), true);
    st.store.put_media(&m).await?;
    let mut out = json!({"type": q.media_type, "media_id": m.media_id, "created_at": c.now});
    if q.media_type == "thumb" {
        out["thumb_media_id"] = json!(m.media_id);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct MediaIdQuery {
    #[serde(default)]
    media_id: String,
}

fn file_response(m: &Media, bytes: Vec<u8>) -> Response {
    let ct = if m.content_type.is_empty() { super::content::sniff(&bytes).to_string() } else { m.content_type.clone() };
    let disposition = format!("attachment; filename=\"{}\"", m.filename.replace('"', ""));
    ([(header::CONTENT_TYPE, ct), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}

async fn blob_of(st: &AppState, m: &Media) -> Result<Vec<u8>, WxErr> {
    let hash = m.blob_hash.as_deref().ok_or(ErrCode::InvalidMediaId)?;
    st.blobs.get(hash)?.ok_or_else(|| WxErr::from(ErrCode::InvalidMediaId))
}

/// `GET /cgi-bin/media/get?media_id=`: the file's bytes (a video answers with its URL).
pub async fn get(State(st): State<AppState>, c: Caller, WxQuery(q): WxQuery<MediaIdQuery>) -> Result<Response, WxErr> {
    let m = usable_media(&st, &c.account.appid, &q.media_id, c.now).await?.filter(|m| m.kind == "temp" && m.blob_hash.is_some());
    let m = m.ok_or(ErrCode::InvalidMediaId)?;
    if m.media_type == "video" {
        let url = file_url(&st, m.blob_hash.as_deref().unwrap_or_default());
        return Ok(Json(json!({"video_url": url})).into_response());
    }
    let bytes = blob_of(&st, &m).await?;
    Ok(file_response(&m, bytes))
}

/// `POST /cgi-bin/media/uploadimg`: an image for article content; answers its URL.
pub async fn upload_img(State(st): State<AppState>, c: Caller, form: WxMultipart) -> WxResult<Value> {
    let up = read_upload(form).await?;
    if up.bytes.len() > rules::ARTICLE_IMAGE_MAX {
        return Err(ErrCode::InvalidFileSize.into());
    }
    if !matches!(super::content::sniff(&up.bytes), "image/png" | "image/jpeg") {
        return Err(WxError::with_detail(ErrCode::InvalidMediaType, "only JPG and PNG images").into());
    }
    let hash = store_blob(&st, &up.bytes)?;
    let m = new_media(&c, "image", "image", Some((&up, hash.clone())), json!({}), false);
    st.store.put_media(&m).await?;
    Ok(Json(json!({"url": file_url(&st, &hash)})))
}

/// `POST /cgi-bin/media/uploadnews`: articles for an mpnews mass message, kept three days.
pub async fn upload_news(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let articles = check_articles(body.get("articles"))?;
    check_covers(&st, &c.account.appid, &articles, c.now).await?;
    let m = new_media(&c, "temp", "news", None, Value::Array(articles), true);
    st.store.put_media(&m).await?;
    Ok(Json(json!({"type": "news", "media_id": m.media_id, "created_at": c.now})))
}

/// `POST /cgi-bin/media/uploadvideo`: a video medium with a title, for mass messages.
pub async fn upload_video(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
    let src = usable_media(&st, &c.account.appid, id, c.now).await?.filter(|m| m.media_type == "video").ok_or(ErrCode::InvalidMediaId)?;
    let meta = json!({"title": body.get("title").cloned().unwrap_or(json!("")), "description": body.get("description").cloned().unwrap_or(json!(""))});
    let mut m = new_media(&c, "temp", "video", None, meta, true);
    m.blob_hash = src.blob_hash;
    m.filename = src.filename;
    m.content_type = src.content_type;
    m.size = src.size;
    st.store.put_media(&m).await?;
    Ok(Json(json!({"type": "video", "media_id": m.media_id, "created_at": c.now})))
}

/// `POST /cgi-bin/material/add_material?type=`: a permanent material. A video's description
/// (`{"title","introduction"}`) comes in the query (wechatpy) or as a form field (others).
pub async fn add_material(State(st): State<AppState>, c: Caller, WxQuery(q): WxQuery<TypeQuery>, form: WxMultipart) -> WxResult<Value> {
    c.require(Capability::Materials)?;
    rules::max_size(&q.media_type)?;
    let up = read_upload(form).await?;
    check_upload(&q.media_type, up.bytes.len())?;
    let mut meta = json!({});
    if q.media_type == "video" {
        let desc = q.description.clone().or_else(|| up.fields.iter().find(|(k, _)| k == "description").map(|(_, v)| v.clone()));
        let desc: Value = desc.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or(Value::Null);
        let title = desc.get("title").and_then(Value::as_str).unwrap_or("");
        if title.is_empty() {
            return Err(WxError::with_detail(ErrCode::InvalidParameter, "a video needs description {\"title\",\"introduction\"}").into());
        }
        meta = json!({"title": title, "introduction": desc.get("introduction").and_then(Value::as_str).unwrap_or("")});
    }
    Ok(Json(put_material(&st, &c, &q.media_type, &up, meta).await?))
}

/// Stores a checked upload as a permanent material: `{media_id}`, and `url` for an image.
pub async fn put_material(st: &AppState, c: &Caller, media_type: &str, up: &Upload, meta: Value) -> Result<Value, WxErr> {
    let hash = store_blob(st, &up.bytes)?;
    let m = new_media(c, "material", media_type, Some((up, hash.clone())), meta, false);
    st.store.put_media(&m).await?;
    let mut out = json!({"media_id": m.media_id});
    if media_type == "image" {
        out["url"] = json!(file_url(st, &hash));
    }
    Ok(out)
}

/// `POST /cgi-bin/material/add_news`: a permanent news material (1–8 articles).
pub async fn add_news(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::Materials)?;
    let articles = check_articles(body.get("articles"))?;
    check_covers(&st, &c.account.appid, &articles, c.now).await?;
    let m = new_media(&c, "material", "news", None, Value::Array(articles), false);
    st.store.put_media(&m).await?;
    Ok(Json(json!({"media_id": m.media_id})))
}

/// Replaces article `index` (from 0) of a news material or draft.
pub async fn update_article(st: &AppState, c: &Caller, kind: &str, body: &Value) -> Result<(), WxErr> {
    let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
    let m = st.store.media(&c.account.appid, id).await?.filter(|m| m.kind == kind && (kind == "draft" || m.media_type == "news"));
    let m = m.ok_or(ErrCode::InvalidMediaId)?;
    let index = int_value(body.get("index")).unwrap_or(-1);
    let mut articles: Vec<Value> = serde_json::from_str(&m.meta).unwrap_or_default();
    let slot = usize::try_from(index).ok().filter(|i| *i < articles.len()).ok_or(ErrCode::InvalidArticleIndex)?;
    let article = rules::check_article(body.get("articles").unwrap_or(&Value::Null))?;
    check_covers(st, &c.account.appid, std::slice::from_ref(&article), c.now).await?;
    articles[slot] = article;
    st.store.update_media_meta(&c.account.appid, id, kind, &Value::Array(articles).to_string(), c.now).await?;
    Ok(())
}

pub async fn update_news(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    c.require(Capability::Materials)?;
    update_article(&st, &c, "material", &body).await?;
    Ok(Json(WxOk))
}

/// `POST /cgi-bin/material/get_material`: news as `news_item`, a video as its title,
/// description and download URL, anything else as its bytes.
pub async fn get_material(State(st): State<AppState>, c: Caller, WxJsonOrEmpty(body): WxJsonOrEmpty<Value>) -> Result<Response, WxErr> {
    c.require(Capability::Materials)?;
    let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
    let m = st.store.media(&c.account.appid, id).await?.filter(|m| m.kind == "material").ok_or(ErrCode::InvalidMediaId)?;
    match m.media_type.as_str() {
        "news" => {
            let articles: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
            let items = news_items(&st, &c.account.appid, &articles, |_| String::new()).await;
            Ok(Json(json!({"news_item": items, "create_time": m.created_at, "update_time": m.updated_at})).into_response())
        }
        "video" => {
            let meta: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
            let url = file_url(&st, m.blob_hash.as_deref().unwrap_or_default());
            Ok(Json(json!({"title": meta["title"], "description": meta["introduction"], "down_url": url})).into_response())
        }
        _ => {
            let bytes = blob_of(&st, &m).await?;
            Ok(file_response(&m, bytes))
        }
    }
}

pub async fn del_material(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    c.require(Capability::Materials)?;
    let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
    if !st.store.delete_media(&c.account.appid, id, "material").await? {
        return Err(ErrCode::InvalidMediaId.into());
    }
    Ok(Json(WxOk))
}

pub async fn material_count(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    c.require(Capability::Materials)?;
    let counts = st.store.media_counts(&c.account.appid, "material").await?;
    let n = |t: &str| counts.iter().find(|(k, _)| k == t).map_or(0, |(_, n)| *n);
    Ok(Json(json!({"voice_count": n("voice"), "video_count": n("video"), "image_count": n("image") + n("thumb"), "news_count": n("news")})))
}

/// Reads `offset` and `count` (1–20), as numbers or numeric strings.
pub fn page_args(body: &Value) -> Result<(i64, i64), WxErr> {
    let int = |k: &str| int_value(body.get(k));
    let offset = int("offset").unwrap_or(0);
    let count = int("count").unwrap_or(20);
    if offset < 0 || !(1..=rules::MAX_PAGE).contains(&count) {
        return Err(ErrCode::InvalidParameter.into());
    }
    Ok((offset, count))
}

pub async fn batchget_material(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::Materials)?;
    let ty = body.get("type").and_then(Value::as_str).unwrap_or("");
    if !matches!(ty, "image" | "video" | "voice" | "news") {
        return Err(ErrCode::InvalidMediaType.into());
    }
    let (offset, count) = page_args(&body)?;
    let (total, rows) = st.store.media_page(&c.account.appid, "material", Some(ty), offset, count).await?;
    let mut items = Vec::new();
    for m in rows {
        if ty == "news" {
            let articles: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
            let news = news_items(&st, &c.account.appid, &articles, |_| String::new()).await;
            items.push(json!({"media_id": m.media_id, "content": {"news_item": news, "create_time": m.created_at, "update_time": m.updated_at}, "update_time": m.updated_at}));
        } else {
            let url = if ty == "image" { file_url(&st, m.blob_hash.as_deref().unwrap_or_default()) } else { String::new() };
            items.push(json!({"media_id": m.media_id, "name": m.filename, "update_time": m.updated_at, "url": url}));
        }
    }
    Ok(Json(json!({"total_count": total, "item_count": items.len(), "item": items})))
}
