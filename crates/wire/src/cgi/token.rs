//! Access tokens.
//! - `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`
//! - `POST /cgi-bin/stable_token` `{"grant_type","appid","secret","force_refresh"}`

use serde::{Deserialize, Serialize};

use crate::lenient;

/// Query of `GET /cgi-bin/token`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenQuery {
    pub grant_type: Option<String>,
    pub appid: Option<String>,
    pub secret: Option<String>,
}

/// Body of `POST /cgi-bin/stable_token`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StableTokenRequest {
    pub grant_type: Option<String>,
    pub appid: Option<String>,
    pub secret: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub force_refresh: Option<bool>,
}

/// `{"access_token":"...","expires_in":7200}` (no errcode on success).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
}
