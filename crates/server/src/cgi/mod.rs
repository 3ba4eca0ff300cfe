//! The WeChat-compatible Official Account API, one module per area (reference:
//! `../shared/reference/wechat-oa-api.md`).

pub mod message;
pub mod tags;
pub mod token;
pub mod user;
