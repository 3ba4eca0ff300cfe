//! Herald's HTTP layer: the WeChat-compatible API (`cgi`), the platform API (`platform`),
//! and the server's start-up. Handlers stay thin: they parse, call the domain rules and the
//! store, and answer in the wire's shape.

pub mod cgi;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod delivery;
pub mod demo;
pub mod echo;
pub mod error;
pub mod extract;
pub mod faults;
pub mod layers;
pub mod pay;
pub mod platform;
pub mod qrimage;
pub mod requestlog;
pub mod routes;
pub mod seedfile;
pub mod state;
pub mod token_cache;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

pub use config::Config;
pub use state::AppState;

/// Opens the database named in `cfg` (running migrations), prepares shared settings, and
/// returns the state every handler sees.
pub async fn prepare(cfg: &Config) -> anyhow::Result<AppState> {
    // Bad settings are refused before anything is opened or created.
    cfg.validate()?;
    let store = herald_store::open(&cfg.database_url, true)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", cfg.database_url))?;
    AppState::new(store, cfg).await
}

/// The two listeners a node serves: the app origin (APIs, sessions, the platform's pages) and
/// the content origin (articles and files: what businesses and developers author).
pub struct Listeners {
    pub app: TcpListener,
    pub content: TcpListener,
}

impl Listeners {
    /// Binds `cfg.listen` and the content origin's address (`Config::content_listen`).
    pub async fn bind(cfg: &Config) -> anyhow::Result<Listeners> {
        let addr = cfg.listen_addr();
        let app = TcpListener::bind(&addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        Listeners::beside(cfg, app).await
    }

    /// Binds the content origin's address beside an app listener already bound.
    pub async fn beside(cfg: &Config, app: TcpListener) -> anyhow::Result<Listeners> {
        let addr = cfg.content_listen();
        let content = TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for the content origin (set HERALD_CONTENT_LISTEN): {e}"))?;
        Ok(Listeners { app, content })
    }
}

/// Fills in the public URLs left unset from the addresses actually bound.
fn settle_urls(state: &mut AppState, l: &Listeners) -> std::io::Result<()> {
    if state.public_url.is_none() {
        state.edit().public_url = Some(format!("http://{}", l.app.local_addr()?).into());
    }
    if state.content_url.is_none() {
        state.edit().content_url = Some(format!("http://{}", l.content.local_addr()?).into());
    }
    Ok(())
}

/// Serves Herald on both listeners (and runs the delivery worker, unless `worker` is off)
/// until `shutdown` resolves.
pub async fn serve(state: AppState, listeners: Listeners, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    serve_with(state, listeners, shutdown, true).await
}

pub async fn serve_with(
    state: AppState,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    worker: bool,
) -> anyhow::Result<()> {
    let mut state = state;
    settle_urls(&mut state, &listeners)?;
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let worker = worker.then(|| tokio::spawn(delivery::worker::run(state.clone(), stop.clone())));
    // The overview's daily aggregates: fold what PostgreSQL's triggers logged, once a minute.
    let folder = {
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                if let Err(e) = st.store.fold_daily().await {
                    tracing::warn!(error = %e, "folding the daily aggregates failed");
                }
            }
        })
    };
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopped| *stopped).await;
    };
    // Bound to its state once, here: served as a plain `Router`, axum would rebuild every
    // route for each new connection (about half a millisecond of CPU each with this table).
    // The app origin knows each connection's peer: `/cgi-bin/token` checks it against the
    // account's IP allow-list.
    let app = routes::router(state.clone()).with_state(state.clone()).with_state(()).into_make_service_with_connect_info::<SocketAddr>();
    let content = routes::content_router(state.clone()).with_state(state).with_state(()).into_make_service();
    let (served, content_served) = tokio::join!(
        axum::serve(listeners.app, app).with_graceful_shutdown(until(rx.clone())),
        axum::serve(listeners.content, content).with_graceful_shutdown(until(rx)),
    );
    stop.notify_one();
    folder.abort();
    if let Some(w) = worker {
        w.abort();
        let _ = w.await;
    }
    served?;
    content_served?;
    Ok(())
}

/// A server running in this process, for tests and the demo.
pub struct Running {
    pub addr: SocketAddr,
    pub content_addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The content origin's URL.
    pub fn content_url(&self) -> String {
        format!("http://{}", self.content_addr)
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await?
    }
}

/// Starts Herald on `listener` (and the content origin beside it, at
/// `Config::content_listen`) in the background.
pub async fn start(cfg: &Config, listener: TcpListener) -> anyhow::Result<Running> {
    let listeners = Listeners::beside(cfg, listener).await?;
    let mut state = prepare(cfg).await?;
    let addr = listeners.app.local_addr()?;
    let content_addr = listeners.content.local_addr()?;
    settle_urls(&mut state, &listeners)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(
        state.clone(),
        listeners,
        async move {
            let _ = rx.await;
        },
        cfg.worker,
    ));
    Ok(Running { addr, content_addr, state, stop: Some(tx), task })
}
