//! Live updates for the follower app: `GET /herald/v1/users/{id}/live`, Server-Sent Events.
//!
//! Each node runs one watcher (started with its first listener) that reads the shared
//! database's change feed (`LiveStore`) every 200 ms and tells the listeners it holds: so a
//! message stored by any node reaches a browser attached to any other. Events only say what
//! changed (`message` with the account, `push` with the account, `wallet`); the app then reads
//! what it shows through the usual endpoints.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use herald_store::{LiveChange, LiveCursor};
use herald_wire::{AppId, UserId};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::users::load_user;
use crate::error::ApiError;
use crate::extract::ActingFor;
use crate::state::AppState;

/// How often the watcher reads the shared feed at the latest: what other nodes stored shows
/// within this; what this node stored is read at once (`poke`).
const TICK: Duration = Duration::from_millis(100);
/// How far back each read looks again, for ids committed out of order on PostgreSQL.
const LOOKBACK: i64 = 256;
const BATCH: i64 = 5_000;
/// Events waiting for a slow browser before newer ones are dropped (each only says "look", so
/// a few are plenty).
const QUEUE: usize = 8;

type Tx = mpsc::Sender<Event>;

/// This node's listeners, by user.
#[derive(Default)]
pub struct LiveHub {
    listeners: Mutex<HashMap<UserId, Vec<Tx>>>,
    watching: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
}

impl LiveHub {
    /// This node stored something a follower may be waiting for: read the feed now.
    pub fn poke(&self) {
        if self.watching.load(std::sync::atomic::Ordering::Relaxed) {
            self.wake.notify_one();
        }
    }

    fn add(&self, user: UserId, tx: Tx) {
        let mut l = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        l.entry(user).or_default().push(tx);
    }

    /// Live listeners on this node (closed ones are forgotten here).
    pub fn listener_count(&self) -> usize {
        let mut l = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        l.retain(|_, txs| {
            txs.retain(|tx| !tx.is_closed());
            !txs.is_empty()
        });
        l.values().map(Vec::len).sum()
    }

    /// Sends to one user's listeners, forgetting closed ones.
    fn send(&self, user: &UserId, ev: &Event) {
        let mut l = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(txs) = l.get_mut(user) {
            txs.retain(|tx| !tx.is_closed());
            for tx in txs.iter() {
                let _ = tx.try_send(ev.clone());
            }
            if txs.is_empty() {
                l.remove(user);
            }
        }
    }

    /// Sends to everyone listening (push events: the app knows what it follows).
    fn send_all(&self, ev: &Event) {
        let mut l = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        l.retain(|_, txs| {
            txs.retain(|tx| !tx.is_closed());
            for tx in txs.iter() {
                let _ = tx.try_send(ev.clone());
            }
            !txs.is_empty()
        });
    }
}

/// Ids seen recently, so the lookback does not repeat events.
#[derive(Default)]
struct Seen {
    set: HashSet<(u8, i64, String)>,
    order: VecDeque<(u8, i64, String)>,
}

impl Seen {
    /// True the first time.
    fn first(&mut self, key: (u8, i64, String)) -> bool {
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > 50_000 {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

async fn account_card(st: &AppState, cache: &mut HashMap<AppId, (String, bool)>, appid: &AppId) -> (String, bool) {
    if let Some(c) = cache.get(appid) {
        return c.clone();
    }
    let card = match st.store.account(appid.as_str()).await {
        Ok(Some(a)) => (a.name, a.ty == herald_domain::account::AccountType::Service),
        _ => (String::new(), false),
    };
    cache.insert(appid.clone(), card.clone());
    card
}

/// The node's watcher: reads the change feed and fans events out, while anyone listens.
async fn watch(st: AppState) {
    let hub = st.live.clone();
    let mut cursor = match st.store.live_head().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the live feed could not start");
            hub.watching.store(false, std::sync::atomic::Ordering::SeqCst);
            return;
        }
    };
    // What was there before this watcher started is not news, lookback or not.
    let floor = cursor;
    let mut seen = Seen::default();
    let mut names: HashMap<AppId, (String, bool)> = HashMap::new();
    loop {
        let ticked = tokio::select! {
            _ = tokio::time::sleep(TICK) => true,
            _ = hub.wake.notified() => false,
        };
        // Who still listens is counted on the clock, not on every poke (it walks every
        // listener).
        if ticked && hub.listener_count() == 0 {
            // Nobody listens: stop, and start afresh (from the head) with the next listener.
            hub.watching.store(false, std::sync::atomic::Ordering::SeqCst);
            if hub.listener_count() == 0 || hub.watching.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return;
            }
        }
        let changes = match st.store.live_changes(cursor, LOOKBACK, BATCH).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "reading the live feed failed");
                continue;
            }
        };
        names.clear();
        let mut next = cursor;
        for c in changes {
            match c {
                LiveChange::Message { seq, user, appid, outbound } => {
                    next.message = next.message.max(seq);
                    if seq > floor.message && seen.first((0, seq, String::new())) {
                        let (name, _) = account_card(&st, &mut names, &appid).await;
                        let data = json!({"appid": appid, "name": name, "outbound": outbound}).to_string();
                        hub.send(&user, &Event::default().event("message").data(data));
                    }
                }
                LiveChange::Mass { msg_id, appid } => {
                    next.mass = next.mass.max(msg_id);
                    if msg_id > floor.mass && seen.first((1, msg_id, String::new())) {
                        let (name, service) = account_card(&st, &mut names, &appid).await;
                        let data = json!({"appid": appid, "name": name, "notify": service}).to_string();
                        hub.send_all(&Event::default().event("push").data(data));
                    }
                }
                LiveChange::Wallet { txn, user } => {
                    next.txn = next.txn.max(txn);
                    if txn > floor.txn && seen.first((2, txn, user.0.clone())) {
                        hub.send(&user, &Event::default().event("wallet").data("{}"));
                    }
                }
            }
        }
        cursor = LiveCursor { message: next.message, mass: next.mass, txn: next.txn };
    }
}

/// `GET /herald/v1/users/{id}/live`: the user's live events.
pub async fn live(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> Result<axum::response::Response, ApiError> {
    let user = load_user(&st, &id).await?;
    // One small channel per browser, read straight by the response body: the hub sees it
    // closed when the browser goes.
    let (tx, rx) = mpsc::channel::<Event>(QUEUE);
    st.live.add(user.id.clone(), tx);
    if !st.live.watching.swap(true, std::sync::atomic::Ordering::SeqCst) {
        tokio::spawn(watch(st.clone()));
    }
    let stream = tokio_stream::StreamExt::map(ReceiverStream::new(rx), Ok::<Event, Infallible>);
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut r = axum::response::IntoResponse::into_response(sse);
    // Proxies must not buffer the stream.
    r.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    Ok(r)
}

pub type Hub = Arc<LiveHub>;
