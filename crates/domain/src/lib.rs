//! Herald's rules, free of I/O: what each account type may do, how access tokens live and
//! rotate, the limits on tags and followers. Every rule that counts time takes `now` as an
//! argument, so the simulated clock and tests control it.

pub mod account;
pub mod allowlist;
pub mod auth;
pub mod broadcast;
pub mod console;
pub mod content;
pub mod coupon;
pub mod conversation;
pub mod fault;
pub mod follower;
pub mod idgen;
pub mod ledger;
pub mod menu;
pub mod miniprogram;
pub mod oauth;
pub mod pay;
pub mod profile;
pub mod qrcode;
pub mod redpack;
pub mod sanitize;
pub mod tags;
pub mod template;
pub mod time;
pub mod token;

pub use herald_wire::{ErrCode, WxError};
