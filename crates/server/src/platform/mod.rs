//! Herald's own platform API (`/herald/v1`), for the operator and simulated users.

pub mod accounts;
pub mod automation;
pub mod auth;
pub mod broadcast;
pub mod chats;
pub mod clock;
pub mod console;
pub mod content;
pub mod conversations;
pub mod directory;
pub mod inbox;
pub mod live;
pub mod manage;
pub mod members;
pub mod merchants;
pub mod miniprogram;
pub mod mppackages;
pub mod redpacks;
pub mod templates;
pub mod users;
pub mod wallet;
pub mod web;

use axum::Json;
use serde_json::{json, Value};

/// `GET /herald/v1/health`: no credential; says the server is up and which clock it runs.
pub async fn health(axum::extract::State(st): axum::extract::State<crate::AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "clock": if st.clock.is_simulated() { "simulated" } else { "real" }}))
}
