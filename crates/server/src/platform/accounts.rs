//! Owners and official accounts (rules: `herald_domain::account`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::account::{self, AccountType, MessageMode, OwnerKind};
use herald_domain::console::{Area, Role};
use herald_domain::idgen;
use herald_store::{Account, Owner, ServerSettings};
use herald_wire::platform::accounts::*;
use herald_wire::{AppId, OwnerId};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use super::console::{masked_secret, AccountAccess, Principal};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

pub fn owner_out(o: &Owner) -> OwnerOut {
    OwnerOut { id: o.id.clone(), kind: o.kind.as_str().into(), name: o.name.clone(), created_at: o.created_at }
}

pub fn account_out(a: &Account, owner: &Owner) -> AccountOut {
    AccountOut {
        appid: a.appid.clone(),
        app_secret: a.app_secret.clone(),
        original_id: a.original_id.clone(),
        name: a.name.clone(),
        account_type: a.ty.as_str().into(),
        verified: a.verified,
        owner: owner_out(owner),
        server: ServerSettingsIo {
            url: a.server.url.clone(),
            token: a.server.token.clone(),
            encoding_aes_key: a.server.encoding_aes_key.clone(),
            message_mode: Some(a.server.mode.as_str().into()),
        },
        created_at: a.created_at,
        intro: a.intro.clone(),
    }
}

/// An account as `operator` (the operator token) or its owner's console session sees it: the
/// session gets the AppSecret masked, shown whole only by `reset_secret`.
/// An account as a caller sees it: the operator whole; a console session with the AppSecret
/// masked, and a role that does not see the developer settings without the server's token and
/// key (and with no characters of the AppSecret).
fn account_for(a: &Account, owner: &Owner, operator: bool, role: Role) -> AccountOut {
    let mut out = account_out(a, owner);
    if !operator {
        out.app_secret = masked_secret(&out.app_secret);
    }
    if !role.may(Area::Developer, false) {
        out.app_secret = "*".repeat(out.app_secret.chars().count());
        out.server.token = None;
        out.server.encoding_aes_key = None;
    }
    out
}

async fn new_owner(st: &AppState, o: &OwnerIn) -> Result<Owner, ApiError> {
    let kind = OwnerKind::parse(&o.kind)
        .ok_or_else(|| ApiError::bad_request("owner kind must be \"individual\" or \"organisation\""))?;
    let name = o.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request("an owner name must be 1 to 64 characters"));
    }
    let id = OwnerId(idgen::prefixed_id(&mut rand::thread_rng(), if kind == OwnerKind::Individual { "ind_" } else { "org_" }));
    let owner = Owner { id, kind, name: name.to_string(), created_at: st.clock.now().await? };
    st.store.insert_owner(&owner).await?;
    Ok(owner)
}

pub async fn create_owner(State(st): State<AppState>, _: Operator, ApiJson(o): ApiJson<OwnerIn>) -> Result<(StatusCode, Json<OwnerOut>), ApiError> {
    let owner = new_owner(&st, &o).await?;
    Ok((StatusCode::CREATED, Json(owner_out(&owner))))
}

pub async fn list_owners(State(st): State<AppState>, _: Operator) -> ApiResult<OwnerList> {
    let owners = st.store.owners().await?;
    Ok(Json(OwnerList { owners: owners.iter().map(owner_out).collect() }))
}

async fn load(st: &AppState, appid: &str) -> Result<(Account, Owner), ApiError> {
    let a = st.store.account(appid).await?.ok_or_else(|| ApiError::not_found("account"))?;
    let o = st.store.owner(&a.owner_id).await?.ok_or_else(|| ApiError::not_found("owner"))?;
    Ok((a, o))
}

pub async fn create(State(st): State<AppState>, _: Operator, ApiJson(b): ApiJson<AccountCreate>) -> Result<(StatusCode, Json<AccountOut>), ApiError> {
    let (a, owner) = create_account(&st, &b).await?;
    Ok((StatusCode::CREATED, Json(account_out(&a, &owner))))
}

/// Creates an account (and its owner, if new) after checking every rule; nothing is written
/// when a rule fails.
pub async fn create_account(st: &AppState, b: &AccountCreate) -> Result<(Account, Owner), ApiError> {
    let ty = AccountType::parse(&b.account_type)
        .ok_or_else(|| ApiError::bad_request("type must be \"subscription\", \"service\" or \"miniprogram\""))?;
    // Check every rule before writing anything.
    let (owner, owner_is_new) = match (&b.owner_id, &b.owner) {
        (Some(id), None) => (st.store.owner(id).await?.ok_or_else(|| ApiError::not_found("owner"))?, false),
        (None, Some(o)) => {
            let kind = OwnerKind::parse(&o.kind)
                .ok_or_else(|| ApiError::bad_request("owner kind must be \"individual\" or \"organisation\""))?;
            let probe = Owner { id: OwnerId::default(), kind, name: o.name.clone(), created_at: 0 };
            (probe, true)
        }
        _ => return Err(ApiError::bad_request("give exactly one of owner_id and owner")),
    };
    account::check_create(owner.kind, ty, &b.name)?;
    let intro = account::check_intro(b.intro.as_deref().unwrap_or(""))?;
    let verified = b.verified.unwrap_or(false);
    if verified {
        account::check_verify(owner.kind)?;
    }
    let alnum = |s: &str| s.bytes().all(|c| c.is_ascii_alphanumeric());
    if let Some(a) = &b.appid {
        if !(a.len() == 18 && a.starts_with("wx") && alnum(a)) {
            return Err(ApiError::bad_request("appid is wx and 16 letters or digits"));
        }
        if st.store.account(a).await?.is_some() {
            return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("account {a} exists")));
        }
    }
    if b.app_secret.as_deref().is_some_and(|s| !(s.len() == 32 && alnum(s))) {
        return Err(ApiError::bad_request("app_secret is 32 letters or digits"));
    }
    let owner = if owner_is_new { new_owner(st, b.owner.as_ref().unwrap_or(&OwnerIn::default())).await? } else { owner };
    let (appid, original_id, app_secret) = {
        let mut rng = rand::thread_rng();
        let original = format!("gh_{:012x}", rand::Rng::gen::<u64>(&mut rng) & 0xffff_ffff_ffff);
        (
            AppId(b.appid.clone().unwrap_or_else(|| idgen::appid(&mut rng))),
            original,
            b.app_secret.clone().unwrap_or_else(|| idgen::app_secret(&mut rng)),
        )
    };
    let a = Account {
        appid,
        original_id,
        owner_id: owner.id.clone(),
        owner_kind: owner.kind,
        name: b.name.trim().to_string(),
        ty,
        verified,
        app_secret,
        server: ServerSettings::default(),
        created_at: st.clock.now().await?,
        intro,
    };
    st.store.insert_account(&a).await?;
    Ok((a, owner))
}

/// `GET /herald/v1/accounts`: every account for the operator; an owner's console session sees
/// its own (AppSecrets masked).
pub async fn list(State(st): State<AppState>, who: Principal) -> ApiResult<AccountList> {
    let accounts: Vec<Account> = st.store.accounts().await?.into_iter().filter(|a| who.sees(&a.owner_id)).collect();
    let owners = st.store.owners().await?;
    let mut out = Vec::with_capacity(accounts.len());
    for a in &accounts {
        let o = owners.iter().find(|o| o.id == a.owner_id).ok_or_else(|| ApiError::not_found("owner"))?;
        out.push(account_for(a, o, matches!(who, Principal::Operator), who.role()));
    }
    Ok(Json(AccountList { accounts: out }))
}

/// `GET /herald/v1/accounts/{appid}`: an owner's session sees the AppSecret masked (it is shown
/// whole once, when reset).
pub async fn show(acc: AccountAccess) -> ApiResult<AccountOut> {
    Ok(Json(account_for(&acc.account, &acc.owner, acc.operator, acc.role)))
}

pub async fn verify(State(st): State<AppState>, _: Operator, Path(appid): Path<String>) -> ApiResult<AccountOut> {
    let (mut a, o) = load(&st, &appid).await?;
    account::check_verify(o.kind)?;
    a.verified = true;
    st.store.update_account(&a).await?;
    st.tokens.clear();
    Ok(Json(account_out(&a, &o)))
}

#[derive(Debug, Default, Deserialize)]
pub struct UpgradeIn {
    /// The type to change to; `service` when absent. `subscription` is always refused.
    #[serde(default, rename = "type")]
    pub to: Option<String>,
}

pub async fn upgrade(State(st): State<AppState>, acc: AccountAccess, ApiJson(b): ApiJson<UpgradeIn>) -> ApiResult<AccountOut> {
    let (mut a, o) = (acc.account, acc.owner);
    let to = match b.to.as_deref() {
        None => AccountType::Service,
        Some(t) => AccountType::parse(t).ok_or_else(|| ApiError::bad_request("type must be \"subscription\" or \"service\""))?,
    };
    account::check_change_type(o.kind, a.ty, to)?;
    a.ty = to;
    st.store.update_account(&a).await?;
    st.tokens.clear();
    Ok(Json(account_for(&a, &o, acc.operator, acc.role)))
}

/// `PUT /herald/v1/accounts/{appid}/intro`: the introduction its profile shows (the operator
/// or the owner's console).
pub async fn set_intro(State(st): State<AppState>, acc: AccountAccess, ApiJson(b): ApiJson<IntroIn>) -> ApiResult<AccountOut> {
    let (mut a, o) = (acc.account, acc.owner);
    a.intro = account::check_intro(&b.intro)?;
    st.store.update_account(&a).await?;
    Ok(Json(account_for(&a, &o, acc.operator, acc.role)))
}

/// `POST /herald/v1/accounts/{appid}/reset_secret`: a new AppSecret, answered whole this once;
/// tokens issued with the old one stay valid until they expire, as on WeChat.
pub async fn reset_secret(State(st): State<AppState>, acc: AccountAccess) -> ApiResult<AccountOut> {
    let (mut a, o) = (acc.account, acc.owner);
    a.app_secret = idgen::app_secret(&mut rand::thread_rng());
    st.store.update_account(&a).await?;
    st.tokens.clear();
    Ok(Json(account_out(&a, &o)))
}

pub async fn set_server(State(st): State<AppState>, acc: AccountAccess, ApiJson(b): ApiJson<ServerSettingsIo>) -> ApiResult<AccountOut> {
    let (operator, role) = (acc.operator, acc.role);
    let (mut a, o) = (acc.account, acc.owner);
    let mode = match b.message_mode.as_deref() {
        None => MessageMode::Plain,
        Some(m) => MessageMode::parse(m).ok_or_else(|| ApiError::bad_request("message_mode must be plain, compatible or safe"))?,
    };
    let empty_to_none = |s: Option<String>| s.filter(|v| !v.is_empty());
    let (url, token, key) = (empty_to_none(b.url), empty_to_none(b.token), empty_to_none(b.encoding_aes_key));
    account::check_server_settings(url.as_deref(), token.as_deref(), key.as_deref(), mode)?;
    if let Some(u) = url.as_deref() {
        let token = token.as_deref().ok_or_else(|| ApiError::bad_request("a developer-server url needs a token"))?;
        let now = st.clock.now().await?;
        crate::delivery::verify_url(&st.http, u, token, now)
            .await
            .map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, "url_verification_failed", why))?;
    }
    a.server = ServerSettings { url, token, encoding_aes_key: key, mode };
    st.store.update_account(&a).await?;
    st.tokens.clear();
    Ok(Json(account_for(&a, &o, operator, role)))
}
