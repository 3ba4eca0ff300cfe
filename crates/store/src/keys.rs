//! Compact keys the schemas index by, computed alike by the code and by the migrations that
//! fill them in for existing rows.

use md5::{Digest, Md5};

/// A conversation's key: the first 44 bits of MD5("<appid>:<user id>"). The conversation
/// index holds this 6-byte integer per message instead of both ids (about a third of the
/// size), so each batch of deliveries dirties fewer of its pages. Two conversations may share
/// a key: every query also compares both ids, so a shared key costs a few reads, never a wrong
/// answer. PostgreSQL's migration computes it as
/// `('x' || substr(md5(appid || ':' || user_id), 1, 11))::bit(44)::bigint`; SQLite's calls
/// this function.
pub fn conversation_key(appid: &str, user_id: &str) -> i64 {
    let digest = Md5::new().chain_update(appid).chain_update(b":").chain_update(user_id).finalize();
    let mut first = [0u8; 8];
    first[2..].copy_from_slice(&digest[..6]);
    (u64::from_be_bytes(first) >> 4) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_first_44_bits_of_the_md5() {
        // md5("wx1234567890abcdef:u_abc") = c729bbd418b9b6fa486faf6d3517ac1f (python3 -c "import hashlib; print(hashlib.md5(b'...').hexdigest())")
        let hex = "c729bbd418b9b6fa486faf6d3517ac1f";
        let want = i64::from_str_radix(&hex[..11], 16).unwrap();
        assert_eq!(conversation_key("wx1234567890abcdef", "u_abc"), want);
        assert!(conversation_key("wx1234567890abcdef", "u_abc") < 1 << 44);
        assert_ne!(conversation_key("wx1234567890abcdef", "u_abc"), conversation_key("wx1234567890abcdef", "u_abd"));
    }
}
