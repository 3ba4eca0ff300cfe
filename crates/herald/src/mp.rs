//! `herald mp …`: mini-program packages in a running Herald (upload a directory, serve a version
//! on a channel, roll release back, list versions), through the platform API.

use anyhow::Context;
use clap::Subcommand;
use serde_json::{json, Value};

use crate::triggers::{Api, Target};

#[derive(Subcommand)]
pub enum MpCmd {
    /// Compile and upload the package in DIR as VERSION (served on the develop channel; with
    /// --release on release too). Compile errors are printed with their file, line and column.
    Upload {
        dir: std::path::PathBuf,
        #[arg(long)]
        appid: String,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        release: bool,
    },
    /// Serve VERSION on a channel (release by default; trial or develop).
    Release {
        #[arg(long)]
        appid: String,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "release")]
        channel: String,
    },
    /// Put release back on the version it served before.
    Rollback {
        #[arg(long)]
        appid: String,
    },
    /// The versions and what each channel serves.
    Versions {
        #[arg(long)]
        appid: String,
    },
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn run(t: &Target, cmd: MpCmd) -> anyhow::Result<Value> {
    let api = Api::new(t)?;
    match cmd {
        MpCmd::Upload { dir, appid, version, description, release } => {
            let files = herald_mp::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
            anyhow::ensure!(files.contains_key("app.json"), "{} holds no app.json: give the package's root folder", dir.display());
            let zip = herald_mp::write_zip(&files)?;
            let path = format!("/herald/v1/accounts/{}/miniprogram/versions?version={}&description={}", enc(&appid), enc(&version), enc(&description));
            let r = api
                .http
                .post(format!("{}{path}", api.base))
                .bearer_auth(&api.token)
                .header("content-type", "application/zip")
                .body(zip)
                .send()
                .await
                .with_context(|| format!("cannot reach Herald at {}", api.base))?;
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                for e in v["errors"].as_array().into_iter().flatten() {
                    eprintln!("{}:{}:{}: {}", e["file"].as_str().unwrap_or(""), e["line"], e["column"], e["message"].as_str().unwrap_or(""));
                }
                anyhow::bail!("{} {}: {}", status.as_u16(), v["code"].as_str().unwrap_or(""), v["message"].as_str().unwrap_or(""));
            }
            if release {
                api.post(&format!("/herald/v1/accounts/{}/miniprogram/channels", enc(&appid)), json!({"version": version, "channel": "release"})).await?;
            }
            Ok(v)
        }
        MpCmd::Release { appid, version, channel } => {
            api.post(&format!("/herald/v1/accounts/{}/miniprogram/channels", enc(&appid)), json!({"version": version, "channel": channel})).await
        }
        MpCmd::Rollback { appid } => api.post(&format!("/herald/v1/accounts/{}/miniprogram/rollback", enc(&appid)), json!({})).await,
        MpCmd::Versions { appid } => api.call(reqwest::Method::GET, &format!("/herald/v1/accounts/{}/miniprogram/versions", enc(&appid)), None).await,
    }
}
