//! Fresh identifiers and secrets, shaped like WeChat's.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

const OPENID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn from_alphabet(rng: &mut impl Rng, len: usize) -> String {
    (0..len).map(|_| OPENID_ALPHABET[rng.gen_range(0..OPENID_ALPHABET.len())] as char).collect()
}

/// `wx` + 16 lowercase hex digits.
pub fn appid(rng: &mut impl Rng) -> String {
    format!("wx{:016x}", rng.gen::<u64>())
}

/// 32 lowercase hex digits.
pub fn app_secret(rng: &mut impl Rng) -> String {
    format!("{:032x}", rng.gen::<u128>())
}

/// 28 characters starting with `o`, like WeChat's openids.
pub fn openid(rng: &mut impl Rng) -> String {
    format!("o{}", from_alphabet(rng, 27))
}

/// 28 characters starting with `o`, like WeChat's unionids.
pub fn unionid(rng: &mut impl Rng) -> String {
    format!("o{}", from_alphabet(rng, 27))
}

/// An opaque access token (WeChat's are 100+ characters; SDKs store at least 512).
pub fn access_token(rng: &mut impl Rng) -> String {
    format!("HRD_{}", Alphanumeric.sample_string(rng, 96))
}

/// A bearer credential for the operator or a session.
pub fn secret_token(rng: &mut impl Rng, prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(rng, 40))
}

/// A short random id with a prefix, for platform objects (`u_…`, `org_…`).
pub fn prefixed_id(rng: &mut impl Rng, prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(rng, 16).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut r = rand::thread_rng();
        let a = appid(&mut r);
        assert!(a.starts_with("wx") && a.len() == 18 && a[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(app_secret(&mut r).len(), 32);
        let o = openid(&mut r);
        assert!(o.starts_with('o') && o.len() == 28);
        assert_ne!(openid(&mut r), o);
        assert!(access_token(&mut r).len() >= 100);
    }
}
