//! The WeChat-compatible Official Account API, one module per area (reference:
//! `../shared/reference/wechat-oa-api.md`).

pub mod content;
pub mod draft;
pub mod mass;
pub mod media;
pub mod message;
pub mod tags;
pub mod template;
pub mod token;
pub mod user;
