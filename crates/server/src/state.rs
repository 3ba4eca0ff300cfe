use std::sync::Arc;

use herald_store::{BlobStore, DirBlobStore, Store};

use crate::clock::Clock;
use crate::config::Config;
use crate::token_cache::TokenCache;

/// What every handler sees: one pointer to the node's [`Shared`] parts, so the per-request
/// clones (every layer and every `State` extractor takes one) cost one reference count, not
/// one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The node's parts. Holds no state of its own beyond configuration and a one-second token
/// cache: everything that changes lives in the database, so several nodes can share one.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub operator_token: Arc<str>,
    pub public_url: Option<Arc<str>>,
    /// The content origin's URL (see `Config::content_url`).
    pub content_url: Option<Arc<str>>,
    /// Recent access-token lookups on this node (see `token_cache`).
    pub tokens: Arc<TokenCache>,
    /// Wakes this node's delivery worker when work is queued here.
    pub wake: Arc<tokio::sync::Notify>,
    pub allow_private_callbacks: bool,
    /// Followers may top up their own wallets (`Config::self_topup`).
    pub self_topup: bool,
    /// Log one line per request (`Config::log_requests`).
    pub log_requests: bool,
    /// What `/cgi-bin/getcallbackip` answers (see `cgi::misc`).
    pub callback_ips: Arc<[String]>,
    /// The HTTP client for developer servers.
    pub http: crate::delivery::Outbound,
    /// Where uploaded files' bytes live.
    pub blobs: Arc<dyn BlobStore>,
    /// The WeChat Pay platform key, loaded from the database on first use (see `pay`).
    pub pay_key: Arc<tokio::sync::OnceCell<Arc<herald_wire::pay::keys::PrivateKey>>>,
    /// Merchants' API public keys as parsed from their PEM text (a cache keyed by the text
    /// itself, so a changed key is simply a different entry; see `pay::merchant_key`).
    /// The request log's queue (see `requestlog`).
    pub request_log: crate::requestlog::RequestLog,
    /// Record calls in the request log (`Config::request_log`).
    pub log_requests_db: bool,
    /// The seed file this node was started with: what a reset returns to.
    pub seed: Option<Arc<crate::seedfile::SeedFile>>,
    /// This node's copy of the fault rules (see `faults`).
    pub faults: Arc<crate::faults::FaultCache>,
    /// This node's live-update listeners (see `platform::live`).
    pub live: crate::platform::live::Hub,
    /// Mini-program automation: the relay between automator clients and open mini programs.
    pub automation: crate::platform::automation::Hub,
    pub pay_public_keys: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<herald_wire::pay::keys::PublicKey>>>>,
}

impl AppState {
    /// `cfg` is already validated (`crate::prepare` does it before opening the database).
    pub async fn new(store: Arc<dyn Store>, cfg: &Config) -> anyhow::Result<Self> {
        let generated = herald_domain::idgen::secret_token(&mut rand::thread_rng(), "hop_");
        let operator_token = match &cfg.operator_token {
            Some(t) => t.clone(),
            None => store.setting_or_insert("operator_token", &generated).await?,
        };
        let clock = Clock::new(store.clone(), cfg.simulated_clock()).await?;
        let request_log = crate::requestlog::RequestLog::start(store.clone(), cfg.request_log_days, cfg.request_log_rows);
        Ok(AppState(Arc::new(Shared {
            store,
            clock,
            operator_token: operator_token.into(),
            public_url: cfg.public_url.as_deref().map(Into::into),
            content_url: cfg.content_url.as_deref().map(Into::into),
            tokens: Arc::new(TokenCache::default()),
            wake: Arc::new(tokio::sync::Notify::new()),
            allow_private_callbacks: cfg.allow_private_callbacks,
            self_topup: cfg.self_topup,
            log_requests: cfg.log_requests,
            callback_ips: crate::cgi::misc::callback_ips_of(cfg.callback_ips.as_deref()).into(),
            http: crate::delivery::client(cfg.allow_private_callbacks),
            blobs: Arc::new(DirBlobStore::new(cfg.blob_dir())?),
            pay_key: Arc::new(tokio::sync::OnceCell::new()),
            pay_public_keys: Arc::default(),
            live: Arc::default(),
            automation: Arc::default(),
            faults: Arc::default(),
            seed: None,
            request_log,
            log_requests_db: cfg.request_log,
        })))
    }

    /// Changes settings while the node starts (before it serves; a clone taken earlier keeps
    /// what it had).
    pub fn edit(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// The URL users and SDKs reach this server at (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.public_url.as_deref().unwrap_or("").trim_end_matches('/')
    }

    /// The URL of the content origin, where articles and files are served (no trailing slash).
    pub fn content_base(&self) -> &str {
        self.content_url.as_deref().unwrap_or("").trim_end_matches('/')
    }
}
