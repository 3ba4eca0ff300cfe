//! Official accounts: the two types, who may own them, verification, upgrade, and which
//! APIs each kind of account may call.

use serde::{Deserialize, Serialize};

use crate::{ErrCode, WxError};

/// Subscription accounts publish content; service accounts serve customers; mini programs
/// are apps that run inside the messenger (an AppID of their own, no followers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Subscription,
    Service,
    #[serde(rename = "miniprogram")]
    MiniProgram,
}

impl AccountType {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Subscription => "subscription",
            AccountType::Service => "service",
            AccountType::MiniProgram => "miniprogram",
        }
    }

    /// An official account (subscription or service), as opposed to a mini program.
    pub fn is_official(self) -> bool {
        self != AccountType::MiniProgram
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subscription" => Some(AccountType::Subscription),
            "service" => Some(AccountType::Service),
            "miniprogram" => Some(AccountType::MiniProgram),
            _ => None,
        }
    }
}

/// Who stands behind an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    Individual,
    Organisation,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Individual => "individual",
            OwnerKind::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(OwnerKind::Individual),
            "organisation" | "organization" => Some(OwnerKind::Organisation),
            _ => None,
        }
    }
}

/// How callbacks to the developer server are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MessageMode {
    #[default]
    Plain,
    Compatible,
    Safe,
}

impl MessageMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageMode::Plain => "plain",
            MessageMode::Compatible => "compatible",
            MessageMode::Safe => "safe",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plain" => Some(MessageMode::Plain),
            "compatible" => Some(MessageMode::Compatible),
            "safe" => Some(MessageMode::Safe),
            _ => None,
        }
    }
}

/// A rule broken by a platform-API request about accounts. The platform API reports these
/// with HTTP 4xx and this text; they are not WeChat errcodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRuleError {
    ServiceNeedsOrganisation,
    IndividualCannotVerify,
    AlreadyService,
    CannotDowngrade,
    MiniProgramType,
    InvalidName,
    InvalidIntro,
    InvalidServerSettings(String),
}

impl std::fmt::Display for AccountRuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountRuleError::ServiceNeedsOrganisation => {
                f.write_str("service accounts are open to organisations only; individuals may own subscription accounts")
            }
            AccountRuleError::IndividualCannotVerify => {
                f.write_str("accounts owned by an individual cannot be verified")
            }
            AccountRuleError::AlreadyService => f.write_str("the account is already a service account"),
            AccountRuleError::CannotDowngrade => {
                f.write_str("a service account cannot be changed into a subscription account")
            }
            AccountRuleError::MiniProgramType => f.write_str("a mini program cannot change type, nor an official account become one"),
            AccountRuleError::InvalidName => f.write_str("an account name must be 1 to 64 characters"),
            AccountRuleError::InvalidIntro => write!(f, "an account's introduction is at most {MAX_INTRO_CHARS} characters"),
            AccountRuleError::InvalidServerSettings(why) => write!(f, "invalid developer-server settings: {why}"),
        }
    }
}

/// May an owner of this kind create an account of this type?
pub fn check_create(owner: OwnerKind, ty: AccountType, name: &str) -> Result<(), AccountRuleError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 64 {
        return Err(AccountRuleError::InvalidName);
    }
    match (owner, ty) {
        (OwnerKind::Individual, AccountType::Service) => Err(AccountRuleError::ServiceNeedsOrganisation),
        _ => Ok(()),
    }
}

/// The most characters an account's introduction (WeChat's 功能介绍) may have.
pub const MAX_INTRO_CHARS: usize = 120;

/// An account's introduction, trimmed: what its profile shows under its name. Empty is allowed
/// (the profile then shows none).
pub fn check_intro(intro: &str) -> Result<String, AccountRuleError> {
    let t = intro.trim();
    if t.chars().count() > MAX_INTRO_CHARS {
        return Err(AccountRuleError::InvalidIntro);
    }
    Ok(t.to_string())
}

/// May this account be verified? Individuals' accounts cannot be.
pub fn check_verify(owner: OwnerKind) -> Result<(), AccountRuleError> {
    match owner {
        OwnerKind::Individual => Err(AccountRuleError::IndividualCannotVerify),
        OwnerKind::Organisation => Ok(()),
    }
}

/// Changing the type: subscription → service only, and only for an organisation.
pub fn check_change_type(owner: OwnerKind, from: AccountType, to: AccountType) -> Result<(), AccountRuleError> {
    match (from, to) {
        (AccountType::MiniProgram, _) | (_, AccountType::MiniProgram) => Err(AccountRuleError::MiniProgramType),
        (AccountType::Service, AccountType::Subscription) => Err(AccountRuleError::CannotDowngrade),
        (AccountType::Service, AccountType::Service) => Err(AccountRuleError::AlreadyService),
        (AccountType::Subscription, AccountType::Subscription) => Ok(()),
        (AccountType::Subscription, AccountType::Service) => match owner {
            OwnerKind::Individual => Err(AccountRuleError::ServiceNeedsOrganisation),
            OwnerKind::Organisation => Ok(()),
        },
    }
}

/// Checks developer-server settings the way the MP console does: the Token is 3–32 letters
/// or digits; the EncodingAESKey is 43 letters or digits (required for compatible and safe
/// mode); the URL is http(s).
pub fn check_server_settings(
    url: Option<&str>,
    token: Option<&str>,
    aes_key: Option<&str>,
    mode: MessageMode,
) -> Result<(), AccountRuleError> {
    let bad = |s: &str| Err(AccountRuleError::InvalidServerSettings(s.to_string()));
    if let Some(u) = url {
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 512 {
            return bad("url must be an http:// or https:// URL of at most 512 characters");
        }
    }
    if let Some(t) = token {
        if !(3..=32).contains(&t.len()) || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return bad("token must be 3 to 32 letters or digits");
        }
    }
    match aes_key {
        Some(k) if k.len() != 43 || !k.chars().all(|c| c.is_ascii_alphanumeric()) => {
            return bad("encoding_aes_key must be 43 letters or digits");
        }
        None if mode != MessageMode::Plain => {
            return bad("compatible and safe mode need an encoding_aes_key");
        }
        _ => {}
    }
    Ok(())
}

/// What an account is allowed to call, per WeChat's permission table (reference §12.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// access_token, server IPs, receiving messages — every account.
    Basic,
    /// Follower list, info, remarks, tags and the blacklist: verified accounts of either type.
    UserManagement,
    /// Customer-service messages: verified accounts of either type.
    CustomerService,
    /// Permanent materials: verified accounts of either type.
    Materials,
    /// Template messages: verified service accounts only.
    Templates,
    /// Parametric QR codes and short keys: service accounts (a subscription account has only
    /// its own code).
    QrCodes,
    /// Conditional menus: verified accounts of either type.
    ConditionalMenus,
    /// Web OAuth: verified service accounts only.
    WebOAuth,
    /// Being bound to a WeChat Pay merchant (payments, red packets, coupons): verified
    /// service accounts and verified mini programs.
    Payments,
    /// The mini-program server APIs (jscode2session, wxacodes, subscribe messages, phone
    /// numbers, URL schemes, content checks): mini programs only.
    MiniProgram,
}

/// The facts about an account that permissions depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountKind {
    pub ty: AccountType,
    pub verified: bool,
}

/// `Ok` if the account may use the capability, else WeChat's 48001 `api unauthorized`.
pub fn permit(kind: AccountKind, cap: Capability) -> Result<(), WxError> {
    let official = kind.ty.is_official();
    let allowed = match cap {
        Capability::Basic => true,
        Capability::UserManagement | Capability::CustomerService | Capability::Materials | Capability::ConditionalMenus => {
            official && kind.verified
        }
        Capability::Templates | Capability::WebOAuth => kind.verified && kind.ty == AccountType::Service,
        Capability::Payments => kind.verified && kind.ty != AccountType::Subscription,
        Capability::QrCodes => kind.ty == AccountType::Service,
        Capability::MiniProgram => kind.ty == AccountType::MiniProgram,
    };
    if allowed {
        Ok(())
    } else {
        Err(WxError::new(ErrCode::ApiUnauthorized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn individuals_only_get_subscription_accounts() {
        assert!(check_create(OwnerKind::Individual, AccountType::Subscription, "Blog").is_ok());
        assert_eq!(
            check_create(OwnerKind::Individual, AccountType::Service, "Shop"),
            Err(AccountRuleError::ServiceNeedsOrganisation)
        );
        assert!(check_create(OwnerKind::Organisation, AccountType::Service, "Bank").is_ok());
        assert_eq!(check_create(OwnerKind::Organisation, AccountType::Service, "  "), Err(AccountRuleError::InvalidName));
    }

    #[test]
    fn intro_is_trimmed_and_bounded() {
        assert_eq!(check_intro("  News every morning. ").unwrap(), "News every morning.");
        assert_eq!(check_intro("").unwrap(), "");
        assert!(check_intro(&"新".repeat(MAX_INTRO_CHARS)).is_ok());
        assert_eq!(check_intro(&"新".repeat(MAX_INTRO_CHARS + 1)), Err(AccountRuleError::InvalidIntro));
    }

    #[test]
    fn upgrade_is_one_way() {
        use AccountType::*;
        assert!(check_change_type(OwnerKind::Organisation, Subscription, Service).is_ok());
        assert_eq!(check_change_type(OwnerKind::Organisation, Service, Subscription), Err(AccountRuleError::CannotDowngrade));
        assert_eq!(check_change_type(OwnerKind::Individual, Subscription, Service), Err(AccountRuleError::ServiceNeedsOrganisation));
        assert_eq!(check_change_type(OwnerKind::Organisation, Service, Service), Err(AccountRuleError::AlreadyService));
    }

    #[test]
    fn mini_programs_keep_their_type_and_their_own_apis() {
        use AccountType::*;
        assert_eq!(check_change_type(OwnerKind::Organisation, MiniProgram, Service), Err(AccountRuleError::MiniProgramType));
        assert_eq!(check_change_type(OwnerKind::Organisation, Subscription, MiniProgram), Err(AccountRuleError::MiniProgramType));
        assert!(check_create(OwnerKind::Individual, MiniProgram, "Tool").is_ok());
        let mp = AccountKind { ty: MiniProgram, verified: true };
        let svc = AccountKind { ty: Service, verified: true };
        assert!(permit(mp, Capability::MiniProgram).is_ok());
        assert!(permit(mp, Capability::Payments).is_ok());
        assert_eq!(permit(svc, Capability::MiniProgram).unwrap_err().code, ErrCode::ApiUnauthorized);
        for cap in [Capability::UserManagement, Capability::Templates, Capability::QrCodes, Capability::WebOAuth, Capability::Materials] {
            assert_eq!(permit(mp, cap).unwrap_err().code, ErrCode::ApiUnauthorized, "{cap:?}");
        }
        assert_eq!(AccountType::parse("miniprogram"), Some(MiniProgram));
        assert_eq!(MiniProgram.as_str(), "miniprogram");
    }

    #[test]
    fn verification_is_for_organisations() {
        assert!(check_verify(OwnerKind::Organisation).is_ok());
        assert_eq!(check_verify(OwnerKind::Individual), Err(AccountRuleError::IndividualCannotVerify));
    }

    #[test]
    fn user_management_needs_verification() {
        let unverified = AccountKind { ty: AccountType::Subscription, verified: false };
        let verified = AccountKind { ty: AccountType::Service, verified: true };
        assert_eq!(permit(unverified, Capability::UserManagement).unwrap_err().code, ErrCode::ApiUnauthorized);
        assert!(permit(verified, Capability::UserManagement).is_ok());
        assert!(permit(unverified, Capability::Basic).is_ok());
        let sub = AccountKind { ty: AccountType::Subscription, verified: true };
        assert_eq!(permit(sub, Capability::Templates).unwrap_err().code, ErrCode::ApiUnauthorized);
        assert!(permit(sub, Capability::Materials).is_ok());
    }

    #[test]
    fn server_settings_are_checked() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        assert!(check_server_settings(Some("http://127.0.0.1:9/wx"), Some("tok123"), Some(key), MessageMode::Safe).is_ok());
        assert!(check_server_settings(Some("ftp://x"), Some("tok123"), None, MessageMode::Plain).is_err());
        assert!(check_server_settings(None, Some("t"), None, MessageMode::Plain).is_err());
        assert!(check_server_settings(None, Some("tok123"), None, MessageMode::Safe).is_err());
        assert!(check_server_settings(None, None, Some("short"), MessageMode::Plain).is_err());
    }
}
