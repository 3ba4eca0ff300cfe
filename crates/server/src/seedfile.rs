//! Seed files (`herald serve --seed FILE`, `herald seed-file FILE`): a declarative data set of
//! accounts with fixed AppIDs and AppSecrets, users with fixed ids and logins, follows with
//! tags, merchants with their keys, and wallet and merchant balances, applied through the
//! platform's own code. Applying is idempotent: what exists (by AppID, user id, mchid, tag
//! name) is kept as it is, a follow that holds stays, and balances are topped up to the amount
//! given, never past it; so running a file twice changes nothing and CI can hard-code the
//! credentials.

use axum::extract::{Path, State};
use herald_domain::account::{self, MessageMode};
use herald_domain::ledger::Book;
use herald_store::ServerSettings;
use herald_wire::platform::accounts::{AccountCreate, OwnerIn};
use herald_wire::platform::users::{FollowIn, UserCreate};
use herald_wire::{AppId, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::extract::{ApiJson, Operator};
use crate::platform::{accounts, auth, merchants, users, wallet};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// The format's version: 1.
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub merchants: Vec<Value>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    pub appid: String,
    pub app_secret: String,
    pub name: String,
    /// `subscription` or `service`.
    #[serde(rename = "type")]
    pub account_type: String,
    /// `individual` or `organisation` (its name defaults to the account's).
    #[serde(default = "organisation")]
    pub owner: String,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(default)]
    pub verified: bool,
    /// The developer server, saved without the URL check (it may not be running yet).
    #[serde(default)]
    pub server: Option<SeedServer>,
    #[serde(default)]
    pub web_domain: Option<String>,
    /// The introduction its profile shows (at most 120 characters).
    #[serde(default)]
    pub intro: Option<String>,
    /// Tag names the account has.
    #[serde(default)]
    pub tags: Vec<String>,
}

fn organisation() -> String {
    "organisation".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedServer {
    pub url: String,
    pub token: String,
    #[serde(default)]
    pub encoding_aes_key: Option<String>,
    #[serde(default)]
    pub message_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub id: String,
    pub nickname: String,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub follows: Vec<SeedFollow>,
    /// The wallet's balance in fen (topped up to it).
    #[serde(default)]
    pub wallet: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SeedFollow {
    Appid(String),
    With { appid: String, #[serde(default)] tags: Vec<String> },
}

/// What applying did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub created: Vec<String>,
    pub kept: Vec<String>,
}

fn fail(what: &str, e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{what}: {} ({})", e.message, e.code)
}

/// Applies a seed file (see the module's notes).
pub async fn apply(st: &AppState, f: &SeedFile) -> anyhow::Result<Applied> {
    anyhow::ensure!(f.version == 1, "seed file version {} is not known (1 is)", f.version);
    let mut out = Applied::default();
    for a in &f.accounts {
        let what = format!("account {}", a.appid);
        if st.store.account(&a.appid).await?.is_some() {
            out.kept.push(what);
        } else {
            let create = AccountCreate {
                name: a.name.clone(),
                account_type: a.account_type.clone(),
                owner_id: None,
                owner: Some(OwnerIn { kind: a.owner.clone(), name: a.owner_name.clone().unwrap_or_else(|| a.name.clone()) }),
                verified: Some(a.verified),
                appid: Some(a.appid.clone()),
                app_secret: Some(a.app_secret.clone()),
                intro: a.intro.clone(),
            };
            let (mut acc, _) = accounts::create_account(st, &create).await.map_err(|e| fail(&what, e))?;
            if let Some(s) = &a.server {
                let mode = MessageMode::parse(s.message_mode.as_deref().unwrap_or("plain")).ok_or_else(|| anyhow::anyhow!("{what}: message_mode is plain, compatible or safe"))?;
                account::check_server_settings(Some(&s.url), Some(&s.token), s.encoding_aes_key.as_deref(), mode).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
                acc.server = ServerSettings { url: Some(s.url.clone()), token: Some(s.token.clone()), encoding_aes_key: s.encoding_aes_key.clone(), mode };
                st.store.update_account(&acc).await?;
            }
            if let Some(d) = &a.web_domain {
                let d = herald_domain::oauth::normalize_domain(d).ok_or_else(|| anyhow::anyhow!("{what}: web_domain is a host name"))?;
                st.store.set_web_domain(&acc.appid, Some(&d)).await?;
            }
            out.created.push(what);
        }
        let appid = AppId(a.appid.clone());
        let have: Vec<String> = st.store.tags(&appid).await?.into_iter().map(|t| t.name).collect();
        let now = st.clock.now().await?;
        for t in a.tags.iter().filter(|t| !have.contains(t)) {
            st.store.create_tag(&appid, t, now).await?;
            out.created.push(format!("tag {t} of {}", a.appid));
        }
    }
    for m in &f.merchants {
        let mchid = m.get("mchid").and_then(Value::as_str).ok_or_else(|| anyhow::anyhow!("every merchant names its mchid"))?.to_string();
        let what = format!("merchant {mchid}");
        if st.store.merchant(&mchid).await?.is_some() {
            out.kept.push(what);
        } else {
            let mut body = m.clone();
            if let Some(o) = body.as_object_mut() {
                o.remove("balance");
            }
            let input = serde_json::from_value(body).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
            let _ = merchants::create(State(st.clone()), Operator, ApiJson(input)).await.map_err(|e| fail(&what, e))?;
            out.created.push(what);
        }
        if let Some(target) = m.get("balance").and_then(Value::as_i64) {
            top_up_to(st, Book::Merchant(mchid.clone()), &format!("mchtopup:{mchid}"), target).await?;
        }
    }
    for u in &f.users {
        let what = format!("user {}", u.id);
        let user = match st.store.user(&UserId(u.id.clone())).await? {
            Some(user) => {
                out.kept.push(what.clone());
                user
            }
            None => {
                let user = users::create_user(st, &UserCreate { id: Some(u.id.clone()), nickname: u.nickname.clone(), profile: None }).await.map_err(|e| fail(&what, e))?;
                out.created.push(what.clone());
                user
            }
        };
        if let (Some(login), Some(password)) = (&u.login, &u.password) {
            if st.store.login_of(&user.id).await?.is_none() {
                let body = herald_wire::platform::auth::SignInIn { login: login.clone(), password: password.clone() };
                let _ = auth::give_login(State(st.clone()), Operator, Path(u.id.clone()), ApiJson(body)).await.map_err(|e| fail(&what, e))?;
            }
        }
        for follow in &u.follows {
            let (appid, tags) = match follow {
                SeedFollow::Appid(a) => (a.clone(), &[][..]),
                SeedFollow::With { appid, tags } => (appid.clone(), &tags[..]),
            };
            let appid = AppId(appid);
            let following = st.store.follower_by_user(&appid, &user.id).await?.filter(|f| f.subscribed);
            let rel = match following {
                Some(f) => f,
                None => users::follow_account(st, &user, &FollowIn { appid: appid.clone(), scene: None }).await.map_err(|e| fail(&what, e))?,
            };
            let all = st.store.tags(&appid).await?;
            for name in tags {
                let tag = all.iter().find(|t| &t.name == name).ok_or_else(|| anyhow::anyhow!("{what}: {} has no tag {name:?} (list it under the account's tags)", appid.as_str()))?;
                if !rel.tag_ids.contains(&tag.id) {
                    st.store.set_tagged(&appid, tag.id, std::slice::from_ref(&rel.openid.0), true).await?;
                }
            }
        }
        if let Some(target) = u.wallet {
            top_up_to(st, Book::Wallet(u.id.clone()), &format!("topup:{}", u.id), target).await?;
        }
    }
    Ok(out)
}

/// `POST /herald/v1/reset` (operator): every row goes (but the platform's settings, the clock
/// and the migrations), then the seed file the node was started with is applied again: a test
/// suite's fresh start.
pub async fn reset(State(st): State<AppState>, _: Operator) -> crate::error::ApiResult<Value> {
    let started = std::time::Instant::now();
    st.store.wipe().await?;
    st.tokens.clear();
    st.faults.forget_all();
    let applied = match &st.seed {
        Some(seed) => Some(apply(&st, seed).await.map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "seed_failed", e.to_string()))?),
        None => None,
    };
    Ok(axum::Json(json!({
        "reset": true,
        "seeded": applied.as_ref().map(|a| a.created.len()),
        "ms": started.elapsed().as_millis() as u64,
    })))
}

/// Tops a book up to `target` fen (never down).
async fn top_up_to(st: &AppState, book: Book, reason: &str, target: i64) -> anyhow::Result<()> {
    let have = st.store.balance(&book).await?;
    if have < target {
        let request = format!("seed-{}-{target}", have);
        let b: wallet::TopUpIn = serde_json::from_value(json!({"amount": target - have, "request_id": request}))?;
        wallet::fund(st, book, reason, &b).await.map_err(|e| fail(reason, e))?;
    }
    Ok(())
}
