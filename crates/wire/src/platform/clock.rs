//! The platform clock.
//! - `GET /herald/v1/clock`
//! - `POST /herald/v1/clock` `{"set": unix_seconds}` or `{"advance": seconds}`, optional `"frozen"`

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockOut {
    /// The platform's now, Unix seconds.
    pub now: i64,
    /// ISO 8601, UTC.
    pub now_iso: String,
    /// `real` or `simulated`.
    pub mode: String,
    /// A frozen simulated clock moves only when set or advanced.
    pub frozen: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockIn {
    #[serde(default)]
    pub set: Option<i64>,
    #[serde(default)]
    pub advance: Option<i64>,
    #[serde(default)]
    pub frozen: Option<bool>,
}
