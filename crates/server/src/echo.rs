//! `herald echo-server`: a minimal developer server. It answers URL verification, checks each
//! callback's signature, and replies to text messages with `echo: <text>` (encrypted when the
//! callback was), to other messages with `success`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use herald_wire::callback::crypto::{msg_signature, signature, MsgCrypto};
use herald_wire::callback::xml::{parse, render, Field};

struct Echo {
    token: String,
    crypto: Option<MsgCrypto>,
}

type Q = Query<HashMap<String, String>>;

fn param<'a>(q: &'a HashMap<String, String>, k: &str) -> &'a str {
    q.get(k).map(String::as_str).unwrap_or("")
}

async fn verify(State(e): State<Arc<Echo>>, Query(q): Q) -> (StatusCode, String) {
    if signature(&e.token, param(&q, "timestamp"), param(&q, "nonce")) != param(&q, "signature") {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    (StatusCode::OK, param(&q, "echostr").to_string())
}

async fn callback(State(e): State<Arc<Echo>>, Query(q): Q, body: String) -> (StatusCode, String) {
    let (ts, nonce) = (param(&q, "timestamp"), param(&q, "nonce"));
    if signature(&e.token, ts, nonce) != param(&q, "signature") {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let Ok(doc) = parse(&body) else { return (StatusCode::BAD_REQUEST, "bad xml".into()) };
    let encrypted = param(&q, "encrypt_type") == "aes";
    let msg = if encrypted {
        let (Some(c), Some(enc)) = (&e.crypto, doc.get("Encrypt")) else { return (StatusCode::BAD_REQUEST, "no key".into()) };
        if msg_signature(&e.token, ts, nonce, enc) != param(&q, "msg_signature") {
            return (StatusCode::UNAUTHORIZED, "bad msg_signature".into());
        }
        match c.decrypt(enc).ok().and_then(|x| parse(&x).ok()) {
            Some(m) => m,
            None => return (StatusCode::BAD_REQUEST, "cannot decrypt".into()),
        }
    } else {
        doc
    };
    let Some(content) = msg.get("Content").filter(|_| msg.get("MsgType") == Some("text")) else {
        return (StatusCode::OK, "success".into());
    };
    let reply = render(&[
        Field::Text("ToUserName", msg.get("FromUserName").unwrap_or_default().into()),
        Field::Text("FromUserName", msg.get("ToUserName").unwrap_or_default().into()),
        Field::Num("CreateTime", msg.get("CreateTime").and_then(|t| t.parse().ok()).unwrap_or(0)),
        Field::Text("MsgType", "text".into()),
        Field::Text("Content", format!("echo: {content}")),
    ]);
    let Some(c) = e.crypto.as_ref().filter(|_| encrypted) else { return (StatusCode::OK, reply) };
    let enc = c.encrypt(&reply);
    let sig = msg_signature(&e.token, ts, nonce, &enc);
    let envelope = render(&[
        Field::Text("Encrypt", enc),
        Field::Text("MsgSignature", sig),
        Field::Text("TimeStamp", ts.into()),
        Field::Text("Nonce", nonce.into()),
    ]);
    (StatusCode::OK, envelope)
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    token: String,
    aes_key: String,
    appid: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let crypto = MsgCrypto::new(&aes_key, &appid).ok();
    let app = Router::new().fallback(get(verify).post(callback)).with_state(Arc::new(Echo { token, crypto }));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
