//! Access tokens, as WeChat issues them.
//!
//! - `/cgi-bin/token`: every fetch issues a new token living 7200 s; tokens issued before it
//!   keep working for 5 more minutes, then answer 40001 ("not latest").
//! - `/cgi-bin/stable_token`: independent of the above. Without `force_refresh` it returns the
//!   current token while more than 5 minutes of it remain, else issues the next one (the old one
//!   lives out its time). `force_refresh` issues a new token and ends the previous ones at once;
//!   at most 20 a day, 30 s apart.

use crate::time::{day_start, UnixTime, CST_OFFSET};
use crate::ErrCode;

pub const TOKEN_TTL: i64 = 7200;
pub const ROTATION_GRACE: i64 = 300;
pub const FORCE_REFRESH_PER_DAY: i64 = 20;
pub const FORCE_REFRESH_SPACING: i64 = 30;

/// Which endpoint issued a token; the two families never affect each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Client,
    Stable,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Client => "client",
            TokenKind::Stable => "stable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client" => Some(TokenKind::Client),
            "stable" => Some(TokenKind::Stable),
            _ => None,
        }
    }
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub kind: TokenKind,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    /// When a newer token replaced it: valid strictly before this instant.
    pub revoked_at: Option<UnixTime>,
    /// Issued by a `force_refresh` stable-token call.
    pub forced: bool,
}

impl IssuedToken {
    pub fn is_live(&self, now: UnixTime) -> bool {
        validate(Some(self), now).is_ok()
    }
}

/// Is a presented token good at `now`? Unknown or superseded → 40001; past its 7200 s → 42001.
pub fn validate(token: Option<&IssuedToken>, now: UnixTime) -> Result<(), ErrCode> {
    let Some(t) = token else { return Err(ErrCode::InvalidCredential) };
    if matches!(t.revoked_at, Some(r) if now >= r) {
        return Err(ErrCode::InvalidCredential);
    }
    if now >= t.expires_at {
        return Err(ErrCode::AccessTokenExpired);
    }
    Ok(())
}

/// Checks the credential fields of a token request, in WeChat's order.
/// `known_secret` is the account's AppSecret, or `None` when the AppID is unknown.
pub fn check_credentials(
    grant_type: Option<&str>,
    appid: Option<&str>,
    secret: Option<&str>,
    known_secret: Option<&str>,
) -> Result<(), ErrCode> {
    if grant_type != Some("client_credential") {
        return Err(ErrCode::InvalidGrantType);
    }
    let Some(appid) = appid.filter(|a| !a.is_empty()) else { return Err(ErrCode::AppidMissing) };
    let Some(secret) = secret.filter(|s| !s.is_empty()) else { return Err(ErrCode::AppsecretMissing) };
    let _ = appid;
    match known_secret {
        None => Err(ErrCode::InvalidAppid),
        Some(k) if k != secret => Err(ErrCode::InvalidAppsecret),
        Some(_) => Ok(()),
    }
}

/// When the tokens still live at a new `/cgi-bin/token` fetch stop working.
pub fn client_rotation_cutoff(now: UnixTime) -> UnixTime {
    now + ROTATION_GRACE
}

/// What a stable-token call should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StableDecision {
    /// Hand back this live token.
    Reuse(IssuedToken),
    /// Issue a new token; if `revoke_previous`, end every earlier stable token now.
    Issue { revoke_previous: bool },
}

/// Decides a stable-token call. `history` is this account's stable tokens, newest first
/// (only those issued in the last day are needed).
pub fn stable_decision(history: &[IssuedToken], force_refresh: bool, now: UnixTime) -> Result<StableDecision, ErrCode> {
    if force_refresh {
        let today = day_start(now, CST_OFFSET);
        let forced: Vec<&IssuedToken> = history.iter().filter(|t| t.forced).collect();
        if forced.iter().filter(|t| t.issued_at >= today).count() as i64 >= FORCE_REFRESH_PER_DAY {
            return Err(ErrCode::ApiQuotaExceeded);
        }
        if let Some(last) = forced.iter().map(|t| t.issued_at).max() {
            if now - last < FORCE_REFRESH_SPACING {
                return Err(ErrCode::ApiMinuteQuota);
            }
        }
        return Ok(StableDecision::Issue { revoke_previous: true });
    }
    match history.iter().find(|t| t.is_live(now)) {
        Some(t) if t.expires_at - now > ROTATION_GRACE => Ok(StableDecision::Reuse(t.clone())),
        _ => Ok(StableDecision::Issue { revoke_previous: false }),
    }
}

/// Seconds left on a token, as `expires_in` reports it.
pub fn expires_in(t: &IssuedToken, now: UnixTime) -> i64 {
    (t.expires_at - now).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(issued: i64, forced: bool) -> IssuedToken {
        IssuedToken {
            token: format!("t{issued}"),
            kind: TokenKind::Stable,
            issued_at: issued,
            expires_at: issued + TOKEN_TTL,
            revoked_at: None,
            forced,
        }
    }

    #[test]
    fn tokens_expire_after_7200_seconds() {
        let t = tok(1000, false);
        assert_eq!(validate(Some(&t), 1000), Ok(()));
        assert_eq!(validate(Some(&t), 1000 + 7199), Ok(()));
        assert_eq!(validate(Some(&t), 1000 + 7200), Err(ErrCode::AccessTokenExpired));
        assert_eq!(validate(None, 1000), Err(ErrCode::InvalidCredential));
    }

    #[test]
    fn superseded_tokens_work_for_five_minutes() {
        let mut t = tok(1000, false);
        t.revoked_at = Some(client_rotation_cutoff(2000));
        assert_eq!(validate(Some(&t), 2299), Ok(()));
        assert_eq!(validate(Some(&t), 2300), Err(ErrCode::InvalidCredential));
    }

    #[test]
    fn credentials_are_checked_in_order() {
        let ok = Some("secret");
        assert_eq!(check_credentials(Some("password"), Some("wx1"), ok, ok), Err(ErrCode::InvalidGrantType));
        assert_eq!(check_credentials(Some("client_credential"), None, ok, ok), Err(ErrCode::AppidMissing));
        assert_eq!(check_credentials(Some("client_credential"), Some("wx1"), None, ok), Err(ErrCode::AppsecretMissing));
        assert_eq!(check_credentials(Some("client_credential"), Some("wx1"), ok, None), Err(ErrCode::InvalidAppid));
        assert_eq!(check_credentials(Some("client_credential"), Some("wx1"), Some("bad"), ok), Err(ErrCode::InvalidAppsecret));
        assert_eq!(check_credentials(Some("client_credential"), Some("wx1"), ok, ok), Ok(()));
    }

    #[test]
    fn stable_token_is_reused_until_five_minutes_remain() {
        let t = tok(1000, false);
        assert_eq!(stable_decision(std::slice::from_ref(&t), false, 1000 + 100), Ok(StableDecision::Reuse(t.clone())));
        assert_eq!(
            stable_decision(std::slice::from_ref(&t), false, 1000 + TOKEN_TTL - ROTATION_GRACE),
            Ok(StableDecision::Issue { revoke_previous: false })
        );
        assert_eq!(stable_decision(&[], false, 5), Ok(StableDecision::Issue { revoke_previous: false }));
    }

    #[test]
    fn force_refresh_is_limited() {
        let now = 1_767_196_800 + 3600; // 01:00 CST
        assert_eq!(stable_decision(&[], true, now), Ok(StableDecision::Issue { revoke_previous: true }));
        let recent = tok(now - 10, true);
        assert_eq!(stable_decision(&[recent], true, now), Err(ErrCode::ApiMinuteQuota));
        let many: Vec<IssuedToken> = (0..20).map(|i| tok(now - 3000 + i * 40, true)).collect();
        assert_eq!(stable_decision(&many, true, now), Err(ErrCode::ApiQuotaExceeded));
        // Yesterday's refreshes do not count against today.
        let old: Vec<IssuedToken> = (0..20).map(|i| tok(now - 90_000 + i * 40, true)).collect();
        assert_eq!(stable_decision(&old, true, now), Ok(StableDecision::Issue { revoke_previous: true }));
    }
}
