//! Followers' own sign-in on the app origin: sign up, sign in, who am I, and the sessions a
//! user holds. Session-authenticated writes carry `X-CSRF-Token: <csrf_token>`.

use serde::{Deserialize, Serialize};

use super::users::UserOut;

/// `POST /herald/v1/auth/signup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignUpIn {
    /// A username (3–32 of a–z, 0–9, `_`, `.`, `-`, starting with a letter) or a phone number.
    pub login: String,
    /// At least 8 characters.
    #[schema(min_length = 8)]
    pub password: String,
    /// Defaults to the login.
    #[serde(default)]
    pub nickname: Option<String>,
}

/// `POST /herald/v1/auth/signin`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignInIn {
    pub login: String,
    pub password: String,
}

/// Who is signed in: the user, its login and the session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    pub login: Option<String>,
    pub csrf_token: String,
}

/// `PUT /herald/v1/me/password`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PasswordIn {
    pub current: String,
    /// The new password: at least 8 characters.
    #[schema(min_length = 8)]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionOut {
    /// What `DELETE /herald/v1/me/sessions/{id}` takes.
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    /// The session this request came with.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionOut>,
}

/// `POST /herald/v1/auth/signout` and `/herald/v1/console/signout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedOutOut {
    pub signed_out: bool,
}

/// `PUT /herald/v1/me/password` and `/herald/v1/console/password`: every other session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PasswordChangedOut {
    pub changed: bool,
}

/// `DELETE …/sessions/{id}`: how many sessions ended (1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionEndedOut {
    pub ended: i64,
}
