//! Herald's own platform API (`/herald/v1/...`): JSON over HTTP for the operator and for
//! simulated end users. Errors are `{"code":"...","message":"..."}` with an HTTP 4xx/5xx status.
//! Documented in `docs/openapi.yaml`.

pub mod accounts;
pub mod auth;
pub mod console;
pub mod clock;
pub mod profile;
pub mod users;

use serde::{Deserialize, Serialize};

/// The body of every failed platform-API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformError {
    pub code: String,
    pub message: String,
}
