//! Who may do what in the business console. An owner's own login may do everything; members of
//! an organisation are invited with a role that limits them to some areas of an account; the
//! operator may open any owner's console read-only. Every `/herald/v1/accounts/{appid}/…`
//! route belongs to one area (`area_of`); a route no area claims is refused to every member.

use std::fmt;

/// What a console login may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The owner's own login: everything.
    Owner,
    /// Everything the owner may do on the accounts, members included.
    Admin,
    /// Runs the accounts day to day: followers, messages, content, broadcast, menus and QR
    /// codes; not the developer settings, payments, the account's settings or members.
    Operator,
    /// Writes and publishes articles.
    Editor,
    /// Answers followers: the inbox, conversations, replies and auto-replies; reads followers.
    Agent,
    /// The operator's read-only view of an owner's console: reads everything, changes nothing.
    Viewer,
}

/// The parts of an account the roles are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// The account itself and its overview figures: every role reads them.
    Overview,
    Followers,
    Messages,
    Content,
    Broadcast,
    /// The custom menu and QR codes.
    Menus,
    /// The AppSecret, server settings, IP allow-list, delivery log, API log, mini-program code.
    Developer,
    /// The account's type, verification, introduction and web domain.
    Account,
    Payments,
}

/// The roles an owner may invite a member with.
pub const INVITABLE: [Role; 4] = [Role::Admin, Role::Operator, Role::Editor, Role::Agent];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Editor => "editor",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// A role a member may be given (not the owner's own, not the operator's view).
    pub fn invitable(s: &str) -> Option<Role> {
        INVITABLE.into_iter().find(|r| r.as_str() == s)
    }

    /// A stored role.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Owner, Role::Admin, Role::Operator, Role::Editor, Role::Agent, Role::Viewer].into_iter().find(|r| r.as_str() == s)
    }

    /// May this role read (`write == false`) or change an area?
    pub fn may(self, area: Area, write: bool) -> bool {
        use Area::*;
        match self {
            Role::Owner | Role::Admin => true,
            Role::Viewer => !write,
            Role::Operator => matches!(area, Followers | Messages | Content | Broadcast | Menus) || (!write && area == Overview),
            Role::Editor => matches!(area, Content) || (!write && area == Overview),
            Role::Agent => matches!(area, Messages) || (!write && matches!(area, Overview | Followers)),
        }
    }

    /// May this role invite, change and remove members?
    pub fn manages_members(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// May this role change the login's own password, second factor and sessions? (Every real
    /// login may; the operator's view may not.)
    pub fn owns_its_login(self) -> bool {
        self != Role::Viewer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Overview => "overview",
            Area::Followers => "followers",
            Area::Messages => "messages",
            Area::Content => "content",
            Area::Broadcast => "broadcast",
            Area::Menus => "menus",
            Area::Developer => "developer",
            Area::Account => "account",
            Area::Payments => "payments",
        }
    }
}

/// The area of a route under `/herald/v1/accounts/{appid}`, given the rest of its template
/// (`""`, `"/menu"`, `"/followers/{openid}/messages"`, …). None: no area claims it.
pub fn area_of(rest: &str) -> Option<Area> {
    use Area::*;
    let segs: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Some(match segs.as_slice() {
        [""] | ["overview"] | ["qrcode"] => Overview,
        ["followers", "{openid}", "messages"] | ["inbox"] | ["auto_replies"] | ["quick_replies"] => Messages,
        ["followers"] | ["followers", "{openid}"] | ["tags"] | ["tags", "{id}"] => Followers,
        ["materials", ..] | ["drafts", ..] | ["publications", ..] => Content,
        ["mass", ..] | ["templates", ..] => Broadcast,
        ["menu"] | ["qrcodes", ..] => Menus,
        ["reset_secret"] | ["server"] | ["ip_allow_list"] | ["deliveries", ..] | ["api_calls", ..] | ["miniprogram", ..] => Developer,
        ["verify"] | ["upgrade"] | ["intro"] | ["web_domain"] => Account,
        ["payments", ..] | ["orders", ..] | ["refunds", ..] => Payments,
        _ => return None,
    })
}

/// At most this many quick replies per account, each at most `QUICK_REPLY_CHARS` characters.
pub const MAX_QUICK_REPLIES: usize = 50;
pub const QUICK_REPLY_CHARS: usize = 600;

/// An account's quick replies as given: trimmed, blank ones dropped; an error names the limit.
pub fn check_quick_replies(replies: &[String]) -> Result<Vec<String>, String> {
    let out: Vec<String> = replies.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
    if out.len() > MAX_QUICK_REPLIES {
        return Err(format!("at most {MAX_QUICK_REPLIES} quick replies"));
    }
    if out.iter().any(|r| r.chars().count() > QUICK_REPLY_CHARS) {
        return Err(format!("a quick reply is at most {QUICK_REPLY_CHARS} characters"));
    }
    Ok(out)
}

/// The periods the console's charts cover, in days.
pub const CHART_DAYS: [i64; 3] = [7, 30, 90];

/// The China Standard Time day number of `t` (days since 1970-01-01 in CST), as the
/// `account_daily` table keys its rows.
pub fn cst_day(t: i64) -> i64 {
    (t + crate::time::CST_OFFSET).div_euclid(86_400)
}

/// `yyyy-mm-dd` of a day number.
pub fn day_date(day: i64) -> String {
    let (y, m, d) = crate::time::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How long an invitation may be accepted.
pub const INVITE_TTL: i64 = 7 * 24 * 3600;

/// A second factor: RFC 6238 time-based codes (SHA-1, six digits, 30-second steps, one step of
/// skew either way), as every authenticator app reads them from an `otpauth://` URL.
pub mod totp {
    use rand::RngCore;
    use totp_rs::{Algorithm, Secret, TOTP};

    /// A new secret, base32 as the apps show it (160 bits, as RFC 4226 recommends).
    pub fn new_secret(rng: &mut impl RngCore) -> String {
        let mut raw = [0u8; 20];
        rng.fill_bytes(&mut raw);
        Secret::Raw(raw.to_vec()).to_encoded().to_string()
    }

    fn totp(secret: &str, account: &str) -> Option<TOTP> {
        let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
        TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some("Herald".into()), account.replace(':', "")).ok()
    }

    /// The `otpauth://totp/Herald:<account>?secret=…&issuer=Herald` URL an app scans.
    pub fn url(secret: &str, account: &str) -> Option<String> {
        totp(secret, account).map(|t| t.get_url())
    }

    /// Is `code` right at `now` (Unix seconds; the authenticator's clock is the wall clock)?
    pub fn check(secret: &str, code: &str, now: i64) -> bool {
        let code = code.trim();
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && totp(secret, "x").is_some_and(|t| t.check(code, now.max(30) as u64))
    }

    /// The code at `now` (for tests and the simulated users of the demo).
    pub fn code(secret: &str, now: i64) -> Option<String> {
        totp(secret, "x").map(|t| t.generate(now.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_reach_only_their_areas() {
        use Area::*;
        let all = [Overview, Followers, Messages, Content, Broadcast, Menus, Developer, Account, Payments];
        for a in all {
            assert!(Role::Owner.may(a, true) && Role::Admin.may(a, true));
            assert!(Role::Viewer.may(a, false) && !Role::Viewer.may(a, true), "{a:?}");
        }
        let writes = |r: Role| all.into_iter().filter(|a| r.may(*a, true)).collect::<Vec<_>>();
        let reads = |r: Role| all.into_iter().filter(|a| r.may(*a, false)).collect::<Vec<_>>();
        assert_eq!(writes(Role::Operator), vec![Followers, Messages, Content, Broadcast, Menus]);
        assert_eq!(reads(Role::Operator), vec![Overview, Followers, Messages, Content, Broadcast, Menus]);
        assert_eq!(writes(Role::Editor), vec![Content]);
        assert_eq!(reads(Role::Editor), vec![Overview, Content]);
        assert_eq!(writes(Role::Agent), vec![Messages]);
        assert_eq!(reads(Role::Agent), vec![Overview, Followers, Messages]);
        assert!(Role::Admin.manages_members() && !Role::Operator.manages_members() && !Role::Viewer.manages_members());
    }

    #[test]
    fn roles_round_trip_and_only_members_roles_are_invitable() {
        for r in [Role::Owner, Role::Admin, Role::Operator, Role::Editor, Role::Agent, Role::Viewer] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::invitable("editor"), Some(Role::Editor));
        assert_eq!(Role::invitable("owner"), None);
        assert_eq!(Role::invitable("viewer"), None);
        assert_eq!(Role::invitable("Admin"), None);
    }

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last six digits.
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        for (t, code) in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")] {
            assert_eq!(totp::code(&secret, t).as_deref(), Some(code));
            assert!(totp::check(&secret, code, t));
            assert!(totp::check(&secret, code, t + 30), "one step of skew");
            assert!(!totp::check(&secret, code, t + 90), "not three steps later");
        }
        assert!(!totp::check(&secret, "28708", 59) && !totp::check(&secret, "abcdef", 59));
        let fresh = totp::new_secret(&mut rand::thread_rng());
        assert_eq!(fresh.len(), 32);
        let url = totp::url(&fresh, "ann@example.com").unwrap();
        assert!(url.starts_with("otpauth://totp/Herald:ann%40example.com?secret=") && url.contains("issuer=Herald"), "{url}");
    }

    #[test]
    fn quick_replies_are_trimmed_and_bounded() {
        assert_eq!(check_quick_replies(&["  Hello! ".into(), " ".into(), "Bye".into()]), Ok(vec!["Hello!".to_string(), "Bye".to_string()]));
        assert!(check_quick_replies(&vec!["x".to_string(); MAX_QUICK_REPLIES + 1]).is_err());
        assert!(check_quick_replies(&["好".repeat(QUICK_REPLY_CHARS)]).is_ok());
        assert!(check_quick_replies(&["好".repeat(QUICK_REPLY_CHARS + 1)]).is_err());
    }

    #[test]
    fn days_are_china_days() {
        // 2026-01-01T00:00:00+08:00 == 1767196800: a new CST day; one second earlier, the last.
        assert_eq!(day_date(cst_day(1_767_196_800)), "2026-01-01");
        assert_eq!(day_date(cst_day(1_767_196_799)), "2025-12-31");
        assert_eq!(cst_day(1_767_196_800) - cst_day(1_767_196_799), 1);
        assert_eq!(day_date(0), "1970-01-01");
    }

    #[test]
    fn routes_fall_in_areas() {
        assert_eq!(area_of(""), Some(Area::Overview));
        assert_eq!(area_of("/followers/{openid}/messages"), Some(Area::Messages));
        assert_eq!(area_of("/followers/{openid}"), Some(Area::Followers));
        assert_eq!(area_of("/deliveries/{job}/redeliver"), Some(Area::Developer));
        assert_eq!(area_of("/drafts/publish"), Some(Area::Content));
        assert_eq!(area_of("/reset_secret"), Some(Area::Developer));
        assert_eq!(area_of("/something_new"), None);
    }
}
