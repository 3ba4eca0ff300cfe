//! Mini-program packages: the files of a package (read from a zip or given one by one), and
//! their compilation with the WeChat team's own compilers: WXML to JavaScript with
//! `glass-easel-template-compiler`, WXSS to CSS (`rpx` included) with
//! `glass-easel-stylesheet-compiler`. What comes out is what the runtime in the follower app
//! loads with `glass-easel-miniprogram-adapter`: one object of template groups, a CSS text and
//! style scope per component, each component's static config (its `.json`), and the scripts.
//!
//! Pure: no I/O but reading the bytes it is handed.

use std::collections::BTreeMap;
use std::io::Read;

mod builtins;
pub use builtins::BUILTINS;

/// Where the built-in components live in a compiled package.
pub const BUILTIN_PREFIX: &str = "herald-builtin/";

use glass_easel_stylesheet_compiler::{StyleSheetOptions, StyleSheetTransformer};
use glass_easel_template_compiler::TmplGroup;
use serde::Serialize;
use serde_json::{json, Value};

/// A package may hold at most this many files and bytes (WeChat's main package is 2 MB; with
/// npm component libraries a test package is larger).
pub const MAX_FILES: usize = 4000;
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A problem found in a package, at a file's line and column (1-based; 0 when not known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    fn at(file: &str, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_string(), line: 0, column: 0, message: message.into() }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// The files of a package, by path relative to its root (forward slashes, no leading `/`).
pub type Files = BTreeMap<String, Vec<u8>>;

/// A path inside a package: relative, forward slashes, no `..`, no empty or hidden parts.
pub fn clean_path(p: &str) -> Option<String> {
    let p = p.replace('\\', "/");
    let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    if parts.is_empty() || parts.iter().any(|s| *s == ".." || s.starts_with('.') && *s != ".wxs") || p.len() > 512 {
        return None;
    }
    Some(parts.join("/"))
}

/// Reads a zip archive of a package. A single top-level folder holding `app.json` is taken as
/// the root. Hidden files and folders (`.git`, `.DS_Store`) are skipped.
pub fn read_zip(bytes: &[u8]) -> Result<Files, Diagnostic> {
    let bad = |m: String| Diagnostic::at("(zip)", m);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    if z.len() > MAX_FILES {
        return Err(bad(format!("more than {MAX_FILES} files")));
    }
    let mut files = Files::new();
    let mut total = 0usize;
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| bad(e.to_string()))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        if name.split('/').any(|s| s.starts_with('.')) || name.starts_with("__MACOSX/") {
            continue;
        }
        let Some(path) = clean_path(&name) else { return Err(bad(format!("a file path leaves the package: {name}"))) };
        let mut buf = Vec::new();
        (&mut f).take((MAX_BYTES - total + 1) as u64).read_to_end(&mut buf).map_err(|e| bad(e.to_string()))?;
        total += buf.len();
        if total > MAX_BYTES {
            return Err(bad(format!("more than {MAX_BYTES} bytes unpacked")));
        }
        files.insert(path, buf);
    }
    // One folder around everything: its content is the package.
    if !files.contains_key("app.json") {
        let firsts: std::collections::BTreeSet<&str> = files.keys().filter_map(|k| k.split_once('/').map(|(a, _)| a)).collect();
        if firsts.len() == 1 && files.keys().all(|k| k.contains('/')) {
            let top = format!("{}/", firsts.iter().next().copied().unwrap_or_default());
            files = files.into_iter().map(|(k, v)| (k[top.len()..].to_string(), v)).collect();
        }
    }
    Ok(files)
}

/// Packs files into a zip (deflated), as `read_zip` reads them back.
pub fn write_zip(files: &Files) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (k, v) in files {
            z.start_file(k.as_str(), opts).map_err(std::io::Error::other)?;
            z.write_all(v)?;
        }
        z.finish().map_err(std::io::Error::other)?;
    }
    Ok(buf.into_inner())
}

/// Reads a package directory: every file under it but hidden ones (`.git`, `.DS_Store`) and
/// `node_modules` (npm components are built into `miniprogram_npm`, as WeChat's tools do).
pub fn read_dir(root: &std::path::Path) -> std::io::Result<Files> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, files: &mut Files, total: &mut usize) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            let p = e.path();
            if e.file_type()?.is_dir() {
                walk(root, &p, files, total)?;
            } else if let Some(rel) = p.strip_prefix(root).ok().and_then(|r| clean_path(&r.to_string_lossy())) {
                let bytes = std::fs::read(&p)?;
                *total += bytes.len();
                if files.len() >= MAX_FILES || *total > MAX_BYTES {
                    return Err(std::io::Error::other(format!("the package is larger than {MAX_FILES} files or {MAX_BYTES} bytes")));
                }
                files.insert(rel, bytes);
            }
        }
        Ok(())
    }
    let mut files = Files::new();
    walk(root, root, &mut files, &mut 0)?;
    Ok(files)
}

/// A component (or page) of the package: its path without extension and its static config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub path: String,
    pub config: Value,
    /// The style scope name when its styles are isolated (components by default).
    pub scope: Option<String>,
    pub has_style: bool,
}

/// A compiled package, as the runtime loads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compiled {
    pub app: Value,
    /// Pages in `app.json` order (subpackages' pages included, prefixed with their root).
    pub pages: Vec<String>,
    pub components: Vec<Component>,
    /// JavaScript: an expression, the template groups object `glass-easel` takes.
    pub templates: String,
    /// CSS by component path (`app` for app.wxss).
    pub styles: BTreeMap<String, String>,
    /// Every `.js` file's source, by path without extension.
    pub scripts: BTreeMap<String, String>,
    /// Warnings that did not stop the compilation.
    pub warnings: Vec<Diagnostic>,
}

fn text<'a>(files: &'a Files, path: &str) -> Result<&'a str, Diagnostic> {
    let b = files.get(path).ok_or_else(|| Diagnostic::at(path, "missing"))?;
    std::str::from_utf8(b).map_err(|_| Diagnostic::at(path, "not UTF-8 text"))
}

fn json_of(files: &Files, path: &str) -> Result<Value, Diagnostic> {
    let t = text(files, path)?;
    serde_json::from_str(t).map_err(|e| Diagnostic { file: path.into(), line: e.line() as u32, column: e.column() as u32, message: format!("invalid JSON: {e}") })
}

/// `A`, `B`, … `Z`, `a`, … `z`, `BA`…: the style scope names, as the webpack plugin makes them.
fn scope_name(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        let d = n % 52;
        s.push(if d >= 26 { (b'a' + (d - 26) as u8) as char } else { (b'A' + d as u8) as char });
        n /= 52;
        if n == 0 {
            return s;
        }
    }
}

/// Event bindings written without a colon (`bindtap`, `catchtouchstart`, `capture-bindtap`,
/// `mut-bindinput`), as WeChat takes them everywhere, become the colon form (`bind:tap`) the
/// template compiler reads as bindings (it would keep `bindtap` on a plain element as an
/// attribute). WeChat's `aria-role` becomes `role`. Only attribute names inside tags change.
pub fn wxml_source(src: &str) -> String {
    const PREFIXES: &[&str] = &["capture-mut-bind", "capture-catch", "capture-bind", "mut-bind", "catch", "bind"];
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 32);
    let (mut i, mut last) = (0usize, 0usize);
    while i < b.len() {
        if b[i] == b'<' && b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            // Inside a tag until an unquoted '>'.
            let mut j = i + 1;
            let mut quote: Option<u8> = None;
            while j < b.len() {
                let c = b[j];
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'"' || c == b'\'' => quote = Some(c),
                    None if c == b'>' => break,
                    None if c.is_ascii_whitespace() => {
                        let rest = &src[j + 1..];
                        if rest.starts_with("aria-role=") {
                            // WeChat's aria-role is the element's role.
                            out.push_str(&src[last..j + 1]);
                            out.push_str("role");
                            last = j + 1 + "aria-role".len();
                            j += "aria-role".len();
                        } else if let Some(p) = PREFIXES.iter().find(|p| rest.starts_with(**p) && rest.as_bytes().get(p.len()).is_some_and(|c| c.is_ascii_alphabetic())) {
                            out.push_str(&src[last..j + 1 + p.len()]);
                            out.push(':');
                            last = j + 1 + p.len();
                            j += p.len();
                        }
                    }
                    None => {}
                }
                j += 1;
            }
            i = j;
        }
        i += 1;
    }
    out.push_str(&src[last..]);
    out
}

/// WXS, the template script language, is JavaScript but for a few names: `x.constructor` is the
/// type's name as a string (`'Array'`, `'Object'`, …), which component libraries test. The
/// compilers pass WXS through as JavaScript, so the property is renamed to one the runtime
/// defines with WXS's meaning (`__wxsConstructor`), leaving JavaScript's own untouched.
pub fn wxs_source(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut rest = src;
    while let Some(i) = rest.find(".constructor") {
        let after = &rest[i + ".constructor".len()..];
        let whole = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        out.push_str(&rest[..i]);
        out.push_str(if whole { ".__wxsConstructor" } else { ".constructor" });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A stylesheet with its `@import "…";` rules replaced by the files they name (relative to the
/// importing file, or from the package root with a leading `/`), as WeChat's build does; each
/// file once per stylesheet. An import of a file the package lacks is an error.
pub fn inline_imports(files: &Files, path: &str, css: &str, seen: &mut Vec<String>, errors: &mut Vec<Diagnostic>) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    let mut line = 1u32;
    while let Some(i) = rest.find("@import") {
        out.push_str(&rest[..i]);
        line += rest[..i].matches('\n').count() as u32;
        let after = &rest[i + "@import".len()..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let arg = after[..end].trim();
        rest = &after[end + 1..];
        let arg = arg.strip_prefix("url(").and_then(|x| x.strip_suffix(')')).unwrap_or(arg);
        let target = arg.trim().trim_matches(|c| c == '"' || c == '\'');
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        let joined = if let Some(abs) = target.strip_prefix('/') { abs.to_string() } else { format!("{dir}/{target}") };
        let resolved = normalize_path(&joined);
        let resolved = if resolved.ends_with(".wxss") || resolved.ends_with(".css") { resolved } else { format!("{resolved}.wxss") };
        if seen.contains(&resolved) || seen.len() > 64 {
            continue;
        }
        match files.get(&resolved).and_then(|b| std::str::from_utf8(b).ok()) {
            Some(inner) => {
                seen.push(resolved.clone());
                out.push_str(&inline_imports(files, &resolved, inner, seen, errors));
                out.push('\n');
            }
            None => errors.push(Diagnostic { file: path.to_string(), line, column: 1, message: format!("@import of {target}: {resolved} is not in the package") }),
        }
    }
    out.push_str(rest);
    out
}

fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    out.join("/")
}

/// Resolves a `usingComponents` path as WeChat does: relative to the using component, from the
/// package root with a leading `/`, else an npm package under `miniprogram_npm/`.
pub fn resolve_component(from: &str, target: &str, files: &Files) -> String {
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if let Some(abs) = target.strip_prefix('/') {
        abs.to_string()
    } else if target.starts_with("./") || target.starts_with("../") {
        format!("{dir}/{target}")
    } else if files.contains_key(&format!("{target}.json")) || files.contains_key(&format!("{target}.js")) {
        target.to_string()
    } else {
        let direct = format!("miniprogram_npm/{target}");
        if files.contains_key(&format!("{direct}.json")) {
            direct
        } else {
            format!("{direct}/index")
        }
    };
    normalize_path(&joined)
}

/// Compiles a package. Errors (a missing `app.json` or page file, invalid JSON, WXML or WXSS
/// the compilers refuse) are all collected, each with its file, line and column.
pub fn compile(files: &Files) -> Result<Compiled, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let app = match json_of(files, "app.json") {
        Ok(a) => a,
        Err(e) => return Err(vec![e]),
    };
    let mut pages: Vec<String> = app["pages"].as_array().map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect()).unwrap_or_default();
    if pages.is_empty() {
        return Err(vec![Diagnostic::at("app.json", "pages must list at least one page")]);
    }
    for sub in app["subpackages"].as_array().or_else(|| app["subPackages"].as_array()).into_iter().flatten() {
        let root = sub["root"].as_str().unwrap_or("").trim_matches('/');
        for p in sub["pages"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            pages.push(format!("{root}/{p}"));
        }
    }
    let global_using = app["usingComponents"].as_object().cloned().unwrap_or_default();

    // Components: every page, and everything a component's usingComponents reaches.
    let mut components: BTreeMap<String, Component> = BTreeMap::new();
    let mut queue: Vec<(String, bool)> = pages.iter().map(|p| (p.clone(), false)).collect();
    for (_, target) in &global_using {
        if let Some(t) = target.as_str() {
            queue.push((resolve_component("app", t, files), true));
        }
    }
    while let Some((path, is_component)) = queue.pop() {
        if components.contains_key(&path) {
            continue;
        }
        let mut config = if files.contains_key(&format!("{path}.json")) {
            match json_of(files, &format!("{path}.json")) {
                Ok(c) => c,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        } else {
            json!({})
        };
        if !files.contains_key(&format!("{path}.wxml")) {
            errors.push(Diagnostic::at(&format!("{path}.wxml"), if is_component { "a component's template is missing" } else { "a page's template is missing" }));
            continue;
        }
        // Resolve usingComponents to package paths, global ones first.
        let mut using = serde_json::Map::new();
        for (tag, target) in global_using.iter().chain(config["usingComponents"].as_object().into_iter().flatten()) {
            if let Some(t) = target.as_str() {
                let resolved = if global_using.get(tag) == Some(target) { resolve_component("app", t, files) } else { resolve_component(&path, t, files) };
                if !files.contains_key(&format!("{resolved}.wxml")) {
                    errors.push(Diagnostic::at(&format!("{path}.json"), format!("usingComponents.{tag}: {t} is not a component of the package ({resolved}.wxml is missing)")));
                    continue;
                }
                queue.push((resolved.clone(), true));
                using.insert(tag.clone(), json!(format!("/{resolved}")));
            }
        }
        for (tag, _, _) in BUILTINS {
            if !using.contains_key(*tag) {
                using.insert(tag.to_string(), json!(format!("/{BUILTIN_PREFIX}{tag}")));
            }
        }
        config["usingComponents"] = Value::Object(using);
        let component = config["component"].as_bool().unwrap_or(is_component);
        let isolated = match config["styleIsolation"].as_str() {
            Some(s) => s != "shared" && s != "page-shared",
            None => component,
        };
        let has_style = files.contains_key(&format!("{path}.wxss"));
        components.insert(path.clone(), Component { path: path.clone(), config, scope: isolated.then(String::new), has_style });
    }
    for (tag, _, _) in BUILTINS {
        let path = format!("{BUILTIN_PREFIX}{tag}");
        components.insert(path.clone(), Component { path, config: json!({"component": true, "styleIsolation": "shared", "usingComponents": {}}), scope: None, has_style: false });
    }
    for (i, c) in components.values_mut().enumerate() {
        if c.scope.is_some() {
            c.scope = Some(scope_name(i));
        }
    }

    // Templates: every .wxml (imports and includes reach templates that are not components),
    // and every .wxs module.
    let mut group = TmplGroup::new();
    for (path, _) in files.iter().filter(|(p, _)| p.ends_with(".wxml")) {
        let src = match text(files, path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let src = wxml_source(src);
        for w in group.add_tmpl(&path[..path.len() - 5], &src) {
            let d = Diagnostic {
                file: path.clone(),
                line: w.location.start.line + 1,
                column: w.location.start.utf16_col + 1,
                message: w.kind.to_string(),
            };
            if w.prevent_success() {
                errors.push(d);
            } else {
                warnings.push(d);
            }
        }
    }
    for (tag, wxml, _) in BUILTINS {
        for w in group.add_tmpl(&format!("{BUILTIN_PREFIX}{tag}"), wxml) {
            errors.push(Diagnostic::at(&format!("{BUILTIN_PREFIX}{tag}.wxml"), w.kind.to_string()));
        }
    }
    for (path, _) in files.iter().filter(|(p, _)| p.ends_with(".wxs")) {
        match text(files, path) {
            Ok(s) => {
                let s = wxs_source(s);
                group.add_script(&path[..path.len() - 4], &s);
                group.add_script(path, &s);
            }
            Err(e) => errors.push(e),
        }
    }
    // Inline <wxs> modules of every template, the same way.
    let wxml_paths: Vec<String> = files.keys().filter(|p| p.ends_with(".wxml")).map(|p| p[..p.len() - 5].to_string()).collect();
    for path in &wxml_paths {
        let modules: Vec<String> = match group.inline_script_module_names(path) {
            Ok(m) => m.map(str::to_string).collect(),
            Err(_) => continue,
        };
        for m in modules {
            if let Ok(src) = group.inline_script_content(path, &m) {
                let fixed = wxs_source(src);
                let _ = group.set_inline_script_content(path, &m, &fixed);
            }
        }
    }
    let templates = match group.get_tmpl_gen_object_groups() {
        Ok(t) => t,
        Err(e) => {
            errors.push(Diagnostic::at("(templates)", e.to_string()));
            String::new()
        }
    };

    // Styles: app.wxss shared, each component's scoped by its name.
    let mut styles = BTreeMap::new();
    let mut style = |key: &str, file: &str, scope: Option<&str>, errors: &mut Vec<Diagnostic>, warnings: &mut Vec<Diagnostic>| {
        let Ok(raw) = text(files, file) else {
            errors.push(Diagnostic::at(file, "not UTF-8 text"));
            return;
        };
        let css = inline_imports(files, file, raw, &mut vec![file.to_string()], errors);
        let css = css.as_str();
        let options = StyleSheetOptions { class_prefix: scope.map(str::to_string), rpx_ratio: 750., ..StyleSheetOptions::default() };
        let mut t = StyleSheetTransformer::from_css(file, css, options);
        for w in t.take_warnings() {
            let (line, col) = (w.location.start.line + 1, w.location.start.utf16_col + 1);
            let d = Diagnostic { file: file.to_string(), line, column: col, message: w.kind.to_string() };
            if w.prevent_success() {
                errors.push(d);
            } else {
                warnings.push(d);
            }
        }
        let mut out = String::new();
        if t.output().write_str(&mut out).is_ok() {
            styles.insert(key.to_string(), out);
        }
    };
    if files.contains_key("app.wxss") {
        style("app", "app.wxss", None, &mut errors, &mut warnings);
    }
    for c in components.values().filter(|c| c.has_style) {
        style(&c.path, &format!("{}.wxss", c.path), c.scope.as_deref(), &mut errors, &mut warnings);
    }

    // Scripts.
    let mut scripts = BTreeMap::new();
    for (path, _) in files.iter().filter(|(p, _)| p.ends_with(".js")) {
        match text(files, path) {
            Ok(s) => {
                scripts.insert(path[..path.len() - 3].to_string(), s.to_string());
            }
            Err(e) => errors.push(e),
        }
    }
    for (tag, _, js) in BUILTINS {
        scripts.insert(format!("{BUILTIN_PREFIX}{tag}"), js.to_string());
    }
    if !scripts.contains_key("app") {
        errors.push(Diagnostic::at("app.js", "missing"));
    }
    for p in &pages {
        if !scripts.contains_key(p) {
            errors.push(Diagnostic::at(&format!("{p}.js"), "a page's script is missing"));
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        errors.dedup();
        return Err(errors);
    }
    Ok(Compiled { app, pages, components: components.into_values().collect(), templates, styles, scripts, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(entries: &[(&str, &str)]) -> Files {
        entries.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect()
    }

    fn sample() -> Files {
        pkg(&[
            ("app.json", r#"{"pages": ["pages/index/index", "pages/about/about"], "window": {"navigationBarTitleText": "Demo"}}"#),
            ("app.js", "App({})"),
            ("app.wxss", ".page { padding: 20rpx; }"),
            ("pages/index/index.json", r#"{"usingComponents": {"card": "../../components/card/card"}}"#),
            ("pages/index/index.wxml", r#"<view class="page"><card title="{{title}}" /><text>{{count}}</text></view>"#),
            ("pages/index/index.js", "Page({data: {title: 'Hi', count: 1}})"),
            ("pages/about/about.wxml", "<view>About</view>"),
            ("pages/about/about.js", "Page({})"),
            ("components/card/card.json", r#"{"component": true}"#),
            ("components/card/card.wxml", "<view class=\"card\">{{title}}</view>"),
            ("components/card/card.wxss", ".card { width: 375rpx; }"),
            ("components/card/card.js", "Component({properties: {title: String}})"),
        ])
    }

    #[test]
    fn a_package_compiles_to_templates_styles_and_scripts() {
        let c = compile(&sample()).unwrap();
        assert_eq!(c.pages, ["pages/index/index", "pages/about/about"]);
        let own: Vec<&Component> = c.components.iter().filter(|c| !c.path.starts_with(BUILTIN_PREFIX)).collect();
        let paths: Vec<&str> = own.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["components/card/card", "pages/about/about", "pages/index/index"]);
        let card = own[0];
        assert!(card.scope.is_some(), "components' styles are isolated");
        assert!(own[2].scope.is_none(), "pages' are not");
        assert_eq!(own[2].config["usingComponents"]["card"], "/components/card/card");
        // Every page may use the built-ins, and its own components win over them.
        assert_eq!(own[2].config["usingComponents"]["button"], "/herald-builtin/button");
        assert!(c.components.iter().any(|c| c.path == "herald-builtin/input"));
        // The compiled templates are JavaScript naming each template; rpx became relative units.
        assert!(c.templates.contains("pages/index/index") && c.templates.contains("components/card/card"), "{}", c.templates);
        let card_css = &c.styles["components/card/card"];
        assert!(!card_css.contains("rpx") && card_css.contains(card.scope.as_deref().unwrap()), "{card_css}");
        assert_eq!(c.scripts["app"], "App({})");
    }

    #[test]
    fn errors_name_their_file_line_and_column() {
        let mut files = sample();
        files.insert("pages/about/about.wxml".into(), b"<view>\n  <text>{{ a + </text>\n</view>".to_vec());
        files.insert("components/card/card.json".into(), b"{\"component\": tru}".to_vec());
        files.remove("pages/about/about.js");
        let errs = compile(&files).unwrap_err();
        let at: Vec<(String, u32)> = errs.iter().map(|e| (e.file.clone(), e.line)).collect();
        assert!(at.contains(&("pages/about/about.wxml".into(), 2)), "{errs:?}");
        assert!(at.contains(&("components/card/card.json".into(), 1)), "{errs:?}");
        assert!(errs.iter().any(|e| e.file == "pages/about/about.js"), "{errs:?}");
        assert_eq!(compile(&pkg(&[("app.js", "")])).unwrap_err()[0].file, "app.json");
    }

    #[test]
    fn wxs_constructor_names_the_type() {
        assert_eq!(wxs_source("a.constructor === 'Array' && b.constructorX"), "a.__wxsConstructor === 'Array' && b.constructorX");
        let mut files = sample();
        files.insert("pages/about/about.wxml".into(), b"<wxs module=\"m\">module.exports = { t: function (x) { return x.constructor } }</wxs><view>{{ m.t(list) }}</view>".to_vec());
        files.insert("utils/u.wxs".into(), b"module.exports = function (x) { return x.constructor === 'Object' }".to_vec());
        let c = compile(&files).unwrap();
        assert!(c.templates.contains("__wxsConstructor") && !c.templates.contains(".constructor"), "{}", c.templates);
    }

    #[test]
    fn event_bindings_take_their_colon() {
        assert_eq!(
            wxml_source(r#"<view bindtap="a" catch:touchstart="b" capture-bindtap="c" data-bindx="d" class="bindtap">bindtap="e"</view><input mut-bindinput='f'/>"#),
            r#"<view bind:tap="a" catch:touchstart="b" capture-bind:tap="c" data-bindx="d" class="bindtap">bindtap="e"</view><input mut-bind:input='f'/>"#
        );
        assert_eq!(wxml_source("{{ a < b }} <text>x</text>"), "{{ a < b }} <text>x</text>");
        assert_eq!(wxml_source(r#"<view aria-role="button" aria-label="Go">x</view>"#), r#"<view role="button" aria-label="Go">x</view>"#);
    }

    #[test]
    fn imports_are_inlined() {
        let mut files = sample();
        files.insert("styles/base.wxss".into(), b"@import './colors';\n.base { color: red; }\n".to_vec());
        files.insert("styles/colors.wxss".into(), b".green { color: green; }\n".to_vec());
        files.insert("app.wxss".into(), b"@import \"/styles/base.wxss\";\n.page { margin: 10rpx; }\n".to_vec());
        let c = compile(&files).unwrap();
        let app = &c.styles["app"];
        assert!(app.contains(".green") && app.contains(".base") && app.contains(".page") && !app.contains("@import"), "{app}");
        files.insert("app.wxss".into(), b"@import 'nope.wxss';\n".to_vec());
        let errs = compile(&files).unwrap_err();
        assert_eq!((errs[0].file.as_str(), errs[0].line), ("app.wxss", 1), "{errs:?}");
    }

    #[test]
    fn npm_components_resolve_under_miniprogram_npm() {
        let files = pkg(&[("miniprogram_npm/@vant/weapp/button/index.json", "{}"), ("x/y.json", "{}")]);
        assert_eq!(resolve_component("pages/a/a", "@vant/weapp/button/index", &files), "miniprogram_npm/@vant/weapp/button/index");
        assert_eq!(resolve_component("pages/a/a", "../../x/y", &files), "x/y");
        assert_eq!(resolve_component("pages/a/a", "/x/y", &files), "x/y");
        assert_eq!(clean_path("a/../b"), None);
        assert_eq!(clean_path("./a//b.js"), Some("a/b.js".into()));
    }

    #[test]
    fn a_zip_with_one_folder_around_it() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            for (k, v) in sample() {
                z.start_file(format!("demo/{k}"), opts).unwrap();
                z.write_all(&v).unwrap();
            }
            z.start_file("demo/.DS_Store", opts).unwrap();
            z.finish().unwrap();
        }
        let files = read_zip(buf.get_ref()).unwrap();
        assert!(files.contains_key("app.json") && !files.keys().any(|k| k.contains("DS_Store")), "{:?}", files.keys());
        assert!(read_zip(b"not a zip").is_err());
    }
}
