//! What the stores hold, as plain values.

use herald_domain::account::{AccountKind, AccountType, MessageMode, OwnerKind};
use herald_domain::time::UnixTime;
use herald_wire::{AppId, OpenId, OwnerId, TagId, UnionId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: OwnerId,
    pub kind: OwnerKind,
    pub name: String,
    pub created_at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerSettings {
    pub url: Option<String>,
    pub token: Option<String>,
    pub encoding_aes_key: Option<String>,
    pub mode: MessageMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub appid: AppId,
    /// The account's own WeChat id (`gh_…`), the `ToUserName` of callbacks.
    pub original_id: String,
    pub owner_id: OwnerId,
    pub owner_kind: OwnerKind,
    pub name: String,
    pub ty: AccountType,
    pub verified: bool,
    pub app_secret: String,
    pub server: ServerSettings,
    pub created_at: UnixTime,
    /// The introduction its profile shows (WeChat's 功能介绍); empty when none.
    pub intro: String,
}

impl Account {
    pub fn kind(&self) -> AccountKind {
        AccountKind { ty: self.ty, verified: self.verified }
    }
}

/// What an API call needs to know about the calling account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAuth {
    pub appid: AppId,
    pub owner_id: OwnerId,
    pub kind: AccountKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub nickname: String,
    pub created_at: UnixTime,
    pub profile: herald_domain::profile::Profile,
}

/// How a user came to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowHow {
    pub scene: String,
    pub qr_scene: i64,
    pub qr_scene_str: String,
}

impl Default for FollowHow {
    fn default() -> Self {
        FollowHow {
            scene: herald_domain::follower::DEFAULT_SCENE.to_string(),
            qr_scene: 0,
            qr_scene_str: String::new(),
        }
    }
}

/// Ids to use if a follow is the user's first contact with the account (or owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshIds {
    pub openid: OpenId,
    pub unionid: herald_wire::UnionId,
}

impl FreshIds {
    /// New random ids, shaped like WeChat's.
    pub fn random() -> FreshIds {
        let mut rng = rand::thread_rng();
        FreshIds {
            openid: OpenId(herald_domain::idgen::openid(&mut rng)),
            unionid: UnionId(herald_domain::idgen::unionid(&mut rng)),
        }
    }
}

/// An (account, user) relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub appid: AppId,
    pub user_id: UserId,
    pub openid: OpenId,
    pub unionid: UnionId,
    pub subscribed: bool,
    pub subscribe_time: Option<UnixTime>,
    pub unsubscribe_time: Option<UnixTime>,
    pub subscribe_scene: Option<String>,
    pub qr_scene: i64,
    pub qr_scene_str: String,
    pub remark: String,
    pub blacklisted: bool,
    pub tag_ids: Vec<TagId>,
    /// The follower's last message, follow, scan or menu tap: opens the 48-hour window.
    pub last_interaction_at: Option<UnixTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    pub count: i64,
}

/// A page of openids and, where the API reports one, the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub total: i64,
    pub openids: Vec<OpenId>,
}

/// Which way a conversation message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the user to the account.
    In,
    /// From the account to the user.
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// A message to add to a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub appid: AppId,
    pub user_id: UserId,
    pub openid: OpenId,
    pub direction: Direction,
    /// `user`, `event`, `passive_reply`, `auto_reply`, `custom`, `notice`.
    pub source: String,
    pub msg_type: String,
    /// JSON.
    pub body: String,
    pub created_at: UnixTime,
}

impl NewMessage {
    /// Its conversation's key (see `conversation_key`).
    pub fn key(&self) -> i64 {
        crate::conversation_key(self.appid.as_str(), self.user_id.as_str())
    }
}

/// A message as stored: what was added, plus what storage assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its place in the conversation (and in every conversation: one sequence).
    pub seq: i64,
    /// The MsgId pushed to the developer server (user messages only).
    pub msg_id: Option<i64>,
    /// The delivery job this message answers (passive replies and notices).
    pub reply_for: Option<i64>,
    pub message: NewMessage,
}

/// A queued piece of background work (times in milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub appid: AppId,
    pub user_id: Option<UserId>,
    pub message_seq: Option<i64>,
    pub payload: String,
    pub state: String,
    /// Attempts started so far, this one included once claimed.
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// One delivery attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: i64,
    pub job_id: i64,
    pub appid: AppId,
    pub attempt: i64,
    pub url: String,
    pub request: String,
    pub status: Option<i64>,
    pub response: Option<String>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub at: i64,
}

/// How a claimed job ended this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Finished; `reply` (if any) joins the conversation, once.
    Done { reply: Option<NewMessage> },
    /// Try again at `run_at` (ms), moved forward by whatever `pull_jobs_forward` pulled the
    /// job since it was claimed (an advance of the simulated clock while it was in flight).
    Retry { run_at: i64, error: String },
    /// Given up; `notice` (if any) joins the conversation, once.
    Failed { error: String, notice: Option<NewMessage> },
}

/// One delivery attempt's result, ready to be recorded.
#[derive(Debug, Clone)]
pub struct Finished {
    pub job_id: i64,
    pub worker: String,
    pub attempt: Attempt,
    pub outcome: JobOutcome,
}
