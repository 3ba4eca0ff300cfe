//! Members of an organisation in the console (invited by email with a role, accepted by setting
//! a password), every login's second factor (TOTP), and the operator's read-only view of an
//! owner's console.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use herald_domain::auth as rules;
use herald_domain::console::{totp, Role, INVITE_TTL};
use herald_domain::idgen;
use herald_store::{LoginRef, Member, MemberInvite};
use herald_wire::platform::members::*;
use herald_domain::account::OwnerKind;
use herald_wire::OwnerId;

use super::auth::hash_password;
use super::console::{role_refusal, start_session, OwnerSession};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;
use crate::web::hash;

fn member_out(m: &Member) -> MemberOut {
    MemberOut { id: m.id.clone(), email: m.email.clone(), role: m.role.clone(), accepted: m.accepted, invite_expires_at: m.invite_expires_at, created_at: m.created_at }
}

/// The session, if its role manages members (403 otherwise).
fn manager(s: &OwnerSession) -> Result<(), ApiError> {
    if s.role.manages_members() {
        Ok(())
    } else {
        Err(role_refusal(s.role, format!("the {} role may not manage members", s.role)))
    }
}

fn role_of(s: &str) -> Result<Role, ApiError> {
    Role::invitable(s).ok_or_else(|| ApiError::bad_request("role must be admin, operator, editor or agent"))
}

/// `GET /herald/v1/console/members`: the organisation's members, oldest first.
pub async fn list(State(st): State<AppState>, s: OwnerSession) -> ApiResult<MemberList> {
    manager(&s)?;
    Ok(Json(MemberList { members: st.store.members(&s.owner.id).await?.iter().map(member_out).collect() }))
}

/// `POST /herald/v1/console/members`: invites an email with a role; the answer holds the
/// invitation's link, shown this once (valid 7 days). Only organisations have members; an email
/// that signs in already (as an owner or a member) is refused with 409.
pub async fn invite(State(st): State<AppState>, s: OwnerSession, ApiJson(b): ApiJson<MemberInviteIn>) -> ApiResult<MemberInvitedOut> {
    manager(&s)?;
    if s.owner.kind != OwnerKind::Organisation {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only organisations have members"));
    }
    let email = rules::normalize_email(&b.email).ok_or_else(|| ApiError::bad_request("email must be an address like name@example.com"))?;
    let role = role_of(&b.role)?;
    let now = st.clock.now().await?;
    let Some((id, token)) = new_invitation(&st, &s.owner.id, &email, role, now, now + INVITE_TTL).await? else {
        return Err(ApiError::new(StatusCode::CONFLICT, "email_taken", "that email already signs in to the console"));
    };
    let member = st.store.member(&id).await?.ok_or_else(|| ApiError::not_found("member"))?;
    let invite_url = format!("{}/console/invite/{token}", st.base_url());
    Ok(Json(MemberInvitedOut { member: member_out(&member), invite_token: token, invite_url }))
}

/// Writes an invitation (a new member id and token, the token's hash stored); None when the
/// email signs in already.
pub(crate) async fn new_invitation(st: &AppState, owner: &OwnerId, email: &str, role: Role, now: i64, expires_at: i64) -> Result<Option<(String, String)>, ApiError> {
    let (id, token) = {
        let mut rng = rand::thread_rng();
        (idgen::prefixed_id(&mut rng, "mem_"), idgen::secret_token(&mut rng, "hi_"))
    };
    let invite = MemberInvite { id: &id, owner, email, role: role.as_str(), invite_hash: &hash(&token), expires_at, now };
    Ok(st.store.invite_member(&invite).await?.then_some((id, token)))
}

/// `PUT /herald/v1/console/members/{id}`: changes a member's role (its sessions follow at once).
pub async fn set_role(State(st): State<AppState>, s: OwnerSession, Path(id): Path<String>, ApiJson(b): ApiJson<MemberRoleIn>) -> ApiResult<MemberOut> {
    manager(&s)?;
    let role = role_of(&b.role)?;
    if !st.store.set_member_role(&s.owner.id, &id, role.as_str()).await? {
        return Err(ApiError::not_found("member"));
    }
    let m = st.store.member(&id).await?.ok_or_else(|| ApiError::not_found("member"))?;
    Ok(Json(member_out(&m)))
}

/// `DELETE /herald/v1/console/members/{id}`: removes a member and ends its sessions.
pub async fn remove(State(st): State<AppState>, s: OwnerSession, Path(id): Path<String>) -> ApiResult<MemberRemovedOut> {
    manager(&s)?;
    if !st.store.remove_member(&s.owner.id, &id).await? {
        return Err(ApiError::not_found("member"));
    }
    Ok(Json(MemberRemovedOut { removed: true }))
}

async fn invitation(st: &AppState, token: &str) -> Result<Member, ApiError> {
    let now = st.clock.now().await?;
    st.store.invited_member(&hash(token), now).await?.ok_or_else(|| ApiError::not_found("invitation"))
}

/// `GET /herald/v1/console/invitations/{token}`: what an open invitation is for (404 once
/// accepted or expired).
pub async fn show_invitation(State(st): State<AppState>, Path(token): Path<String>) -> ApiResult<InvitationOut> {
    let m = invitation(&st, &token).await?;
    let owner = st.store.owner(&m.owner_id).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    Ok(Json(InvitationOut { email: m.email, role: m.role, owner_name: owner.name, expires_at: m.invite_expires_at }))
}

/// `POST /herald/v1/console/invitations/{token}/accept`: the member sets a password and is
/// signed in (the token is spent).
pub async fn accept(State(st): State<AppState>, headers: HeaderMap, Path(token): Path<String>, ApiJson(b): ApiJson<AcceptInviteIn>) -> Result<Response, ApiError> {
    invitation(&st, &token).await?;
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let h = hash_password(b.password.clone()).await?;
    let now = st.clock.now().await?;
    let m = st.store.accept_invite(&hash(&token), &h, now).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    let role = Role::invitable(&m.role).ok_or_else(|| ApiError::not_found("invitation"))?;
    let owner = st.store.owner(&m.owner_id).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    start_session(&st, &headers, owner, Some(m), role).await
}

async fn login_email(st: &AppState, s: &OwnerSession, login: LoginRef<'_>) -> Result<String, ApiError> {
    Ok(match login {
        LoginRef::Owner(id) => st.store.owner_email(id).await?.unwrap_or_default(),
        LoginRef::Member(_) => s.member.as_ref().map(|m| m.email.clone()).unwrap_or_default(),
    })
}

/// `POST /herald/v1/console/totp`: a new secret for this login's authenticator app, pending
/// until a code confirms it (a confirmed second factor stays as it is until then).
pub async fn totp_setup(State(st): State<AppState>, s: OwnerSession) -> ApiResult<TotpSetupOut> {
    let login = s.own_login()?;
    let secret = totp::new_secret(&mut rand::thread_rng());
    let (current, _) = st.store.login_totp(login).await?;
    st.store.set_login_totp(login, current.as_deref(), Some(&secret)).await?;
    let otpauth_url = totp::url(&secret, &login_email(&st, &s, login).await?).ok_or_else(|| ApiError::bad_request("cannot make an authenticator link"))?;
    Ok(Json(TotpSetupOut { secret, otpauth_url }))
}

/// `POST /herald/v1/console/totp/confirm`: a code from the app turns the pending secret on;
/// sign-ins then ask for a code. 400 `wrong_totp` for a wrong code, 409 with nothing pending.
pub async fn totp_confirm(State(st): State<AppState>, s: OwnerSession, ApiJson(b): ApiJson<TotpCodeIn>) -> ApiResult<TotpStateOut> {
    let login = s.own_login()?;
    let (_, pending) = st.store.login_totp(login).await?;
    let pending = pending.ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no_pending_totp", "set up an authenticator first"))?;
    if !totp::check(&pending, &b.code, crate::clock::system_now_ms() / 1000) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "wrong_totp", "wrong authentication code"));
    }
    st.store.set_login_totp(login, Some(&pending), None).await?;
    Ok(Json(TotpStateOut { enabled: true }))
}

/// `POST /herald/v1/console/totp/disable`: turns the second factor off, with a current code.
pub async fn totp_disable(State(st): State<AppState>, s: OwnerSession, ApiJson(b): ApiJson<TotpCodeIn>) -> ApiResult<TotpStateOut> {
    let login = s.own_login()?;
    let (secret, _) = st.store.login_totp(login).await?;
    let Some(secret) = secret else { return Ok(Json(TotpStateOut { enabled: false })) };
    if !totp::check(&secret, &b.code, crate::clock::system_now_ms() / 1000) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "wrong_totp", "wrong authentication code"));
    }
    st.store.set_login_totp(login, None, None).await?;
    Ok(Json(TotpStateOut { enabled: false }))
}

/// `POST /herald/v1/owners/{id}/console_view` (operator): a read-only console session of the
/// owner, for this browser; every write through it is refused with 403 `read_only`.
pub async fn view(State(st): State<AppState>, _: Operator, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let owner = st.store.owner(&OwnerId(id)).await?.ok_or_else(|| ApiError::not_found("owner"))?;
    start_session(&st, &headers, owner, None, Role::Viewer).await
}
