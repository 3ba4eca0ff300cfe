//! `herald`: serve the platform, run migrations, or start a demo.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use herald_server::Config;

mod mp;
mod triggers;

/// mimalloc rather than the system allocator: under many small allocations and frees glibc's
/// malloc consolidated its free lists on each large allocation (RSA signing allocates one),
/// 2–3% of the server's CPU in the payments benchmark (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How many milliseconds mimalloc keeps freed memory before returning it to the system, when
/// `MIMALLOC_PURGE_DELAY` is not set: 0 (at once) rather than mimalloc 3's 1000, so that 10,000 idle live
/// connections hold under 300 MB (docs/PERFORMANCE.md, "10,000 live clients").
const PURGE_DELAY_MS: &str = "0";

/// mimalloc reads its options from the environment once, before `main`; without unsafe code
/// (the workspace forbids it) the only way to set one is to start again with it set: herald
/// replaces itself (same process id, arguments and descriptors) once, before any thread starts.
/// If that fails it runs on with mimalloc's defaults.
fn tune_allocator() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("MIMALLOC_PURGE_DELAY", PURGE_DELAY_MS).exec();
    eprintln!("herald: running with mimalloc's default purge delay ({err})");
}

#[derive(Parser)]
#[command(name = "herald", version, about = "A WeChat-compatible official-account platform")]
struct Cli {
    /// A TOML config file (defaults, then this file, then HERALD_* environment variables).
    #[arg(long, global = true, env = "HERALD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start the HTTP server.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// sqlite://PATH or postgres://…
        #[arg(long)]
        database_url: Option<String>,
        /// A seed file (YAML or TOML) applied before serving, idempotently.
        #[arg(long, env = "HERALD_SEED")]
        seed: Option<PathBuf>,
    },
    /// Apply a seed file (YAML or TOML: accounts with fixed credentials, users, follows, tags,
    /// merchants, balances) to the database, idempotently, and print what it created.
    ApplySeed {
        file: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Run the database migrations and exit.
    Migrate {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Start the server on a fresh demo data set and print how to use it.
    Demo {
        /// Defaults to the `listen` setting (127.0.0.1:8080 unless configured).
        #[arg(long)]
        listen: Option<String>,
        /// Defaults to a new SQLite file in the system's temporary directory.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print the settings in effect.
    Config,
    /// A follower's actions against a running Herald, as the follower app does them
    /// (create, follow, unfollow, say, scan, tap, location, pay, open-redpack, topup).
    User {
        #[command(flatten)]
        target: triggers::Target,
        #[command(subcommand)]
        cmd: triggers::UserCmd,
    },
    /// Mini-program packages in a running Herald: upload DIR, release, rollback, versions.
    Mp {
        #[command(flatten)]
        target: triggers::Target,
        #[command(subcommand)]
        cmd: mp::MpCmd,
    },
    /// Faults on purpose in a running Herald: add, list, rm, clear.
    Fault {
        #[command(flatten)]
        target: triggers::Target,
        #[command(subcommand)]
        cmd: triggers::FaultCmd,
    },
    /// The calls a running Herald answered (secrets masked): one line each, or --json.
    Logs {
        #[command(flatten)]
        target: triggers::Target,
        /// Only this account's calls.
        #[arg(long)]
        appid: Option<String>,
        /// Keep printing new calls.
        #[arg(long, short)]
        follow: bool,
        #[arg(long)]
        json: bool,
    },
    /// Returns a running Herald to its seed file (every row goes; the seed is applied again).
    Reset {
        #[command(flatten)]
        target: triggers::Target,
    },
    /// The simulated clock of a running Herald: show, advance 48h, set, freeze.
    Clock {
        #[command(flatten)]
        target: triggers::Target,
        #[command(subcommand)]
        cmd: triggers::ClockCmd,
    },
    /// Load-testing aid: create a verified service account with N followers and print its
    /// AppID and AppSecret as JSON.
    Seed {
        #[arg(long, default_value_t = 100_000)]
        followers: usize,
        #[arg(long)]
        database_url: Option<String>,
        /// Also store this many messages from the followers, pending delivery to `server_url`.
        #[arg(long, default_value_t = 0)]
        messages: usize,
        /// The developer server (verified when saved); needs `--token`.
        #[arg(long)]
        server_url: Option<String>,
        #[arg(long, default_value = "echotoken")]
        token: String,
        #[arg(long, default_value = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
        aes_key: String,
        #[arg(long, default_value = "safe")]
        mode: String,
        /// Insert the followers in bulk, straight into storage (millions in minutes).
        #[arg(long)]
        bulk: bool,
    },
    /// A minimal developer server that answers every text message with "echo: <text>" as a
    /// passive reply (plain, compatible or safe mode), for trying callbacks and benchmarks.
    EchoServer {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: String,
        #[arg(long, default_value = "echotoken")]
        token: String,
        #[arg(long, default_value = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
        aes_key: String,
        /// The account's AppID (checked inside encrypted envelopes).
        #[arg(long)]
        appid: String,
    },
}

fn load_config(path: Option<&PathBuf>) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(p) = path {
        anyhow::ensure!(p.exists(), "config file {} does not exist", p.display());
        fig = fig.merge(Toml::file(p));
    }
    let cfg: Config = fig.merge(Env::prefixed("HERALD_").ignore(&["config"])).extract().context("reading settings")?;
    Ok(cfg)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(async_main()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn async_main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line; the backtrace only when asked (HERALD_BACKTRACE=1),
            // not whenever RUST_BACKTRACE happens to be set.
            eprintln!("herald: {e:#}");
            if std::env::var_os("HERALD_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("{}", e.backtrace());
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut cfg = load_config(cli.config.as_ref())?;
    match cli.cmd {
        Cmd::Seed { followers, database_url, messages, server_url, token, aes_key, mode, bulk } => {
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            cfg.allow_private_callbacks = true;
            let state = herald_server::prepare(&cfg).await?;
            if bulk {
                let (appid, secret, user) = herald_server::demo::seed_bulk(&state, followers as u64).await?;
                println!("{}", serde_json::json!({"appid": appid, "app_secret": secret, "followers": followers, "sample_user": user}));
                return Ok(());
            }
            let (appid, secret) = herald_server::demo::seed_followers(&state, followers).await?;
            if messages > 0 {
                let url = server_url.ok_or_else(|| anyhow::anyhow!("--messages needs --server-url"))?;
                herald_server::demo::seed_messages(&state, &appid, &url, &token, &aes_key, &mode, messages).await?;
            }
            println!("{}", serde_json::json!({"appid": appid, "app_secret": secret, "followers": followers, "messages": messages}));
        }
        Cmd::EchoServer { listen, token, aes_key, appid } => {
            let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("binding {listen}"))?;
            println!("echo server listening on http://{}/", listener.local_addr()?);
            herald_server::echo::serve(listener, token, aes_key, appid, shutdown_signal()).await?;
        }
        Cmd::User { target, cmd } => {
            println!("{}", serde_json::to_string_pretty(&triggers::user(&target, cmd).await?)?);
        }
        Cmd::Mp { target, cmd } => {
            println!("{}", serde_json::to_string_pretty(&mp::run(&target, cmd).await?)?);
        }
        Cmd::Fault { target, cmd } => {
            println!("{}", serde_json::to_string_pretty(&triggers::fault(&target, cmd).await?)?);
        }
        Cmd::Logs { target, appid, follow, json } => {
            triggers::logs(&target, appid, follow, json).await?;
        }
        Cmd::Reset { target } => {
            println!("{}", serde_json::to_string_pretty(&triggers::reset(&target).await?)?);
        }
        Cmd::Clock { target, cmd } => {
            println!("{}", serde_json::to_string_pretty(&triggers::clock(&target, cmd).await?)?);
        }
        Cmd::Config => {
            println!("{}", serde_json::to_string_pretty(&cfg.masked())?);
        }
        Cmd::Migrate { database_url } => {
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            cfg.validate()?;
            herald_store::open(&cfg.database_url, true).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("migrated {}", cfg.database_url);
        }
        Cmd::ApplySeed { file, database_url } => {
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            let seed = read_seed(&file)?;
            let state = herald_server::prepare(&cfg).await?;
            let applied = herald_server::seedfile::apply(&state, &seed).await.with_context(|| format!("applying {}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&applied)?);
        }
        Cmd::Serve { listen, database_url, seed } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            let seed = seed.map(|f| read_seed(&f).map(|s| (f, s))).transpose()?;
            let listeners = herald_server::Listeners::bind(&cfg).await?;
            let mut state = herald_server::prepare(&cfg).await?;
            if let Some((file, seed)) = seed {
                let applied = herald_server::seedfile::apply(&state, &seed).await.with_context(|| format!("applying {}", file.display()))?;
                tracing::info!(created = applied.created.len(), kept = applied.kept.len(), "seed file {} applied", file.display());
                state.edit().seed = Some(std::sync::Arc::new(seed));
            }
            let addr = listeners.app.local_addr()?;
            println!("herald listening on http://{addr}");
            println!("content origin on {}", cfg.content_url.clone().unwrap_or_else(|| format!("http://{}", listeners.content.local_addr().map(|a| a.to_string()).unwrap_or_default())));
            println!("database: {}", redact(&cfg.database_url));
            println!("clock: {}", cfg.clock);
            if cfg.operator_token.is_none() {
                println!("operator token: {}", state.operator_token);
            }
            herald_server::serve_with(state, listeners, shutdown_signal(), cfg.worker).await?;
        }
        Cmd::Demo { listen, database_url } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            cfg.clock = "simulated".into();
            cfg.log_requests = true;
            cfg.request_log = true;
            // The demo's developer server is usually on this machine.
            cfg.allow_private_callbacks = true;
            // A database of its own in the temporary directory (removed when the demo stops)
            // unless one is named: `--database-url`, or HERALD_DATABASE_URL / the config file.
            let named = database_url.or_else(|| std::env::var("HERALD_DATABASE_URL").ok());
            let scratch = named.is_none().then(|| std::env::temp_dir().join(format!("herald-demo-{}.db", std::process::id())));
            cfg.database_url = match (&named, &scratch) {
                (Some(u), _) => u.clone(),
                (None, Some(p)) => {
                    let _ = std::fs::remove_file(p);
                    format!("sqlite://{}", p.display())
                }
                (None, None) => unreachable!("one of the two is set"),
            };
            let listeners = herald_server::Listeners::bind(&cfg).await?;
            let addr = listeners.app.local_addr()?;
            let state = herald_server::prepare(&cfg).await?;
            let demo = herald_server::demo::seed(&state).await?;
            let base = format!("http://{addr}");
            println!("herald listening on {base}");
            println!("database: {} (simulated clock)", redact(&cfg.database_url));
            println!();
            println!("Operator token (platform API, Authorization: Bearer …):\n  {}", state.operator_token);
            println!();
            for (label, a) in [("Subscription account (individual)", &demo.subscription), ("Service account (organisation, verified)", &demo.service)] {
                println!("{label}: {}\n  AppID:     {}\n  AppSecret: {}", a.name, a.appid, a.app_secret);
            }
            if let Some(mp) = &demo.miniprogram {
                println!("Mini program (Acme's, released; the service account's menu opens it): {}\n  AppID:     {}\n  AppSecret: {}", mp.name, mp.appid, mp.app_secret);
                println!("  open it: {base}/mp/{}/pages/index/index   (upload yours: herald mp upload DIR --appid APPID --version 1.0.1 --release)", mp.appid);
            }
            println!();
            println!("Users following both: {}", demo.users.iter().map(|u| format!("{} ({})", u.nickname, u.id)).collect::<Vec<_>>().join(", "));
            println!();
            println!("The Herald app: open {base}/ and sign in as {} with the password {}", demo.users.iter().map(|u| u.nickname.to_lowercase()).collect::<Vec<_>>().join(", "), herald_server::demo::DEMO_PASSWORD);
            let [sub_owner, svc_owner] = herald_server::demo::DEMO_OWNER_EMAILS;
            println!(
                "The console: open {base}/console and sign in as {svc_owner} (Acme Bank's owner), {} (Acme's customer service agent) or {sub_owner} (Li Wei's Notes' owner) with the password {}",
                herald_server::demo::DEMO_AGENT_EMAIL,
                herald_server::demo::DEMO_PASSWORD
            );
            println!();
            println!("Try:");
            println!("  curl '{base}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}'", demo.service.appid, demo.service.app_secret);
            println!("  curl -H 'Authorization: Bearer {}' {base}/herald/v1/accounts", state.operator_token);
            println!("  curl -H 'Authorization: Bearer {}' -d '{{\"advance\": 172800}}' {base}/herald/v1/clock", state.operator_token);
            println!("  curl -H 'Authorization: Bearer {}' -d '{{}}' {base}/herald/v1/users/{}/signin_links   # sign Alice in to Herald's pages", state.operator_token, demo.users[0].id);
            println!("  curl -H 'Authorization: Bearer {}' {base}/herald/v1/accounts/{}/qrcode   # the service account's QR code", state.operator_token, demo.service.appid);
            println!("The service account has a menu, and web OAuth redirects to 127.0.0.1 (any port).");
            println!("SDKs: point wechatpy's WeChatClient.API_BASE_URL at {base}/cgi-bin/ (see README).");
            println!("Press Ctrl-C to stop.");
            herald_server::serve(state, listeners, shutdown_signal()).await?;
            if let Some(p) = scratch {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
                let _ = std::fs::remove_dir_all(format!("{}-blobs", p.display()));
            }
        }
    }
    Ok(())
}

/// A seed file, by its extension: `.toml`, or YAML otherwise.
fn read_seed(path: &std::path::Path) -> anyhow::Result<herald_server::seedfile::SeedFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "toml") {
        Figment::from(Toml::string(&text)).extract().with_context(|| format!("{} is not a seed file", path.display()))
    } else {
        serde_yaml::from_str(&text).with_context(|| format!("{} is not a seed file", path.display()))
    }
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
