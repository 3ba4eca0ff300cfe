//! Drafts (`/cgi-bin/draft/*`) and publishing (`/cgi-bin/freepublish/*`, with the
//! PUBLISHJOBFINISH event). Open to every account: publishing is what individuals' subscription
//! accounts do.

use axum::extract::State;
use axum::Json;
use herald_domain::broadcast::{is_deleted, mark_deleted};
use herald_domain::content::{self as rules, check_articles};
use herald_store::{Media, Publication};
use herald_wire::callback::xml::{render, Field};
use herald_wire::lenient::{flag_value, int_value};
use herald_wire::{ErrCode, WxError, WxOk};
use serde_json::{json, Value};

use super::content::{check_covers, news_items, published_url};
use super::media::{page_args, update_article};
use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxJsonOrEmpty};
use crate::state::AppState;

fn media_id_of(body: &Value) -> &str {
    body.get("media_id").and_then(Value::as_str).unwrap_or("")
}

async fn draft(st: &AppState, c: &Caller, id: &str) -> Result<Media, WxErr> {
    st.store.media(&c.account.appid, id).await?.filter(|m| m.kind == "draft").ok_or_else(|| ErrCode::InvalidMediaId.into())
}

pub async fn add(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let articles = check_articles(body.get("articles"))?;
    check_covers(&st, &c.account.appid, &articles, c.now).await?;
    let m = Media {
        media_id: rules::media_id(&mut rand::thread_rng()),
        appid: c.account.appid.clone(),
        kind: "draft".into(),
        media_type: "news".into(),
        blob_hash: None,
        filename: String::new(),
        content_type: String::new(),
        size: 0,
        meta: Value::Array(articles).to_string(),
        created_at: c.now,
        updated_at: c.now,
        expires_at: None,
    };
    st.store.put_media(&m).await?;
    Ok(Json(json!({"media_id": m.media_id})))
}

pub async fn get(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let m = draft(&st, &c, media_id_of(&body)).await?;
    let articles: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
    let items = news_items(&st, &c.account.appid, &articles, |_| String::new()).await;
    Ok(Json(json!({"news_item": items, "create_time": m.created_at, "update_time": m.updated_at})))
}

pub async fn delete(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    if !st.store.delete_media(&c.account.appid, media_id_of(&body), "draft").await? {
        return Err(ErrCode::InvalidMediaId.into());
    }
    Ok(Json(WxOk))
}

pub async fn update(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    update_article(&st, &c, "draft", &body).await?;
    Ok(Json(WxOk))
}

pub async fn count(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    let n: i64 = st.store.media_counts(&c.account.appid, "draft").await?.iter().map(|(_, n)| n).sum();
    Ok(Json(json!({"total_count": n})))
}

fn no_content(body: &Value) -> bool {
    flag_value(body.get("no_content"))
}

fn strip_content(items: &mut Value) {
    for a in items.as_array_mut().into_iter().flatten() {
        if let Some(o) = a.as_object_mut() {
            o.remove("content");
        }
    }
}

pub async fn batchget(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let (offset, count) = page_args(&body)?;
    let (total, rows) = st.store.media_page(&c.account.appid, "draft", None, offset, count).await?;
    let mut items = Vec::new();
    for m in rows {
        let articles: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
        let mut news = news_items(&st, &c.account.appid, &articles, |_| String::new()).await;
        if no_content(&body) {
            strip_content(&mut news);
        }
        items.push(json!({"media_id": m.media_id, "content": {"news_item": news, "create_time": m.created_at, "update_time": m.updated_at}, "update_time": m.updated_at}));
    }
    Ok(Json(json!({"total_count": total, "item_count": items.len(), "item": items})))
}

fn article_count(p: &Publication) -> usize {
    serde_json::from_str::<Value>(&p.articles).ok().and_then(|v| v.as_array().map(Vec::len)).unwrap_or(0)
}

fn article_detail(st: &AppState, p: &Publication) -> Value {
    let items: Vec<Value> = (0..article_count(p)).map(|i| json!({"idx": i + 1, "article_url": published_url(st, &p.article_id, i)})).collect();
    json!({"count": items.len(), "item": items})
}

/// PUBLISHJOBFINISH for a finished publication.
fn publish_event(st: &AppState, original_id: &str, p: &Publication) -> String {
    let items: Vec<Field> = (0..article_count(p))
        .map(|i| Field::Node("item", vec![Field::Num("idx", i as i64 + 1), Field::Text("article_url", published_url(st, &p.article_id, i))]))
        .collect();
    let mut detail = vec![Field::Num("count", items.len() as i64)];
    detail.extend(items);
    render(&[
        Field::Text("ToUserName", original_id.to_string()),
        Field::Text("FromUserName", herald_domain::broadcast::SYSTEM_SENDER.to_string()),
        Field::Num("CreateTime", p.created_at),
        Field::Text("MsgType", "event".into()),
        Field::Text("Event", "PUBLISHJOBFINISH".into()),
        Field::Node(
            "PublishEventInfo",
            vec![
                Field::Text("publish_id", p.publish_id.to_string()),
                Field::Num("publish_status", p.status),
                Field::Text("article_id", p.article_id.clone()),
                Field::Node("article_detail", detail),
            ],
        ),
    ])
}

/// `freepublish/submit`: publishes a draft (which leaves the draft box) and raises
/// PUBLISHJOBFINISH.
pub async fn submit(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let m = draft(&st, &c, media_id_of(&body)).await?;
    let account = st.store.account(c.account.appid.as_str()).await?.ok_or(ErrCode::InvalidAppid)?;
    let article_id = rules::article_id(&mut rand::thread_rng());
    let original = account.original_id.clone();
    let st2 = st.clone();
    let event = move |p: &Publication| publish_event(&st2, &original, p);
    let p = st.store.publish(&c.account.appid, &m.media_id, &article_id, &m.meta, c.now, &event, crate::clock::system_now_ms()).await?;
    st.store.delete_media(&c.account.appid, &m.media_id, "draft").await?;
    st.wake.notify_one();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "publish_id": p.publish_id.to_string(), "msg_data_id": p.publish_id.to_string()})))
}

pub async fn publish_get(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let id = int_value(body.get("publish_id")).ok_or(ErrCode::InvalidParameter)?;
    let p = st.store.publication(&c.account.appid, id).await?.ok_or_else(|| WxError::with_detail(ErrCode::InvalidParameter, "invalid publish_id"))?;
    let status = if p.deleted == "*" { 5 } else { p.status };
    Ok(Json(json!({
        "publish_id": p.publish_id.to_string(), "publish_status": status, "article_id": p.article_id,
        "article_detail": article_detail(&st, &p), "fail_idx": []
    })))
}

async fn publication(st: &AppState, c: &Caller, body: &Value) -> Result<Publication, WxErr> {
    let id = body.get("article_id").and_then(Value::as_str).unwrap_or("");
    st.store.publication_by_article(id).await?.filter(|p| p.appid == c.account.appid).ok_or_else(|| ErrCode::PublishArticleMissing.into())
}

/// `freepublish/delete`: index from 1; 0 or none deletes every article.
pub async fn publish_delete(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    let p = publication(&st, &c, &body).await?;
    let index = int_value(body.get("index")).unwrap_or(0);
    let n = article_count(&p) as i64;
    if index > n {
        return Err(ErrCode::InvalidArticleIndex.into());
    }
    let deleted = mark_deleted(&p.deleted, index, Some(n as usize));
    st.store.set_publication_deleted(&c.account.appid, &p.article_id, &deleted, c.now).await?;
    Ok(Json(WxOk))
}

async fn published_items(st: &AppState, c: &Caller, p: &Publication) -> Value {
    let articles: Value = serde_json::from_str(&p.articles).unwrap_or(Value::Null);
    let mut items = news_items(st, &c.account.appid, &articles, |i| published_url(st, &p.article_id, i)).await;
    for (i, a) in items.as_array_mut().into_iter().flatten().enumerate() {
        let gone = is_deleted(&p.deleted, i + 1);
        if let Some(o) = a.as_object_mut() {
            o.insert("is_deleted".into(), json!(gone));
        }
    }
    items
}

pub async fn getarticle(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    let p = publication(&st, &c, &body).await?;
    Ok(Json(json!({"news_item": published_items(&st, &c, &p).await})))
}

pub async fn publish_batchget(State(st): State<AppState>, c: Caller, WxJsonOrEmpty(body): WxJsonOrEmpty<Value>) -> WxResult<Value> {
    let (offset, count) = page_args(&body)?;
    let (total, rows) = st.store.publications(&c.account.appid, offset, count).await?;
    let mut items = Vec::new();
    for p in rows {
        let mut news = published_items(&st, &c, &p).await;
        if no_content(&body) {
            strip_content(&mut news);
        }
        items.push(json!({"article_id": p.article_id, "content": {"news_item": news, "create_time": p.created_at, "update_time": p.updated_at}, "update_time": p.updated_at}));
    }
    Ok(Json(json!({"total_count": total, "item_count": items.len(), "item": items})))
}
