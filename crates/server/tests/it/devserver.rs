//! A fake developer server for tests: answers URL verification, checks every callback's
//! signature (and msg_signature, and decrypts, in safe and compatible mode), records what it
//! received, and replies as told.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use herald_wire::callback::crypto::{msg_signature, signature, MsgCrypto};
use herald_wire::callback::xml::{parse, render, Element, Field};
use serde_json::{json, Value};

pub const TOKEN: &str = "devtoken123";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// How the server answers callbacks.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A passive text reply `echo: <Content or Event>`.
    Echo,
    /// `success`.
    Success,
    /// Sleeps longer than Herald waits.
    Slow(Duration),
    /// HTTP 500.
    Fail,
    /// A JSON body, which is not a valid reply.
    Malformed,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub query: Value,
    /// The plaintext message (decrypted in safe and compatible mode).
    pub message: Element,
    pub encrypted: bool,
}

struct Inner {
    appid: String,
    behaviour: Behaviour,
    received: Vec<Received>,
    bad_signatures: usize,
}

#[derive(Clone)]
pub struct DevServer {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

impl DevServer {
    pub async fn start(appid: &str, behaviour: Behaviour) -> DevServer {
        let inner = Arc::new(Mutex::new(Inner { appid: appid.into(), behaviour, received: Vec::new(), bad_signatures: 0 }));
        let app = Router::new().route("/wx", get(verify).post(callback)).with_state(inner.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wx", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        DevServer { inner, url }
    }

    pub fn set(&self, b: Behaviour) {
        self.inner.lock().unwrap().behaviour = b;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn bad_signatures(&self) -> usize {
        self.inner.lock().unwrap().bad_signatures
    }
}

async fn verify(Query(q): Query<std::collections::HashMap<String, String>>) -> String {
    let ok = signature(TOKEN, &q["timestamp"], &q["nonce"]) == q["signature"];
    if ok { q["echostr"].clone() } else { "bad signature".into() }
}

async fn callback(State(inner): State<Arc<Mutex<Inner>>>, Query(q): Query<std::collections::HashMap<String, String>>, body: String) -> (axum::http::StatusCode, String) {
    let (appid, behaviour) = {
        let i = inner.lock().unwrap();
        (i.appid.clone(), i.behaviour.clone())
    };
    let (ts, nonce) = (q.get("timestamp").cloned().unwrap_or_default(), q.get("nonce").cloned().unwrap_or_default());
    let mut sig_ok = q.get("signature") == Some(&signature(TOKEN, &ts, &nonce));
    let doc = parse(&body).unwrap();
    let crypto = MsgCrypto::new(AES_KEY, &appid).unwrap();
    let encrypted = q.get("encrypt_type").map(String::as_str) == Some("aes");
    let message = if encrypted {
        let enc = doc.get("Encrypt").unwrap().to_string();
        sig_ok &= q.get("msg_signature") == Some(&msg_signature(TOKEN, &ts, &nonce, &enc));
        parse(&crypto.decrypt(&enc).unwrap()).unwrap()
    } else {
        doc
    };
    {
        let mut i = inner.lock().unwrap();
        if !sig_ok {
            i.bad_signatures += 1;
        }
        let query = json!(q);
        i.received.push(Received { query, message: message.clone(), encrypted });
    }
    match behaviour {
        Behaviour::Success => (axum::http::StatusCode::OK, "success".into()),
        Behaviour::Fail => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "oops".into()),
        Behaviour::Malformed => (axum::http::StatusCode::OK, "{\"reply\": \"json is not xml\"}".into()),
        Behaviour::Slow(d) => {
            tokio::time::sleep(d).await;
            (axum::http::StatusCode::OK, "success".into())
        }
        Behaviour::Echo => {
            let what = message.get("Content").or(message.get("Event")).unwrap_or("?");
            let reply = render(&[
                Field::Text("ToUserName", message.get("FromUserName").unwrap().into()),
                Field::Text("FromUserName", message.get("ToUserName").unwrap().into()),
                Field::Num("CreateTime", 1_700_000_000),
                Field::Text("MsgType", "text".into()),
                Field::Text("Content", format!("echo: {what}")),
            ]);
            if !encrypted {
                return (axum::http::StatusCode::OK, reply);
            }
            let enc = crypto.encrypt(&reply);
            let sig = msg_signature(TOKEN, &ts, &nonce, &enc);
            let env = render(&[
                Field::Text("Encrypt", enc),
                Field::Text("MsgSignature", sig),
                Field::Text("TimeStamp", ts),
                Field::Text("Nonce", nonce),
            ]);
            (axum::http::StatusCode::OK, env)
        }
    }
}
