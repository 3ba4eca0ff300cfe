//! The built web app (`web/dist`), embedded: in release builds the files are compiled in, so
//! one binary serves every page offline; in debug builds they are read from `web/dist` at run
//! time, so the app can be rebuilt (`npm run build` in `web/`) without recompiling Rust.

use std::borrow::Cow;

#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
struct Dist;

/// A file of the app: its bytes, content type, and whether its name is content-hashed (so it
/// may be cached for good).
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: &'static str,
    pub immutable: bool,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The file at `path` (no leading slash), if the app has it.
pub fn asset(path: &str) -> Option<Asset> {
    let f = Dist::get(path)?;
    Some(Asset { bytes: f.data, content_type: content_type(path), immutable: path.starts_with("assets/") })
}

/// The app's page, served for every route of the app.
pub fn index() -> Option<Asset> {
    asset("index.html")
}
