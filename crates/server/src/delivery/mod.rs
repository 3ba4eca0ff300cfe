//! Delivery to developer servers: URL verification, one callback attempt in plain,
//! compatible or safe mode, and the worker that drains the durable queue.

pub mod client;
pub mod guard;
pub mod worker;

use std::time::{Duration, Instant};

use herald_domain::conversation::delivery::{MAX_REPLY_BYTES, TIMEOUT_MS};
use herald_domain::conversation::SERVICE_UNAVAILABLE;
use herald_domain::account::MessageMode;
use herald_store::{Account, Attempt, Direction, Job, JobOutcome, NewMessage};
use herald_wire::callback::crypto::{msg_signature, signature, MsgCrypto};
use herald_wire::callback::reply::{parse_answer, parse_reply, Answer, Reply};
use herald_wire::callback::xml;
use herald_wire::{AppId, OpenId, UserId};
use hyper::Method;
use serde_json::json;

pub use client::{Outbound, Outgoing, SendError};

/// The HTTP client for callbacks and notifications.
pub fn client(allow_private: bool) -> Outbound {
    Outbound::new(allow_private, Duration::from_millis(TIMEOUT_MS))
}

/// A callback POST or URL check: the 5-second timeout, replies read up to their bound.
fn callback<'a>(method: Method, url: &'a str, query: &'a [(&'a str, &'a str)], body: String) -> Outgoing<'a> {
    Outgoing {
        method,
        url,
        query,
        headers: &[("content-type", "text/xml"), ("user-agent", "Mozilla/4.0")],
        body: body.into(),
        timeout: Duration::from_millis(TIMEOUT_MS),
        limit: MAX_REPLY_BYTES,
    }
}

/// "500 Internal Server Error", as an attempt's error shows a status.
fn status_line(status: u16) -> String {
    hyper::StatusCode::from_u16(status).map(|s| s.to_string()).unwrap_or_else(|_| status.to_string())
}

fn nonce() -> String {
    rand::random::<u32>().to_string()
}

/// WeChat's URL check when a developer server is saved: a GET with signature, timestamp,
/// nonce and echostr that must answer with the echostr.
pub async fn verify_url(http: &Outbound, url: &str, token: &str, now: i64) -> Result<(), String> {
    let ts = now.to_string();
    let nonce = nonce();
    let echostr = rand::random::<u64>().to_string();
    let sig = signature(token, &ts, &nonce);
    let query = [("signature", sig.as_str()), ("timestamp", ts.as_str()), ("nonce", nonce.as_str()), ("echostr", echostr.as_str())];
    let answer = http.send(callback(Method::GET, url, &query, String::new())).await.map_err(|e| match e {
        SendError::Refused(why) => why,
        e => format!("the URL did not answer: {e}"),
    })?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("the URL answered HTTP {}", status_line(answer.status)));
    }
    let body = answer.body.unwrap_or_default();
    if String::from_utf8_lossy(&body).trim() != echostr {
        return Err("the URL did not echo echostr (check the Token)".into());
    }
    Ok(())
}

/// The JSON a passive reply is kept as in the conversation.
pub fn reply_message(r: &Reply) -> (&'static str, serde_json::Value) {
    match r {
        Reply::Text { content } => ("text", json!({"content": content})),
        Reply::Image { media_id } => ("image", json!({"media_id": media_id})),
        Reply::Voice { media_id } => ("voice", json!({"media_id": media_id})),
        Reply::Video { media_id, title, description } => ("video", json!({"media_id": media_id, "title": title, "description": description})),
        Reply::Music { title, description, music_url, hq_music_url, thumb_media_id } => (
            "music",
            json!({"title": title, "description": description, "musicurl": music_url, "hqmusicurl": hq_music_url, "thumb_media_id": thumb_media_id}),
        ),
        Reply::News { articles } => (
            "news",
            json!({"articles": articles.iter().map(|a| json!({"title": a.title, "description": a.description, "picurl": a.pic_url, "url": a.url})).collect::<Vec<_>>()}),
        ),
        Reply::TransferCustomerService { kf_account } => ("transfer_customer_service", json!({"kf_account": kf_account})),
    }
}

/// What one attempt produced, before it is stored.
pub struct AttemptResult {
    pub attempt: Attempt,
    pub outcome: JobOutcome,
}

struct Target<'a> {
    appid: &'a AppId,
    user: UserId,
    openid: OpenId,
    is_message: bool,
}

fn out_message(t: &Target<'_>, source: &str, msg_type: &str, body: serde_json::Value, now: i64) -> NewMessage {
    NewMessage {
        appid: t.appid.clone(),
        user_id: t.user.clone(),
        openid: t.openid.clone(),
        direction: Direction::Out,
        source: source.into(),
        msg_type: msg_type.into(),
        body: body.to_string(),
        created_at: now,
    }
}

/// Delivers one claimed callback job once. `now` is the platform clock (seconds, for the
/// signature timestamp and the reply's time); `now_ms` the real clock for the queue.
pub async fn attempt(http: &Outbound, account: Option<&Account>, job: &Job, now: i64, now_ms: i64) -> AttemptResult {
    let [from, msg_type] = xml::fields(&job.payload, ["FromUserName", "MsgType"]).unwrap_or_default();
    let target = Target {
        appid: &job.appid,
        user: job.user_id.clone().unwrap_or_default(),
        openid: OpenId(from.unwrap_or_default()),
        is_message: msg_type.as_deref() != Some("event"),
    };
    let mut record = Attempt {
        id: 0,
        job_id: job.id,
        appid: job.appid.clone(),
        attempt: job.attempts,
        url: String::new(),
        request: String::new(),
        status: None,
        response: None,
        latency_ms: 0,
        error: None,
        at: now_ms,
    };
    let notice = |t: &Target<'_>| t.is_message.then(|| out_message(t, "notice", "text", json!({"content": SERVICE_UNAVAILABLE}), now));
    let give_up = |mut record: Attempt, error: String, t: &Target<'_>| {
        record.error = Some(error.clone());
        AttemptResult { attempt: record, outcome: JobOutcome::Failed { error, notice: notice(t) } }
    };
    let Some(account) = account else { return give_up(record, "the account no longer exists".into(), &target) };
    let (Some(url), Some(token)) = (account.server.url.as_deref(), account.server.token.as_deref()) else {
        return give_up(record, "the account has no developer server".into(), &target);
    };
    record.url = url.to_string();
    let mode = account.server.mode;
    let crypto = match (mode, account.server.encoding_aes_key.as_deref()) {
        (MessageMode::Plain, _) => None,
        (_, Some(key)) => match MsgCrypto::new(key, account.appid.as_str()) {
            Ok(c) => Some(c),
            Err(e) => return give_up(record, format!("bad EncodingAESKey: {e}"), &target),
        },
        (_, None) => return give_up(record, "no EncodingAESKey for an encrypted mode".into(), &target),
    };
    let ts = now.to_string();
    let nonce = nonce();
    let sig = signature(token, &ts, &nonce);
    let mut query = vec![("signature", sig.as_str()), ("timestamp", ts.as_str()), ("nonce", nonce.as_str()), ("openid", target.openid.0.as_str())];
    let mut msg_sig = String::new();
    let body = match &crypto {
        None => job.payload.clone(),
        Some(c) => {
            let encrypt = c.encrypt(&job.payload);
            msg_sig = msg_signature(token, &ts, &nonce, &encrypt);
            if mode == MessageMode::Safe {
                xml::render(&[
                    xml::Field::Text("ToUserName", account.original_id.clone()),
                    xml::Field::Text("Encrypt", encrypt),
                ])
            } else {
                let cut = job.payload.rfind("</xml>").unwrap_or(job.payload.len());
                format!("{}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", &job.payload[..cut])
            }
        }
    };
    if crypto.is_some() {
        query.extend([("encrypt_type", "aes"), ("msg_signature", msg_sig.as_str())]);
    }
    record.request = body.clone();
    let started = Instant::now();
    let result = http.send(callback(Method::POST, url, &query, body)).await;
    record.latency_ms = started.elapsed().as_millis() as i64;
    let retry_or_fail = |mut record: Attempt, error: String| {
        record.error = Some(error.clone());
        if job.attempts < herald_domain::conversation::delivery::ATTEMPTS {
            AttemptResult { attempt: record, outcome: JobOutcome::Retry { run_at: now_ms, error } }
        } else {
            AttemptResult { attempt: record, outcome: JobOutcome::Failed { error, notice: notice(&target) } }
        }
    };
    let answer = match result {
        Err(SendError::Refused(why)) => return give_up(record, why, &target),
        Err(SendError::Timeout) => return retry_or_fail(record, format!("no answer within {TIMEOUT_MS} ms")),
        Err(SendError::Failed(why)) => return retry_or_fail(record, format!("request failed: {why}")),
        Ok(a) => a,
    };
    record.status = Some(i64::from(answer.status));
    let body = match answer.body {
        _ if !(200..300).contains(&answer.status) => return retry_or_fail(record, format!("HTTP {}", status_line(answer.status))),
        None => return give_up(record, format!("reply longer than {MAX_REPLY_BYTES} bytes"), &target),
        Some(b) => match String::from_utf8(b.into()) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        },
    };
    record.response = Some(if body.len() <= 4096 { body.clone() } else { body.chars().take(4096).collect() });
    let reply = match parse_answer(&body) {
        Err(why) => return give_up(record, format!("malformed reply: {why}"), &target),
        Ok(Answer::Nothing) => None,
        Ok(Answer::Reply(r)) if mode != MessageMode::Safe => Some(r),
        Ok(Answer::Reply(_)) => return give_up(record, "malformed reply: safe mode needs an encrypted reply".into(), &target),
        Ok(Answer::Encrypted { encrypt, msg_signature: sig, timestamp, nonce }) => {
            let Some(c) = &crypto else { return give_up(record, "malformed reply: encrypted reply in plain mode".into(), &target) };
            if msg_signature(token, &timestamp, &nonce, &encrypt) != sig {
                return give_up(record, "malformed reply: MsgSignature does not match".into(), &target);
            }
            match c.decrypt(&encrypt).map_err(|e| e.to_string()).and_then(|x| parse_reply(&x)) {
                Ok(r) => r,
                Err(why) => return give_up(record, format!("malformed reply: {why}"), &target),
            }
        }
    };
    let reply = reply.map(|r| {
        let (ty, body) = reply_message(&r);
        out_message(&target, "passive_reply", ty, body, now)
    });
    AttemptResult { attempt: record, outcome: JobOutcome::Done { reply } }
}
