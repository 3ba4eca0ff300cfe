//! Mini-program automation (`miniprogram-automator`'s `automator.connect({ wsEndpoint })`): a
//! relay on each node between an automation client (`GET /herald/v1/automation/{appid}`, a
//! WebSocket, the operator token as `?token=`) and the mini program open in a follower's app
//! (the app's page attaches over `GET /herald/v1/users/{id}/miniprograms/{appid}/automation`
//! and hands each command to the runtime in its frame). Messages are the automator's own:
//! `{id, method, params}` one way, `{id, result}` or `{id, error}` and events the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::users::load_user;
use crate::error::ApiError;
use crate::extract::ActingFor;
use crate::state::AppState;

type Tx = mpsc::UnboundedSender<String>;

/// The device (an open mini program) of each AppID on this node, and where each command's
/// answer goes.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    devices: HashMap<String, (u64, Tx)>,
    /// Command id → the client that sent it.
    routes: HashMap<String, Tx>,
    /// Clients of each AppID, for events.
    clients: HashMap<String, Vec<(u64, Tx)>>,
}

pub type Hub = Arc<Registry>;

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn pump(mut socket: WebSocket, mut rx: mpsc::UnboundedReceiver<String>, mut on_text: impl FnMut(String)) {
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            inc = socket.recv() => match inc {
                Some(Ok(Message::Text(t))) => on_text(t.to_string()),
                Some(Ok(Message::Ping(p))) => {
                    let _ = socket.send(Message::Pong(p)).await;
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /herald/v1/automation/{appid}?token=OPERATOR_TOKEN` (WebSocket): where
/// `automator.connect({ wsEndpoint })` attaches.
pub async fn client(State(st): State<AppState>, Path(appid): Path<String>, Query(q): Query<TokenQuery>, ws: WebSocketUpgrade) -> Response {
    if !crate::extract::constant_time_eq(q.token.as_bytes(), st.operator_token.as_bytes()) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "give the operator token as ?token=").into_response();
    }
    let hub = st.automation.clone();
    ws.on_upgrade(move |socket| async move {
        let (tx, rx) = mpsc::unbounded_channel();
        let me = {
            let mut g = hub.lock();
            g.next += 1;
            let me = g.next;
            g.clients.entry(appid.clone()).or_default().push((me, tx.clone()));
            me
        };
        let (hub2, appid2) = (hub.clone(), appid.clone());
        pump(socket, rx, move |text| {
            let mut g = hub2.lock();
            let id = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["id"].as_str().map(str::to_string));
            match (g.devices.get(&appid2).cloned(), id) {
                (Some((_, device)), Some(id)) => {
                    g.routes.insert(id, tx.clone());
                    let _ = device.send(text);
                }
                (None, Some(id)) => {
                    let msg = format!("no mini program {appid2} is open in a Herald app on this node: open it first");
                    let _ = tx.send(json!({"id": id, "error": {"message": msg}}).to_string());
                }
                _ => {}
            }
        })
        .await;
        let mut g = hub.lock();
        if let Some(list) = g.clients.get_mut(&appid) {
            list.retain(|(id, _)| *id != me);
        }
    })
}

/// `GET /herald/v1/users/{id}/miniprograms/{appid}/automation` (WebSocket, the user's session):
/// the follower app's page of an open mini program offers it to automation clients. The
/// newest page of an AppID is the one driven.
pub async fn device(
    State(st): State<AppState>,
    _: ActingFor,
    Path((id, appid)): Path<(String, String)>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    load_user(&st, &id).await?;
    // A page of another site cannot attach the user's browser (the session cookie is Lax, and
    // the origin must be the app's).
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let app = url::Url::parse(st.base_url()).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        if !st.base_url().is_empty() && origin != app {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "automation attaches from the app's own pages only"));
        }
    }
    let hub = st.automation.clone();
    Ok(ws.on_upgrade(move |socket| async move {
        let (tx, rx) = mpsc::unbounded_channel();
        let me = {
            let mut g = hub.lock();
            g.next += 1;
            let me = g.next;
            g.devices.insert(appid.clone(), (me, tx));
            me
        };
        let (hub2, appid2) = (hub.clone(), appid.clone());
        pump(socket, rx, move |text| {
            let mut g = hub2.lock();
            let id = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["id"].as_str().map(str::to_string));
            match id {
                Some(id) => {
                    if let Some(client) = g.routes.remove(&id) {
                        let _ = client.send(text);
                    }
                }
                None => {
                    for (_, c) in g.clients.get(&appid2).into_iter().flatten() {
                        let _ = c.send(text.clone());
                    }
                }
            }
        })
        .await;
        let mut g = hub.lock();
        if g.devices.get(&appid).is_some_and(|(id, _)| *id == me) {
            g.devices.remove(&appid);
        }
    }))
}
