//! Records and storage for what users meet on the web and in the client: QR codes and short
//! keys, menus, web OAuth codes and grants, JS-SDK tickets, web sessions and user profiles.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};

use crate::Result;

/// A QR code: a parametric code or the account's own (`QR_ACCOUNT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub ticket: String,
    /// The code's url is `<base>/q/<url_key>`.
    pub url_key: String,
    pub appid: AppId,
    pub action: String,
    /// 0 for string scenes and the account's own code.
    pub scene_id: i64,
    pub scene_str: String,
    pub permanent: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl QrCode {
    /// `appid/action/scene` of a permanent code: one code per scene.
    pub fn perm_key(&self) -> Option<String> {
        self.permanent.then(|| format!("{}/{}/{}/{}", self.appid, self.action, self.scene_id, self.scene_str))
    }
}

/// A stored menu: the default (no `matchrule`) or a conditional one. Both are JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMenu {
    pub menuid: i64,
    pub buttons: String,
    pub matchrule: Option<String>,
    pub created_at: i64,
}

/// A single-use code: `oauth` (a web OAuth code) or `signin` (a sign-in link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeCode {
    pub code: String,
    pub purpose: String,
    pub appid: Option<AppId>,
    pub user_id: UserId,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What taking a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTake {
    Missing,
    /// Already used (possibly by a concurrent request).
    Used(OneTimeCode),
    /// Now used, by this call.
    Taken(OneTimeCode),
}

/// A web OAuth grant: an access token and its refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: String,
    pub appid: AppId,
    pub user_id: UserId,
    pub openid: String,
    pub scope: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub created_at: i64,
}

#[async_trait]
#[allow(clippy::too_many_arguments)]
pub trait WebStore: Send + Sync {
    /// Stores a code. A permanent code for a scene the account already has returns that code;
    /// a new permanent code past `max_permanent` is `Rejected(40053)`.
    async fn create_qrcode(&self, q: &QrCode, max_permanent: i64) -> Result<QrCode>;
    async fn qrcode(&self, ticket: &str) -> Result<Option<QrCode>>;
    async fn qrcode_by_key(&self, url_key: &str) -> Result<Option<QrCode>>;
    async fn put_short_key(&self, key: &str, appid: &AppId, data: &str, now: i64, expires_at: i64) -> Result<()>;
    /// (long_data, created_at, expires_at).
    async fn short_key(&self, appid: &AppId, key: &str) -> Result<Option<(String, i64, i64)>>;

    /// Replaces the default menu (conditional menus stay); returns its menuid.
    async fn set_default_menu(&self, appid: &AppId, buttons: &str, now: i64) -> Result<i64>;
    /// Adds a conditional menu: `Rejected(65303)` with no default menu, `Rejected(65305)` at `max`.
    async fn add_conditional_menu(&self, appid: &AppId, buttons: &str, matchrule: &str, now: i64, max: i64) -> Result<i64>;
    async fn delete_conditional_menu(&self, appid: &AppId, menuid: i64) -> Result<bool>;
    /// Deletes the default and every conditional menu; false if there were none.
    async fn delete_menus(&self, appid: &AppId) -> Result<bool>;
    /// Oldest first.
    async fn menus(&self, appid: &AppId) -> Result<Vec<StoredMenu>>;

    async fn put_code(&self, c: &OneTimeCode) -> Result<()>;
    /// Marks a code of `purpose` used, atomically: only one caller ever gets `Taken`. With
    /// `appid`, a code issued to another app is `Missing` and stays usable by its own.
    async fn take_code(&self, code: &str, purpose: &str, appid: Option<&AppId>, now: i64) -> Result<CodeTake>;
    async fn put_grant(&self, g: &Grant) -> Result<()>;
    async fn grant(&self, access_token: &str) -> Result<Option<Grant>>;
    async fn grant_by_refresh(&self, refresh_token: &str) -> Result<Option<Grant>>;
    /// Gives a grant the access token `access_token` (the same or a new one) until `expires_at`.
    async fn renew_grant(&self, refresh_token: &str, access_token: &str, expires_at: i64) -> Result<Option<Grant>>;

    /// The account's live ticket of `kind`, or `fresh` (stored) if none is live at `now`:
    /// (ticket, expires_at).
    async fn js_ticket(&self, appid: &AppId, kind: &str, fresh: &str, now: i64, ttl: i64) -> Result<(String, i64)>;
    /// The account's ticket of `kind` live at `now`, if any (never issues one).
    async fn live_js_ticket(&self, appid: &AppId, kind: &str, now: i64) -> Result<Option<String>>;

    async fn put_session(&self, id_hash: &str, user_id: &UserId, now: i64, expires_at: i64) -> Result<()>;
    /// (user, expires_at).
    async fn session(&self, id_hash: &str) -> Result<Option<(UserId, i64)>>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    async fn set_web_domain(&self, appid: &AppId, domain: Option<&str>) -> Result<bool>;
    async fn web_domain(&self, appid: &AppId) -> Result<Option<String>>;
    async fn set_user_profile(&self, user: &UserId, profile: &str) -> Result<bool>;
    async fn set_user_nickname(&self, user: &UserId, nickname: &str) -> Result<bool>;
}
