//! The delivery log: callbacks to an account's developer server, each with its attempts.
//! - `GET /herald/v1/accounts/{appid}/deliveries?state=&limit=`
//! - `POST /herald/v1/accounts/{appid}/deliveries/{id}/redeliver`,
//!   `POST /herald/v1/accounts/{appid}/deliveries/redeliver_failed`

use serde::{Deserialize, Serialize};

/// One attempt at a delivery: the request Herald sent and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttemptOut {
    pub attempt: i64,
    pub url: String,
    /// The body sent (encrypted in safe and compatible modes).
    pub request: String,
    /// The HTTP status; None when no answer came.
    pub status: Option<i64>,
    pub response: Option<String>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub at: i64,
    /// `request` decrypted with the account's EncodingAESKey, for reading; None when plain.
    pub request_plain: Option<String>,
    /// `response` decrypted, for reading; None when plain or absent.
    pub response_plain: Option<String>,
}

/// One callback to the developer server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    /// `message` (a follower's message or event) or another job kind.
    pub kind: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    /// The conversation message it carries, if any.
    pub message_seq: Option<i64>,
    pub payload: String,
    pub attempts: Vec<AttemptOut>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryOut>,
}

/// How many deliveries were queued again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequeuedOut {
    pub requeued: i64,
}

/// One call an account made to the WeChat-compatible APIs, as the request log kept it (secrets
/// masked, bodies cut to 4 KiB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCallOut {
    pub id: i64,
    /// When it was answered (Unix milliseconds, the machine's clock).
    pub at_ms: i64,
    pub method: String,
    pub path: String,
    pub status: i64,
    /// The answer's errcode (None when it had none).
    pub errcode: Option<i64>,
    pub latency_ms: i64,
    /// The request line with its masked query, then the masked body.
    pub request: String,
    pub response: String,
    /// The fault rule that answered, if one did.
    pub fault: Option<i64>,
}

/// `GET /herald/v1/accounts/{appid}/api_calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCallList {
    /// Does this server record calls (`HERALD_REQUEST_LOG`)? When not, the list is empty.
    pub enabled: bool,
    /// How many days calls are kept.
    pub keep_days: i64,
    /// Newest first.
    pub calls: Vec<ApiCallOut>,
    /// Pass as `before` for older calls; None when there are no more.
    pub next: Option<i64>,
}
