//! WeChat Pay on the wire: APIv3 authentication and signatures (auth.rs), keys and
//! certificates (keys.rs), AES-256-GCM (aead.rs), the v3 error table (code.rs), the order,
//! refund and notification shapes (types.rs), bills and their download tokens (bill.rs) and the
//! v2 XML API (v2.rs).

pub mod aead;
pub mod auth;
pub mod bill;
pub mod code;
pub mod keys;
pub mod types;
pub mod v2;

pub use code::PayCode;
