//! How followers sign in: what a login and a password may be, how failed attempts are
//! limited, and the CSRF token a session's writes carry. Pure.

use sha2::{Digest, Sha256};

/// Failed sign-ins allowed per login in a window, before further attempts are refused.
pub const MAX_FAILURES: i64 = 5;
/// The window failed sign-ins are counted in (15 minutes).
pub const FAILURE_WINDOW: i64 = 15 * 60;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Why a sign-up's fields are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Not a username (3–32 of a–z, 0–9, `_`, `.`, `-`, starting with a letter) nor a phone
    /// number (6–15 digits, an optional leading `+`).
    BadLogin,
    /// Fewer than 8 characters, or over 256 bytes.
    WeakPassword,
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginError::BadLogin => f.write_str(
                "login must be a username (3 to 32 letters, digits, '_', '.' or '-', starting with a letter) or a phone number (6 to 15 digits)",
            ),
            LoginError::WeakPassword => write!(f, "password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} bytes"),
        }
    }
}

/// A login as stored: usernames lower-cased, phone numbers without spaces, dashes or `+`.
pub fn normalize_login(raw: &str) -> Result<String, LoginError> {
    let t = raw.trim();
    let phone: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return if (6..=15).contains(&digits.len()) { Ok(digits.to_string()) } else { Err(LoginError::BadLogin) };
    }
    let lower = t.to_ascii_lowercase();
    let ok = (3..=32).contains(&lower.len())
        && lower.starts_with(|c: char| c.is_ascii_lowercase())
        && lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(lower)
    } else {
        Err(LoginError::BadLogin)
    }
}

/// An owner's console email as stored: trimmed and lower-cased; one `@` with something on each
/// side, a dot in the domain, no spaces, at most 254 bytes. None if it is not one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = e.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

pub fn check_password(p: &str) -> Result<(), LoginError> {
    if p.chars().count() < MIN_PASSWORD_CHARS || p.len() > MAX_PASSWORD_BYTES {
        return Err(LoginError::WeakPassword);
    }
    Ok(())
}

/// May another sign-in be tried for a login with `failures` counted in its window?
pub fn may_try(failures: i64) -> bool {
    failures < MAX_FAILURES
}

/// The CSRF token of a session (by its stored hash): what session-authenticated writes carry
/// in `X-CSRF-Token`. A page on another origin can neither read it nor derive it.
pub fn csrf_token(session_hash: &str) -> String {
    hex::encode(Sha256::digest(format!("herald-csrf:{session_hash}").as_bytes()))
}

/// The id a user sees for one of its sessions: a prefix of the stored hash (never the cookie).
pub fn session_id(session_hash: &str) -> &str {
    &session_hash[..session_hash.len().min(16)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" Owner@Example.COM ").as_deref(), Some("owner@example.com"));
        for bad in ["", "owner", "@example.com", "owner@", "owner@example", "a b@example.com", "a@b@example.com", "owner@.com", "owner@example."] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(normalize_email(&format!("{}@example.com", "a".repeat(250))), None);
    }

    #[test]
    fn logins_are_usernames_or_phone_numbers() {
        assert_eq!(normalize_login(" Alice_01 ").unwrap(), "alice_01");
        assert_eq!(normalize_login("+86 138-0013-8000").unwrap(), "8613800138000");
        assert_eq!(normalize_login("13800138000").unwrap(), "13800138000");
        for bad in ["", "ab", "1abc", "a b", "alice@example.com", "12345", "+1234567890123456", "名字", &"a".repeat(33)] {
            assert_eq!(normalize_login(bad), Err(LoginError::BadLogin), "{bad:?}");
        }
    }

    #[test]
    fn passwords_and_limits() {
        assert!(check_password("correct horse").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(may_try(MAX_FAILURES - 1));
        assert!(!may_try(MAX_FAILURES));
        let t = csrf_token("abc");
        assert_eq!(t.len(), 64);
        assert_ne!(t, csrf_token("abd"));
        assert_eq!(session_id("0123456789abcdef0123"), "0123456789abcdef");
    }
}
