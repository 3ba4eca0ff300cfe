//! Helpers the storage stories share: every backend to run on (SQLite always, PostgreSQL
//! whenever `HERALD_TEST_PG`, default `postgres://127.0.0.1:5432/test`, is reachable), and
//! the records they start from.
#![allow(dead_code)]

use std::sync::Arc;

use herald_domain::account::{AccountType, OwnerKind};
use herald_store::*;
use herald_wire::{AppId, OwnerId};
use rand::distributions::{Alphanumeric, DistString};

pub fn rand_suffix() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 10).to_lowercase()
}

pub async fn backends() -> Vec<(&'static str, Arc<dyn Store>)> {
    let path = std::env::temp_dir().join(format!("herald-story-{}.db", rand_suffix()));
    let mut out = vec![
        ("sqlite", open(&format!("sqlite://{}", path.display()), true).await.unwrap()),
        ("sqlite in memory", open("sqlite::memory:", true).await.unwrap()),
    ];
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    match tokio::time::timeout(std::time::Duration::from_secs(3), sqlx_probe(&base)).await {
        Ok(true) => {
            let url = format!("{}/herald_t_story_{}", base.rsplit_once('/').unwrap().0, rand_suffix());
            out.push(("postgres", open(&url, true).await.unwrap()));
        }
        _ => eprintln!("PostgreSQL not reachable at {base}: the story runs on SQLite only"),
    }
    out
}

pub async fn sqlx_probe(url: &str) -> bool {
    PgStore::connect(url).await.is_ok()
}

/// The migrations of one backend whose file names sort before `before` ("0015", say), in order.
pub fn migrations_before(backend: &str, before: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_str().unwrap() < before)
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// One migration file of one backend.
pub fn migration(backend: &str, name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A new PostgreSQL database as an older version left it: the migrations before `before`
/// applied, none after. None (said on stderr) when PostgreSQL is not reachable.
pub async fn postgres_before(before: &str) -> Option<sqlx::PgPool> {
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    if !matches!(tokio::time::timeout(std::time::Duration::from_secs(3), sqlx_probe(&base)).await, Ok(true)) {
        eprintln!("PostgreSQL not reachable at {base}: skipped");
        return None;
    }
    let url = format!("{}/herald_t_before_{before}_{}", base.rsplit_once('/').unwrap().0, rand_suffix());
    // Creates the database (connect does), without migrating it.
    PgStore::connect(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for sql in migrations_before("postgres", before) {
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
    }
    Some(pool)
}

pub fn owner(kind: OwnerKind) -> Owner {
    Owner { id: OwnerId(format!("org_{}", rand_suffix())), kind, name: "Acme".into(), created_at: 1 }
}

pub fn account(owner: &Owner, ty: AccountType) -> Account {
    Account {
        appid: AppId(format!("wx{}", rand_suffix())),
        original_id: format!("gh_{}", rand_suffix()),
        owner_id: owner.id.clone(),
        owner_kind: owner.kind,
        name: "Acme Service".into(),
        ty,
        verified: true,
        app_secret: "s".repeat(32),
        server: ServerSettings::default(),
        created_at: 1,
        intro: String::new(),
    }
}

/// A merchant bound to one account, as the pay stories need it.
pub fn merchant_record(mchid: &str, appid: &str) -> herald_store::pay::Merchant {
    herald_store::pay::Merchant {
        mchid: mchid.into(),
        name: "Tea".into(),
        apiv3_key: "k".repeat(32),
        api_key: "a".repeat(32),
        mch_serial: "ABC".into(),
        mch_public_key: "pem".into(),
        mch_certificate: None,
        platform_serial: "DEF".into(),
        platform_certificate: "cert".into(),
        platform_not_before: 0,
        platform_not_after: 10,
        public_key_id: format!("PUB_KEY_ID_{}", rand_suffix()),
        key_mode: "certificate".into(),
        created_at: 1,
        refund_mode: "auto".into(),
        h5_domain: String::new(),
        appids: vec![appid.into()],
    }
}

/// A service account and a merchant record bound to it (not stored yet).
pub async fn merchant_setup(s: &dyn Store) -> (Account, String, herald_store::pay::Merchant) {
    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let mchid = format!("19{}", rand_suffix());
    let m = merchant_record(&mchid, &acc.appid.0);
    (acc, mchid, m)
}

/// An unpaid Native order of 300 fen, as the pay stories need it.
pub fn order_record(tid: &str, mchid: &str, appid: &str, out_trade_no: &str) -> herald_store::pay::Order {
    herald_store::pay::Order {
        transaction_id: tid.into(),
        mchid: mchid.into(),
        out_trade_no: out_trade_no.into(),
        appid: appid.into(),
        trade_type: herald_domain::pay::TradeType::Native,
        description: "Tea".into(),
        attach: None,
        notify_url: "https://shop.example/n".into(),
        goods_tag: None,
        total: 300,
        currency: "CNY".into(),
        payer_openid: None,
        scene_info: None,
        fingerprint: "f1".into(),
        prepay_id: format!("wx{}", rand_suffix()),
        prepay_expires_at: 7200,
        code_key: None,
        state: herald_domain::pay::TradeState::NotPay,
        expires_at: 10_000,
        created_at: 1,
        success_time: None,
        payer_user: None,
        refunded: 0,
        discount: 0,
        promotion: None,
    }
}
