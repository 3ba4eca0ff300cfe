//! The one table of WeChat Official Account error codes Herald answers with.
//!
//! Every code here is a real WeChat code (see `../shared/reference/wechat-oa-api.md` §2.3);
//! the message is WeChat's English `errmsg` where a source shows it.

use serde::{Serialize, Serializer};

macro_rules! errcodes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $msg:literal, )*) => {
        /// A WeChat `errcode`, with its canonical `errmsg`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrCode {
            /// Every code in the table, in table order.
            pub const ALL: &'static [ErrCode] = &[$(ErrCode::$variant,)*];

            /// The numeric `errcode`.
            pub const fn code(self) -> i64 {
                match self { $( ErrCode::$variant => $code, )* }
            }

            /// WeChat's `errmsg` for this code (without the `rid` suffix).
            pub const fn message(self) -> &'static str {
                match self { $( ErrCode::$variant => $msg, )* }
            }

            /// Looks a numeric code up in the table.
            pub fn from_code(code: i64) -> Option<ErrCode> {
                match code { $( $code => Some(ErrCode::$variant), )* _ => None }
            }
        }
    };
}

errcodes! {
    SystemError = -1 => "system error",
    Ok = 0 => "ok",
    InvalidCredential = 40001 => "invalid credential, access_token is invalid or not latest",
    InvalidGrantType = 40002 => "invalid grant_type",
    InvalidOpenid = 40003 => "invalid openid",
    InvalidAppid = 40013 => "invalid appid",
    InvalidAccessToken = 40014 => "invalid access_token",
    InvalidOpenidList = 40032 => "invalid openid list size",
    InvalidParameter = 40035 => "invalid args",
    InvalidAppsecret = 40125 => "invalid appsecret",
    /// The caller's address is not in the account's API IP allow-list (on `/cgi-bin/token`);
    /// the message names the address: `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist`.
    IpNotInWhitelist = 40164 => "invalid ip, not in whitelist",
    AccessTokenMissing = 41001 => "access_token missing",
    AppidMissing = 41002 => "appid missing",
    AppsecretMissing = 41004 => "appsecret missing",
    OpenidMissing = 41009 => "missing openid",
    AccessTokenExpired = 42001 => "access_token expired",
    RequireGet = 43001 => "require GET method",
    RequirePost = 43002 => "require POST method",
    InvalidMessageType = 40008 => "invalid message type",
    EmptyPostData = 44002 => "empty post data",
    EmptyContent = 44004 => "empty content",
    ContentTooLong = 45002 => "content size out of limit",
    ArticleCountOutOfLimit = 45008 => "article size out of limit",
    ApiQuotaExceeded = 45009 => "reach max api daily quota limit",
    ApiMinuteQuota = 45011 => "api minute-quota reach limit mustslower retry next minute",
    ResponseOutOfTime = 45015 => "response out of time limit or subscription is canceled",
    UserBlacklisted = 43019 => "require remove blacklist",
    TooManyTags = 45056 => "too many tags",
    TagTooManyFans = 45057 => "can't delete the tag that has too many fans",
    SystemTagImmutable = 45058 => "can't modify sys tag",
    UserTooManyTags = 45059 => "user tag count reach limit",
    InvalidTagName = 45157 => "invalid tag name",
    TagNameTooLong = 45158 => "tag name too long",
    InvalidTagId = 45159 => "invalid tag id",
    NotFound = 46004 => "user not exist",
    DataFormatError = 47001 => "data format error",
    ApiUnauthorized = 48001 => "api unauthorized",
    InvalidMediaType = 40004 => "invalid media type",
    InvalidFileSize = 40006 => "invalid meida size",
    InvalidMediaId = 40007 => "invalid media_id",
    InvalidTemplateId = 40037 => "invalid template_id",
    InvalidIndustryId = 40102 => "invalid industry id",
    InvalidArticleIndex = 40114 => "invalid index value",
    MediaDataMissing = 41005 => "media data missing",
    RequireSubscribe = 43004 => "require subscribe",
    NoMassQuota = 45028 => "has no masssend quota",
    ClientMsgIdRetryTooFast = 45066 => "clientmsgid retry too fast",
    ClientMsgIdTooLong = 45067 => "clientmsgid size out of limit",
    SpeedOutOfRange = 45083 => "speed out of range",
    NoSpeed = 45084 => "no speed",
    TooManyTemplates = 45026 => "template num exceeds limit",
    IndustryChangedThisMonth = 45027 => "template conflict with industry",
    MaterialInUse = 48005 => "forbid to delete material used by auto-reply or menu",
    PublishArticleMissing = 53600 => "Article ID invalid",
    InvalidButtonType = 40015 => "invalid button type",
    InvalidButtonSize = 40016 => "invalid button size",
    InvalidButtonNameSize = 40018 => "invalid button name size",
    InvalidButtonKeySize = 40019 => "invalid button key size",
    InvalidButtonUrlSize = 40020 => "invalid button url size",
    InvalidSubButtonLevel = 40022 => "invalid sub button level",
    InvalidSubButtonCount = 40023 => "invalid sub button size",
    InvalidSubButtonType = 40024 => "invalid sub button type",
    InvalidSubButtonNameSize = 40025 => "invalid sub button name size",
    InvalidSubButtonKeySize = 40026 => "invalid sub button key size",
    InvalidSubButtonUrlSize = 40027 => "invalid sub button url size",
    InvalidOauthCode = 40029 => "invalid code",
    InvalidRefreshToken = 40030 => "invalid refresh_token",
    InvalidActionInfo = 40053 => "invalid action info, please check document",
    InvalidButtonDomain = 40054 => "invalid button url domain",
    InvalidSubButtonDomain = 40055 => "invalid sub button url domain",
    InvalidMediaIdSize = 40118 => "invalid media_id size",
    CodeBeenUsed = 40163 => "code been used",
    RefreshTokenMissing = 41003 => "refresh_token missing",
    MediaIdMissing = 41006 => "media_id missing",
    SubButtonsMissing = 41007 => "missing sub buttons",
    OauthCodeMissing = 41008 => "missing code",
    RefreshTokenExpired = 42002 => "refresh_token expired",
    OauthCodeExpired = 42003 => "code expired",
    MenuNotExist = 46003 => "menu no exist",
    MediaNotExist = 46001 => "media data no exist",
    UrlSizeOutOfLimit = 45005 => "url size out of limit",
    InvalidJsSignature = 63002 => "invalid signature",
    NoSuchMenuId = 65301 => "no such menuid",
    NoMenuUser = 65302 => "no such user",
    NoDefaultMenu = 65303 => "there is no selfmenu",
    MatchRuleEmpty = 65304 => "match rule empty",
    MenuCountLimit = 65305 => "menu count limit",
    ButtonWithoutAction = 65308 => "button without action",
    CountryMissing = 65310 => "country is empty but province or city is not",
    ProvinceMissing = 65311 => "province is empty but city is not",
    MenuDomainLimit = 65316 => "domain count reach limit",
    InvalidScene = 40169 => "invalid length for scene, or the data is not json string",
    InvalidPage = 41030 => "invalid page",
    UserRefusedMessage = 43101 => "user refuse to accept the msg",
    ArgumentInvalid = 47003 => "argument invalid!",
    RiskyContent = 87014 => "risky content",
    TesterNotFound = 85001 => "the wechat id does not exist or cannot be found",
    TooManyTesters = 85002 => "the number of testers reaches the limit",
    TesterAlreadyBound = 85004 => "the wechat id has been bound",
    TooManySubscribeTemplates = 200012 => "private template count reach limit",
    TemplateTidInvalid = 200014 => "invalid tid",
    KeywordListInvalid = 200020 => "invalid kidList",
    SceneDescInvalid = 200021 => "invalid sceneDesc",
    RedirectUriMismatch = 10003 => "redirect_uri domain mismatch",
    ScopeUnauthorized = 10005 => "scope unauthorized",
    ScopeEmpty = 10010 => "scope is empty",
    RedirectUriEmpty = 10011 => "redirect_uri is empty",
    AppidEmpty = 10012 => "appid is empty",
}

/// The body of every failed Official Account API call: `{"errcode":N,"errmsg":"..."}`,
/// always sent with HTTP 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxError {
    pub code: ErrCode,
    /// Replaces the table's message when set (e.g. to name the offending field).
    pub detail: Option<String>,
    /// WeChat appends ` rid: <request id>` to every errmsg; Herald does too.
    pub rid: Option<String>,
}

impl WxError {
    pub fn new(code: ErrCode) -> Self {
        WxError { code, detail: None, rid: None }
    }

    pub fn with_detail(code: ErrCode, detail: impl Into<String>) -> Self {
        WxError { code, detail: Some(detail.into()), rid: None }
    }

    pub fn errmsg(&self) -> String {
        let base = self.detail.as_deref().unwrap_or(self.code.message());
        match &self.rid {
            Some(rid) => format!("{base} rid: {rid}"),
            None => base.to_string(),
        }
    }
}

impl From<ErrCode> for WxError {
    fn from(code: ErrCode) -> Self {
        WxError::new(code)
    }
}

impl std::fmt::Display for WxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code.code(), self.errmsg())
    }
}

impl std::error::Error for WxError {}

impl Serialize for WxError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("WxError", 2)?;
        st.serialize_field("errcode", &self.code.code())?;
        st.serialize_field("errmsg", &self.errmsg())?;
        st.end()
    }
}

/// `{"errcode":0,"errmsg":"ok"}`, the body of calls that return nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WxOk;

impl Serialize for WxOk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WxError::new(ErrCode::Ok).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert_eq!(ErrCode::from_code(c.code()), Some(*c));
        }
        assert_eq!(ErrCode::from_code(12345), None);
    }

    #[test]
    fn serialises_like_wechat() {
        let mut e = WxError::new(ErrCode::AccessTokenExpired);
        e.rid = Some("abc-def".into());
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"errcode":42001,"errmsg":"access_token expired rid: abc-def"}"#
        );
        assert_eq!(serde_json::to_string(&WxOk).unwrap(), r#"{"errcode":0,"errmsg":"ok"}"#);
    }
}
