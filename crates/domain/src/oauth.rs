//! Web OAuth (网页授权) and web sign-in: scopes, lifetimes, the redirect_uri domain rule.

use crate::time::UnixTime;
use crate::ErrCode;

/// Codes are single use and live 5 minutes.
pub const CODE_TTL: UnixTime = 300;
/// Web access tokens live 2 hours; refresh tokens 30 days.
pub const ACCESS_TTL: UnixTime = 7200;
pub const REFRESH_TTL: UnixTime = 30 * 86_400;
/// Sign-in links live 1 day and work once; sessions last 30 days.
pub const SIGNIN_LINK_TTL: UnixTime = 86_400;
pub const SESSION_TTL: UnixTime = 30 * 86_400;
/// `state` is at most 128 bytes.
pub const MAX_STATE_BYTES: usize = 128;

/// A web OAuth scope of an Official Account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Silent: the openid only.
    Base,
    /// The user consents; then `/sns/userinfo` gives the profile.
    UserInfo,
}

impl Scope {
    /// `snsapi_base`, `snsapi_userinfo`, or both comma-separated (the wider wins).
    /// Empty → 10010; anything else → 10005.
    pub fn parse(s: &str) -> Result<Scope, ErrCode> {
        if s.trim().is_empty() {
            return Err(ErrCode::ScopeEmpty);
        }
        let mut out = Scope::Base;
        for part in s.split(',') {
            match part.trim() {
                "snsapi_base" => {}
                "snsapi_userinfo" => out = Scope::UserInfo,
                _ => return Err(ErrCode::ScopeUnauthorized),
            }
        }
        Ok(out)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Base => "snsapi_base",
            Scope::UserInfo => "snsapi_userinfo",
        }
    }
}

/// Normalises a configured web domain: a host, optionally with a port, lowercase, no scheme
/// or path. None if it is not one.
pub fn normalize_domain(d: &str) -> Option<String> {
    let d = d.trim().trim_end_matches('/').to_ascii_lowercase();
    if d.is_empty() || d.contains(['/', '?', '#', '@', ' ']) || d.contains("://") {
        return None;
    }
    let parsed = url::Url::parse(&format!("http://{d}/")).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// Does `redirect_uri` lie under the configured domain? As WeChat rules it, the host must be
/// the domain itself (not a subdomain or parent); any path under it is fine. A domain
/// configured without a port accepts any port.
pub fn redirect_allowed(redirect_uri: &str, domain: &str) -> bool {
    let Ok(u) = url::Url::parse(redirect_uri) else { return false };
    if !matches!(u.scheme(), "http" | "https") {
        return false;
    }
    let Some(host) = u.host_str() else { return false };
    let host = host.to_ascii_lowercase();
    let with_port = url::Url::parse(&format!("http://{domain}/")).ok().and_then(|d| d.port()).is_some();
    if with_port {
        let port = u.port_or_known_default().map(|p| p.to_string()).unwrap_or_default();
        format!("{host}:{port}") == domain
    } else {
        host == domain
    }
}

/// Is a code or token issued at `issued` with `ttl` still good at `now`?
pub fn live(issued: UnixTime, ttl: UnixTime, now: UnixTime) -> bool {
    now < issued + ttl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(Scope::parse("snsapi_base"), Ok(Scope::Base));
        assert_eq!(Scope::parse("snsapi_base,snsapi_userinfo"), Ok(Scope::UserInfo));
        assert_eq!(Scope::parse(""), Err(ErrCode::ScopeEmpty));
        assert_eq!(Scope::parse("snsapi_login"), Err(ErrCode::ScopeUnauthorized));
    }

    #[test]
    fn redirect_uris_must_be_on_the_configured_host() {
        assert!(redirect_allowed("https://www.qq.com/music.html?x=1", "www.qq.com"));
        assert!(redirect_allowed("http://www.qq.com:8080/cb", "www.qq.com"));
        assert!(!redirect_allowed("http://pay.qq.com/cb", "www.qq.com"));
        assert!(!redirect_allowed("http://qq.com/cb", "www.qq.com"));
        assert!(!redirect_allowed("http://www.qq.com.evil.example/cb", "www.qq.com"));
        assert!(!redirect_allowed("javascript:alert(1)", "www.qq.com"));
        assert!(redirect_allowed("http://127.0.0.1:5000/cb", "127.0.0.1:5000"));
        assert!(!redirect_allowed("http://127.0.0.1:5001/cb", "127.0.0.1:5000"));
        assert_eq!(normalize_domain("WWW.QQ.com"), Some("www.qq.com".into()));
        assert_eq!(normalize_domain("127.0.0.1:5000"), Some("127.0.0.1:5000".into()));
        assert_eq!(normalize_domain("http://x.com/"), None);
    }

    #[test]
    fn lifetimes() {
        assert!(live(100, CODE_TTL, 399));
        assert!(!live(100, CODE_TTL, 400));
    }
}
