//! Members of an organisation in the console: invited by email with a role, they accept by
//! setting a password; a second factor (TOTP) for any console login, the owner's or a member's.

use async_trait::async_trait;
use herald_wire::OwnerId;

use crate::Result;

/// A member as stored (never the password hash or the invitation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub owner_id: OwnerId,
    pub email: String,
    pub role: String,
    /// Has the member set a password (accepted the invitation)?
    pub accepted: bool,
    pub invite_expires_at: i64,
    pub created_at: i64,
}

/// An invitation to write.
#[derive(Debug, Clone)]
pub struct MemberInvite<'a> {
    pub id: &'a str,
    pub owner: &'a OwnerId,
    pub email: &'a str,
    pub role: &'a str,
    /// SHA-256 (hex) of the invitation's token.
    pub invite_hash: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

/// Which console login: the owner's own or a member's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRef<'a> {
    Owner(&'a OwnerId),
    Member(&'a str),
}

#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Writes an invitation; an earlier invitation of the same owner's to the same email that
    /// was not accepted is replaced. False (nothing written) when the email signs in as an
    /// owner or as a member already (of this owner, accepted, or of another).
    async fn invite_member(&self, m: &MemberInvite<'_>) -> Result<bool>;
    /// The owner's members, oldest first.
    async fn members(&self, owner: &OwnerId) -> Result<Vec<Member>>;
    async fn member(&self, id: &str) -> Result<Option<Member>>;
    /// The member an open invitation (by its token's hash) is for, if it has not expired.
    async fn invited_member(&self, invite_hash: &str, now: i64) -> Result<Option<Member>>;
    /// Accepts an open invitation: sets the password and spends the invitation. None if there
    /// is none (or it expired).
    async fn accept_invite(&self, invite_hash: &str, password_hash: &str, now: i64) -> Result<Option<Member>>;
    /// The accepted member an email signs in as, and the password hash.
    async fn member_login(&self, email: &str) -> Result<Option<(Member, String)>>;
    async fn member_password_hash(&self, id: &str) -> Result<Option<String>>;
    async fn set_member_password_hash(&self, id: &str, password_hash: &str) -> Result<()>;
    /// Changes a member's role; false if the owner has no such member.
    async fn set_member_role(&self, owner: &OwnerId, id: &str, role: &str) -> Result<bool>;
    /// Removes a member and ends its sessions; false if the owner has no such member.
    async fn remove_member(&self, owner: &OwnerId, id: &str) -> Result<bool>;
    /// A login's second factor: the confirmed secret and one being set up.
    async fn login_totp(&self, login: LoginRef<'_>) -> Result<(Option<String>, Option<String>)>;
    async fn set_login_totp(&self, login: LoginRef<'_>, secret: Option<&str>, pending: Option<&str>) -> Result<()>;
}
