//! The console's content: image materials (covers and pictures in articles), drafts, and
//! publishing. Each endpoint runs the `/cgi-bin` code it stands for (`material/add_material`,
//! `draft/add`, `draft/batchget`, `freepublish/submit`) as the account, so the rules and the
//! stored shapes are the same; refusals are 400 `refused` naming WeChat's errcode.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use herald_domain::account::Capability;
use serde_json::{json, Value};

use super::console::{refused, AccountAccess};
use crate::cgi::content::Upload;
use crate::error::{ApiError, ApiResult, WxErr};
use crate::extract::{ApiJson, WxJson, WxJsonOrEmpty};
use crate::state::AppState;

/// `POST /herald/v1/accounts/{appid}/materials/image`: the picture itself as the body (an
/// `image/*` Content-Type, at most 10 MB) → `{media_id, url}`: a permanent image material, for a
/// cover (`thumb_media_id`) or a picture in an article (`url`, on the content origin).
pub async fn upload_image(State(st): State<AppState>, a: AccountAccess, headers: HeaderMap, body: Bytes) -> Result<(StatusCode, Json<Value>), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !content_type.starts_with("image/") {
        return Err(ApiError::bad_request("send the picture itself with an image/* Content-Type"));
    }
    let c = a.caller(&st).await?;
    c.require(Capability::Materials).map_err(refused)?;
    herald_domain::content::check_upload("image", body.len()).map_err(|e| refused(WxErr(e)))?;
    let ext = content_type.trim_start_matches("image/").split(';').next().unwrap_or("png").to_string();
    let up = Upload { filename: format!("upload.{ext}"), content_type, bytes: body.to_vec(), fields: Vec::new() };
    let out = crate::cgi::media::put_material(&st, &c, "image", &up, json!({})).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `POST /herald/v1/accounts/{appid}/drafts`: `{articles: [...]}` as `/cgi-bin/draft/add` takes
/// them (title, author, digest, content, thumb_media_id, …) → `{media_id}`. The content is
/// sanitised as every article is.
pub async fn add_draft(State(st): State<AppState>, a: AccountAccess, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let c = a.caller(&st).await?;
    let Json(out) = crate::cgi::draft::add(State(st), c, WxJson(body)).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /herald/v1/accounts/{appid}/drafts`: the newest 20 drafts, as `/cgi-bin/draft/batchget`
/// answers them (`item[].media_id`, `item[].content.news_item[]`).
pub async fn drafts(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let c = a.caller(&st).await?;
    let Json(out) = crate::cgi::draft::batchget(State(st), c, WxJson(json!({"offset": 0, "count": 20, "no_content": 1}))).await.map_err(refused)?;
    Ok(Json(out))
}

/// `POST /herald/v1/accounts/{appid}/drafts/publish`: `{media_id}` → `{publish_id}`, as
/// `/cgi-bin/freepublish/submit` (the publish-finished event goes to the developer server).
pub async fn publish(State(st): State<AppState>, a: AccountAccess, ApiJson(body): ApiJson<Value>) -> ApiResult<Value> {
    let c = a.caller(&st).await?;
    let Json(out) = crate::cgi::draft::submit(State(st), c, WxJson(body)).await.map_err(refused)?;
    Ok(Json(out))
}

/// `POST /herald/v1/accounts/{appid}/drafts/preview`: `{media_id, touser}` → `{msg_id}`: the
/// draft sent to one follower to look at before it is published or mass-sent, as
/// `/cgi-bin/message/mass/preview` with `mpnews` (the follower must follow: 43004).
pub async fn preview(State(st): State<AppState>, a: AccountAccess, ApiJson(body): ApiJson<Value>) -> ApiResult<Value> {
    let media_id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
    let touser = body.get("touser").and_then(Value::as_str).unwrap_or("").trim();
    if media_id.is_empty() || touser.is_empty() {
        return Err(ApiError::bad_request("give the draft's media_id and the follower's openid as touser"));
    }
    let c = a.caller(&st).await?;
    let wire = json!({"touser": touser, "msgtype": "mpnews", "mpnews": {"media_id": media_id}});
    let Json(out) = crate::cgi::mass::preview(State(st), c, WxJson(wire)).await.map_err(refused)?;
    Ok(Json(json!({"msg_id": out.get("msg_id").cloned().unwrap_or(Value::Null)})))
}

/// `GET /herald/v1/accounts/{appid}/publications`: what the account has published, as
/// `/cgi-bin/freepublish/batchget` answers it.
pub async fn publications(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let c = a.caller(&st).await?;
    let Json(out) = crate::cgi::draft::publish_batchget(State(st), c, WxJsonOrEmpty(json!({"offset": 0, "count": 20, "no_content": 1}))).await.map_err(refused)?;
    Ok(Json(out))
}
