//! The business console's own API: owners sign in with an email and a password and act on their
//! accounts through the same `/herald/v1/accounts/{appid}/…` endpoints the operator uses.
//! Session-authenticated writes carry `X-CSRF-Token: <csrf_token>`.

use serde::{Deserialize, Serialize};

use super::accounts::OwnerOut;
use super::auth::SessionOut;

/// `POST /herald/v1/console/signin`; `PUT /herald/v1/owners/{id}/login` (operator) sets them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerSignInIn {
    pub email: String,
    pub password: String,
    /// The six-digit code from the authenticator app, for a login with a second factor (the
    /// sign-in answers 401 `totp_required` without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
}

/// Who is signed in to the console: the owner (whose accounts these are), the login's email and
/// role, what the role may read and change, and the session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsoleMeOut {
    pub owner: OwnerOut,
    /// The login's email (the operator's read-only view: empty).
    pub email: String,
    pub csrf_token: String,
    /// `owner`, a member's `admin`, `operator`, `editor` or `agent`, or `viewer` (the
    /// operator's read-only view of the owner's console).
    pub role: String,
    /// The member signed in (None: the owner's own login or the operator's view).
    pub member_id: Option<String>,
    /// The areas of an account the role may read, and those it may change: `overview`,
    /// `followers`, `messages`, `content`, `broadcast`, `menus`, `developer`, `account`,
    /// `payments`.
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    /// May this login invite and manage members?
    pub manages_members: bool,
    /// Does this login ask for a TOTP code at sign-in?
    pub totp_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsoleSessionList {
    pub sessions: Vec<SessionOut>,
}

/// One follower in the console's list (`GET /herald/v1/accounts/{appid}/followers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowerOut {
    pub openid: String,
    pub nickname: String,
    pub remark: String,
    pub subscribe_time: Option<i64>,
    pub blacklisted: bool,
    /// Seconds left in the 48-hour customer-service window (0: closed).
    pub window_left: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowerPage {
    pub followers: Vec<FollowerOut>,
    /// Pass as `before` for the next page; None on the last.
    pub next: Option<String>,
}

/// `GET /herald/v1/accounts/{appid}/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverviewOut {
    pub followers: i64,
    pub blacklisted: i64,
    /// Deliveries to the developer server: how many finished well and how many failed, of the
    /// most recent (at most 1,000).
    pub deliveries_ok: i64,
    pub deliveries_failed: i64,
    pub menu_set: bool,
    pub server_configured: bool,
    /// How many days the figures below cover (7, 30 or 90; `?days=`), ending today (China
    /// Standard Time, the simulated clock's day when it runs).
    pub days: i64,
    /// One entry per day, oldest first, days without any activity included as zeros.
    pub daily: Vec<DailyOut>,
    /// Totals over those days.
    pub new_follows: i64,
    pub lost_follows: i64,
    pub received: i64,
    pub sent: i64,
    /// Mass messages sent this calendar month and today (subscription accounts may send one a
    /// day; service accounts reach each follower at most four times a month).
    pub mass_this_month: i64,
    pub mass_today: i64,
    /// Calls to the WeChat APIs over those days and how many failed, from the request log (both
    /// 0, and `api_log` false, on a server that keeps none).
    pub api_calls: i64,
    pub api_errors: i64,
    pub api_log: bool,
}

/// One day of an account's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyOut {
    /// `yyyy-mm-dd`, China Standard Time.
    pub date: String,
    pub follows: i64,
    pub unfollows: i64,
    /// follows − unfollows.
    pub net: i64,
    pub received: i64,
    pub sent: i64,
}

/// `PUT /herald/v1/owners/{id}/login`: the owner's console login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerLoginOut {
    pub owner: crate::ids::OwnerId,
    pub email: String,
}

/// A QR code with a scene, as the console lists it (`GET /herald/v1/accounts/{appid}/qrcodes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QrCodeOut {
    pub ticket: String,
    /// What the image encodes and a scan reads.
    pub url: String,
    /// The PNG's path (`/cgi-bin/showqrcode?ticket=…`).
    pub image: String,
    pub permanent: bool,
    pub scene_id: i64,
    pub scene_str: String,
    pub created_at: i64,
    /// None for a permanent code.
    pub expires_at: Option<i64>,
    /// Subscribed followers who followed through a code of this scene.
    pub follows: i64,
    /// How many times this code was scanned (each scan, whether it followed or raised SCAN).
    pub scans: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QrCodeList {
    /// Newest first, at most 200.
    pub qrcodes: Vec<QrCodeOut>,
}

/// `GET`/`PUT /herald/v1/accounts/{appid}/quick_replies`: the phrases agents keep at hand in the
/// inbox, in order (at most 50, each at most 600 characters; blank ones are dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuickRepliesIo {
    pub replies: Vec<String>,
}
