//! Herald's wire layer: the request and response shapes of the WeChat-compatible API (`cgi`)
//! and of Herald's own platform API (`platform`), plus the one table of error codes.
//! Pure: serde only, no I/O.

pub mod callback;
pub mod cgi;
pub mod errcode;
pub mod ids;
pub mod jssdk;
pub mod lenient;
pub mod pay;
pub mod platform;
pub mod wxa;

pub use errcode::{ErrCode, WxError, WxOk};
pub use ids::*;
