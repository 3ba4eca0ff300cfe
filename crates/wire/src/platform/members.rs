//! Members of an organisation in the console, their invitations, and second factors.

use serde::{Deserialize, Serialize};

/// `POST /herald/v1/console/members`: invites an email with a role (`admin`, `operator`,
/// `editor` or `agent`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInviteIn {
    pub email: String,
    pub role: String,
}

/// `PUT /herald/v1/console/members/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberRoleIn {
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberOut {
    pub id: String,
    pub email: String,
    pub role: String,
    /// Has the member accepted the invitation (set a password)?
    pub accepted: bool,
    /// Until when the invitation may be accepted (Unix seconds).
    pub invite_expires_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberList {
    pub members: Vec<MemberOut>,
}

/// An invitation just made: the link to give the member, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInvitedOut {
    pub member: MemberOut,
    /// The invitation's secret token (its link is `invite_url`).
    pub invite_token: String,
    pub invite_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberRemovedOut {
    pub removed: bool,
}

/// `GET /herald/v1/console/invitations/{token}`: what the invitation is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvitationOut {
    pub email: String,
    pub role: String,
    /// The organisation that invites.
    pub owner_name: String,
    pub expires_at: i64,
}

/// `POST /herald/v1/console/invitations/{token}/accept`: the member's password.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AcceptInviteIn {
    pub password: String,
}

/// `POST /herald/v1/console/totp`: a new secret for the authenticator app, to confirm with a
/// code before it is asked for at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotpSetupOut {
    /// Base32, for typing into the app.
    pub secret: String,
    /// `otpauth://totp/Herald:<email>?secret=…&issuer=Herald`, for scanning.
    pub otpauth_url: String,
}

/// A code from the authenticator app.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotpCodeIn {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotpStateOut {
    pub enabled: bool,
}
