//! `herald demo`: a fresh data set to explore — a subscription account owned by an
//! individual, a verified service account owned by an organisation with its mini program (the
//! sample shop, released and on the service account's menu), and a few end users following
//! both accounts — created through the same code as the platform API.

use herald_store::{Account, User};
use herald_wire::platform::accounts::{AccountCreate, OwnerIn};
use herald_wire::platform::users::{FollowIn, UserCreate};

use crate::platform::{accounts, users};
use crate::state::AppState;

/// The password of every demo user (their logins are their names in lower case).
pub const DEMO_PASSWORD: &str = "herald-demo";

pub struct Demo {
    pub subscription: Account,
    pub service: Account,
    pub users: Vec<User>,
    /// Acme's mini program (its shop), released, linked from the service account's menu.
    pub miniprogram: Option<Account>,
}

/// The sample mini program the demo ships (examples/miniprogram).
#[derive(rust_embed::Embed)]
#[folder = "../../examples/miniprogram"]
struct SampleMiniProgram;

/// Uploads and releases the sample mini program as version 1.0.0 of `appid`.
async fn release_sample(st: &AppState, appid: &herald_wire::AppId) -> anyhow::Result<()> {
    let mut files = herald_mp::Files::new();
    for name in SampleMiniProgram::iter() {
        if let Some(f) = SampleMiniProgram::get(&name) {
            files.insert(name.to_string(), f.data.to_vec());
        }
    }
    let compiled = herald_mp::compile(&files).map_err(|e| anyhow::anyhow!("the sample mini program does not compile: {e:?}"))?;
    let zip = herald_mp::write_zip(&files)?;
    let js = crate::platform::mppackages::package_js(&compiled);
    let now = st.clock.now().await?;
    let v = herald_store::MpVersion {
        appid: appid.clone(),
        version: "1.0.0".into(),
        description: "The demo's sample shop".into(),
        source_blob: st.blobs.put(&zip)?,
        compiled_blob: st.blobs.put(js.as_bytes())?,
        files: files.len() as i64,
        bytes: zip.len() as i64,
        created_at: now,
    };
    st.store.put_version(&v).await?;
    st.store.set_channel(appid, "develop", "1.0.0", now).await?;
    st.store.set_channel(appid, "release", "1.0.0", now).await?;
    Ok(())
}

/// The console sign-ins of the demo's two owners (email; the password is `DEMO_PASSWORD`):
/// the subscription account's owner and the service account's.
pub const DEMO_OWNER_EMAILS: [&str; 2] = ["liwei@example.com", "acme@example.com"];

/// A member of Acme (the service account's organisation) with the agent role, signed in with
/// `DEMO_PASSWORD` too: it answers followers and sees little else.
pub const DEMO_AGENT_EMAIL: &str = "kefu@example.com";

/// Gives the demo's owners their console logins, and Acme its agent, unless they have them.
async fn owner_logins(st: &AppState, demo: &Demo) -> anyhow::Result<()> {
    let now = st.clock.now().await?;
    let hash = || async { crate::platform::auth::hash_password(DEMO_PASSWORD.into()).await.map_err(|e| anyhow::anyhow!("{}", e.message)) };
    for (account, email) in [&demo.subscription, &demo.service].into_iter().zip(DEMO_OWNER_EMAILS) {
        if st.store.owner_email(&account.owner_id).await?.is_none() {
            st.store.set_owner_login(&account.owner_id, email, &hash().await?, now).await?;
        }
    }
    if st.store.member_login(DEMO_AGENT_EMAIL).await?.is_none() {
        let role = herald_domain::console::Role::Agent;
        let invited = crate::platform::members::new_invitation(st, &demo.service.owner_id, DEMO_AGENT_EMAIL, role, now, now + 60).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
        if let Some((_, token)) = invited {
            st.store.accept_invite(&crate::web::hash(&token), &hash().await?, now).await?;
        }
    }
    Ok(())
}

/// An account for a new owner; organisations' accounts are verified.
fn new_account(name: &str, ty: &str, owner_kind: &str, owner_name: &str, intro: &str) -> AccountCreate {
    AccountCreate {
        name: name.into(),
        account_type: ty.into(),
        owner: Some(OwnerIn { kind: owner_kind.into(), name: owner_name.into() }),
        verified: Some(owner_kind == "organisation"),
        owner_id: None,
        appid: None,
        app_secret: None,
        intro: Some(intro.into()),
    }
}

pub async fn seed(st: &AppState) -> anyhow::Result<Demo> {
    // A database seeded before (the demo run again on it) is used as it is, not seeded twice.
    if let Some(done) = st.store.setting(DEMO_SETTING).await? {
        let demo = load(st, &done).await?;
        owner_logins(st, &demo).await?;
        return Ok(demo);
    }
    let demo = seed_fresh(st).await?;
    owner_logins(st, &demo).await?;
    let record = serde_json::json!({
        "subscription": demo.subscription.appid, "service": demo.service.appid,
        "miniprogram": demo.miniprogram.as_ref().map(|a| a.appid.as_str()),
        "users": demo.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
    });
    st.store.setting_or_insert(DEMO_SETTING, &record.to_string()).await?;
    Ok(demo)
}

/// Where a seeded database remembers its demo data set.
const DEMO_SETTING: &str = "demo";

async fn load(st: &AppState, record: &str) -> anyhow::Result<Demo> {
    let v: serde_json::Value = serde_json::from_str(record)?;
    let account = |k: &str| {
        let appid = v[k].as_str().unwrap_or_default().to_string();
        async move { st.store.account(&appid).await?.ok_or_else(|| anyhow::anyhow!("the demo's account {appid} is gone")) }
    };
    let (subscription, service) = (account("subscription").await?, account("service").await?);
    let mut people = Vec::new();
    for id in v["users"].as_array().into_iter().flatten().filter_map(|u| u.as_str()) {
        if let Some(u) = st.store.user(&herald_wire::UserId(id.into())).await? {
            people.push(u);
        }
    }
    let miniprogram = match v["miniprogram"].as_str() {
        Some(appid) => st.store.account(appid).await?,
        None => None,
    };
    Ok(Demo { subscription, service, users: people, miniprogram })
}

async fn seed_fresh(st: &AppState) -> anyhow::Result<Demo> {
    let err = |e: crate::error::ApiError| anyhow::anyhow!("{}: {}", e.code, e.message);
    let (subscription, _) = accounts::create_account(st, &new_account("Li Wei's Notes", "subscription", "individual", "Li Wei", "Notes on cooking, travel and the city, every morning."))
        .await
        .map_err(err)?;
    let (service, _) = accounts::create_account(st, &new_account("Acme Bank", "service", "organisation", "Acme Bank Ltd.", "Your accounts, cards and payments, with a person to answer."))
        .await
        .map_err(err)?;
    // Acme's shop, a mini program of the same owner (so users have one unionid across both).
    let shop = AccountCreate { owner_id: Some(service.owner_id.clone()), owner: None, ..new_account("Acme Shop", "miniprogram", "organisation", "", "Acme's shop: order and pay without installing anything.") };
    let (miniprogram, _) = accounts::create_account(st, &shop).await.map_err(err)?;
    release_sample(st, &miniprogram.appid).await?;
    let mut people = Vec::new();
    let now = st.clock.now().await?;
    let password = crate::platform::auth::hash_password(DEMO_PASSWORD.into()).await.map_err(err)?;
    for nickname in ["Alice", "Bob", "Chen", "Dana"] {
        let u = users::create_user(st, &UserCreate { id: None, nickname: nickname.into(), profile: None }).await.map_err(err)?;
        // Each signs in to the app as their name in lower case, with the demo password.
        st.store.create_login(&nickname.to_lowercase(), &u.id, &password, now).await?;
        for appid in [&subscription.appid, &service.appid] {
            users::follow_account(st, &u, &FollowIn { appid: appid.clone(), scene: None }).await.map_err(err)?;
        }
        people.push(u);
    }
    // The service account has a menu, and web OAuth may redirect to sites on this machine.
    let menu = serde_json::json!({"button": [
        {"type": "click", "name": "Balance", "key": "BALANCE"},
        {"name": "Services", "sub_button": [
            {"type": "view", "name": "Branches", "url": "http://127.0.0.1/branches"},
            {"type": "scancode_waitmsg", "name": "Scan a bill", "key": "SCAN_BILL"},
            {"type": "location_select", "name": "Nearest ATM", "key": "ATM"},
        ]},
        {"type": "miniprogram", "name": "Shop", "appid": miniprogram.appid, "pagepath": "pages/index/index", "url": "http://127.0.0.1/shop"},
    ]});
    let (buttons, _) = herald_domain::menu::check_menu(&menu).map_err(|e| anyhow::anyhow!("{e}"))?;
    st.store.set_default_menu(&service.appid, &serde_json::Value::Array(buttons).to_string(), now).await?;
    st.store.set_web_domain(&service.appid, Some("127.0.0.1")).await?;
    Ok(Demo { subscription, service, users: people, miniprogram: Some(miniprogram) })
}

/// Creates a verified service account with `n` followers (for benchmarks); returns its AppID
/// and AppSecret.
pub async fn seed_followers(st: &AppState, n: usize) -> anyhow::Result<(String, String)> {
    let err = |e: crate::error::ApiError| anyhow::anyhow!("{}: {}", e.code, e.message);
    let (account, _) = accounts::create_account(st, &new_account("Load Test", "service", "organisation", "Load Test Ltd.", ""))
        .await
        .map_err(err)?;
    let follow = FollowIn { appid: account.appid.clone(), scene: None };
    for i in 0..n {
        let u = users::create_user(st, &UserCreate { id: None, nickname: format!("load{i}"), profile: None }).await.map_err(err)?;
        users::follow_account(st, &u, &follow).await.map_err(err)?;
    }
    Ok((account.appid.0, account.app_secret))
}

/// Points the account at a developer server and stores `n` text messages from its followers,
/// pending delivery (for the delivery benchmark).
pub async fn seed_messages(st: &AppState, appid: &str, url: &str, token: &str, aes_key: &str, mode: &str, n: usize) -> anyhow::Result<()> {
    let mut account = st.store.account(appid).await?.ok_or_else(|| anyhow::anyhow!("no account {appid}"))?;
    let now = st.clock.now().await?;
    crate::delivery::verify_url(&st.http, url, token, now).await.map_err(|e| anyhow::anyhow!(e))?;
    account.server = herald_store::ServerSettings {
        url: Some(url.into()),
        token: Some(token.into()),
        encoding_aes_key: Some(aes_key.into()),
        mode: herald_domain::account::MessageMode::parse(mode).ok_or_else(|| anyhow::anyhow!("bad mode {mode}"))?,
    };
    st.store.update_account(&account).await?;
    let page = st.store.subscribed_page(&account.appid, None, 10_000).await?;
    let mut users = Vec::new();
    for openid in page.openids.iter().take(1000) {
        if let Some(f) = st.store.follower_by_openid(&account.appid, openid.as_str()).await? {
            users.push(st.store.user(&f.user_id).await?.ok_or_else(|| anyhow::anyhow!("no user"))?);
        }
    }
    anyhow::ensure!(!users.is_empty(), "the account has no followers");
    for i in 0..n {
        let msg = herald_domain::conversation::UserMessage::Text { content: format!("message {i}"), bizmsgmenuid: None };
        crate::conversation::receive(st, &users[i % users.len()], &account.appid, herald_domain::conversation::Inbound::Message(msg))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
    }
    Ok(())
}

/// Creates a verified service account with `n` followers inserted in bulk (load tests at the
/// scale of millions); returns its AppID, AppSecret and one follower's user id.
pub async fn seed_bulk(st: &AppState, n: u64) -> anyhow::Result<(String, String, String)> {
    let err = |e: crate::error::ApiError| anyhow::anyhow!("{}: {}", e.code, e.message);
    let (account, _) = accounts::create_account(st, &new_account("Load Test", "service", "organisation", "Load Test Ltd.", ""))
        .await
        .map_err(err)?;
    let now = st.clock.now().await?;
    let appid = account.appid.clone();
    let user = st.store.bulk_follow(&appid, n, now).await?;
    Ok((appid.0, account.app_secret.clone(), user.0))
}
