//! The WeChat-compatible Official Account API, one module per area (reference:
//! `../shared/reference/wechat-oa-api.md`).

pub mod content;
pub mod draft;
pub mod mass;
pub mod media;
pub mod menu;
pub mod message;
pub mod misc;
pub mod qrcode;
pub mod sns;
pub mod tags;
pub mod template;
pub mod token;
pub mod user;
