//! The WeChat-compatible Official Account and Mini Program APIs, one module per area
//! (reference: `../shared/reference/wechat-oa-api.md`, `mini-programs.md`).

pub mod content;
pub mod draft;
pub mod mass;
pub mod media;
pub mod menu;
pub mod message;
pub mod misc;
pub mod qrcode;
pub mod sns;
pub mod subscribe;
pub mod tags;
pub mod template;
pub mod token;
pub mod user;
pub mod wxa;
