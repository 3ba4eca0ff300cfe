//! The developer-server callback protocol (reference §4): Herald pushes messages and events
//! to the account's server as XML, signed, optionally AES-encrypted, and reads passive replies.

pub mod crypto;
pub mod reply;
pub mod xml;
