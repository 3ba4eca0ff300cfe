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
pub mod pay;
pub mod platform;
pub mod qrimage;
pub mod routes;
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

/// Serves Herald on `listener` (and runs the delivery worker, unless `worker` is off) until
/// `shutdown` resolves.
pub async fn serve(state: AppState, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    serve_with(state, listener, shutdown, true).await
}

pub async fn serve_with(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    worker: bool,
) -> anyhow::Result<()> {
    let mut state = state;
    if state.public_url.is_none() {
        state.public_url = Some(format!("http://{}", listener.local_addr()?).into());
    }
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let worker = worker.then(|| tokio::spawn(delivery::worker::run(state.clone(), stop.clone())));
    // Bound to its state once, here: served as a plain `Router`, axum would rebuild every
    // route for each new connection (about half a millisecond of CPU each with this table).
    let app = routes::router().with_state(state).with_state(()).into_make_service();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    stop.notify_one();
    if let Some(w) = worker {
        w.abort();
        let _ = w.await;
    }
    served?;
    Ok(())
}

/// A server running in this process, for tests and the demo.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await?
    }
}

/// Starts Herald on `listener` in the background.
pub async fn start(cfg: &Config, listener: TcpListener) -> anyhow::Result<Running> {
    let mut state = prepare(cfg).await?;
    let addr = listener.local_addr()?;
    if state.public_url.is_none() {
        state.public_url = Some(format!("http://{addr}").into());
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(
        state.clone(),
        listener,
        async move {
            let _ = rx.await;
        },
        cfg.worker,
    ));
    Ok(Running { addr, state, stop: Some(tx), task })
}
