//! Builds the web app (`web/`, Vite) into `web/dist`, which `lib.rs` embeds. It runs again
//! only when the app's sources, its lock file or its build settings change. With
//! `HERALD_SKIP_WEB=1` (or when Node.js is missing and `web/dist` already exists) it builds
//! nothing; with no Node.js and no `web/dist` it fails and says what to install.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let web = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../web");
    for p in ["src", "public", "index.html", "mp.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"] {
        println!("cargo:rerun-if-changed={}", web.join(p).display());
    }
    // The API's TypeScript types (web/src/api-schema.d.ts) are checked against the document.
    println!("cargo:rerun-if-changed={}", web.join("../docs/openapi.yaml").display());
    println!("cargo:rerun-if-env-changed=HERALD_SKIP_WEB");
    let dist = web.join("dist");
    if std::env::var_os("HERALD_SKIP_WEB").is_some_and(|v| v != "0") {
        placeholder(&dist);
        return;
    }
    let node = Command::new("node").arg("--version").output();
    if node.is_err() || !node.as_ref().unwrap().status.success() {
        if dist.join("index.html").exists() {
            println!("cargo:warning=Node.js not found: embedding the web app already built in web/dist");
            return;
        }
        panic!(
            "Herald's web app (web/) is built with Node.js 20 or later, which was not found. \
             Install Node.js and npm (e.g. `apt-get install nodejs npm`), or set HERALD_SKIP_WEB=1 to build Herald without its web app."
        );
    }
    let npm = |args: &[&str]| {
        let status = Command::new("npm").args(args).current_dir(&web).status().unwrap_or_else(|e| panic!("running npm {args:?} in web/: {e}"));
        assert!(
            status.success(),
            "npm {args:?} in web/ failed (when it says the generated types are not up to date, docs/openapi.yaml changed: run `npm run schema` in web/)"
        );
    };
    let installed = web.join("node_modules/.package-lock.json");
    let lock = web.join("package-lock.json");
    if !installed.exists() || modified(&lock) > modified(&installed) {
        npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&["run", "build", "--silent"]);
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// A page saying the web app was not built, so the server still serves something at `/`.
fn placeholder(dist: &Path) {
    if dist.join("index.html").exists() {
        return;
    }
    std::fs::create_dir_all(dist).expect("creating web/dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Herald</title>\
         <main><h1>Herald</h1><p>This build has no web app: it was built with HERALD_SKIP_WEB set. \
         Rebuild with Node.js installed to get it.</p></main></html>",
    )
    .expect("writing web/dist/index.html");
}
