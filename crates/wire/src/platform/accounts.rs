//! Owners and official accounts.
//! - `POST /herald/v1/owners`, `GET /herald/v1/owners`
//! - `POST /herald/v1/accounts`, `GET /herald/v1/accounts`, `GET /herald/v1/accounts/{appid}`
//! - `POST /herald/v1/accounts/{appid}/verify`, `/upgrade`, `/reset_secret`
//! - `PUT /herald/v1/accounts/{appid}/server`, `PUT /herald/v1/accounts/{appid}/intro`

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, OwnerId};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerIn {
    /// `individual` or `organisation`.
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerOut {
    pub id: OwnerId,
    pub kind: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerList {
    pub owners: Vec<OwnerOut>,
}

/// Create an account for an existing owner (`owner_id`) or a new one (`owner`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountCreate {
    pub name: String,
    /// `subscription` or `service`.
    #[serde(rename = "type")]
    pub account_type: String,
    #[serde(default)]
    pub owner_id: Option<OwnerId>,
    #[serde(default)]
    pub owner: Option<OwnerIn>,
    /// Verify at once (organisations only).
    #[serde(default)]
    pub verified: Option<bool>,
    /// A fixed AppID (`wx` and 16 letters or digits), so tests and seed files can hard-code
    /// credentials; made here when absent.
    #[serde(default)]
    pub appid: Option<String>,
    /// A fixed AppSecret (32 letters or digits); made here when absent.
    #[serde(default)]
    pub app_secret: Option<String>,
    /// The introduction its profile shows (at most 120 characters).
    #[serde(default)]
    pub intro: Option<String>,
}

/// `PUT /herald/v1/accounts/{appid}/intro`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntroIn {
    /// At most 120 characters; empty removes it.
    pub intro: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServerSettingsIo {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub encoding_aes_key: Option<String>,
    /// `plain`, `compatible` or `safe`; `plain` when absent.
    #[serde(default)]
    pub message_mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountOut {
    pub appid: AppId,
    pub app_secret: String,
    pub original_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub account_type: String,
    pub verified: bool,
    pub owner: OwnerOut,
    pub server: ServerSettingsIo,
    pub created_at: i64,
    /// The introduction its profile shows; empty when none.
    pub intro: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountOut>,
}
