//! Errors as each API speaks them.
//! - WeChat-compatible API: HTTP 200 with `{"errcode":N,"errmsg":"... rid: ..."}`.
//! - Platform API: an HTTP 4xx/5xx status with `{"code":"...","message":"..."}`.
//!
//! Internal causes are logged; clients see only the wire error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::account::AccountRuleError;
use herald_store::StoreError;
use herald_wire::platform::PlatformError;
use herald_wire::{ErrCode, WxError};

/// A request id in WeChat's `rid` shape (`xxxxxxxx-xxxxxxxx-xxxxxxxx`), unique per process
/// start and request.
pub fn rid() -> String {
    static PROCESS: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let p = *PROCESS.get_or_init(rand::random::<u32>);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{p:08x}-{:08x}-{:08x}", crate::clock::system_now() as u32, n as u32)
}

/// A failed WeChat-compatible call.
#[derive(Debug)]
pub struct WxErr(pub WxError);

pub type WxResult<T> = Result<Json<T>, WxErr>;

impl From<ErrCode> for WxErr {
    fn from(c: ErrCode) -> Self {
        WxErr(WxError::new(c))
    }
}

impl From<WxError> for WxErr {
    fn from(e: WxError) -> Self {
        WxErr(e)
    }
}

impl From<StoreError> for WxErr {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(c) => WxErr(WxError::new(c)),
            StoreError::NotFound => WxErr(WxError::new(ErrCode::InvalidParameter)),
            other => {
                tracing::error!(error = %other, "storage failed");
                WxErr(WxError::new(ErrCode::SystemError))
            }
        }
    }
}

impl IntoResponse for WxErr {
    fn into_response(self) -> Response {
        let mut e = self.0;
        if e.rid.is_none() {
            e.rid = Some(rid());
        }
        (StatusCode::OK, Json(e)).into_response()
    }
}

/// A failed platform-API call.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// A failure that is Herald's, logged; the caller learns only that it happened.
    pub fn internal(why: impl std::fmt::Display) -> Self {
        tracing::error!(error = %why, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such {what}"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Rejected(c) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", c.message()),
            StoreError::Other(m) => {
                tracing::error!(error = %m, "storage failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

impl From<AccountRuleError> for ApiError {
    fn from(e: AccountRuleError) -> Self {
        let (status, code) = match &e {
            AccountRuleError::ServiceNeedsOrganisation => (StatusCode::UNPROCESSABLE_ENTITY, "service_needs_organisation"),
            AccountRuleError::IndividualCannotVerify => (StatusCode::UNPROCESSABLE_ENTITY, "individual_cannot_verify"),
            AccountRuleError::AlreadyService => (StatusCode::CONFLICT, "already_service"),
            AccountRuleError::CannotDowngrade => (StatusCode::CONFLICT, "cannot_downgrade"),
            AccountRuleError::MiniProgramType => (StatusCode::CONFLICT, "mini_program_type"),
            AccountRuleError::InvalidName => (StatusCode::BAD_REQUEST, "invalid_name"),
            AccountRuleError::InvalidIntro => (StatusCode::BAD_REQUEST, "invalid_intro"),
            AccountRuleError::InvalidServerSettings(_) => (StatusCode::BAD_REQUEST, "invalid_server_settings"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(PlatformError { code: self.code.to_string(), message: self.message })).into_response()
    }
}
