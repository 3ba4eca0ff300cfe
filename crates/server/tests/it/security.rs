//! The defects a hostile test of Herald found (issue 25), each shown fixed over HTTP on every
//! backend: authored content on its own origin, cleaned; bounded bodies and XML; connections
//! that survive a refusal; signatures checked before anything is written; codes another app
//! cannot burn; sign-in redirects that stay home; limits on the clock, amounts and uploads.

use std::io::{Read, Write};
use std::time::Duration;

use herald_wire::pay::auth::{request_message, AuthHeader};
use herald_wire::pay::keys::PrivateKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, errcode, App};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A minimal PNG-looking file of `n` bytes (Herald sniffs the first bytes).
fn png_of(n: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    b.resize(n, 7);
    b
}

async fn add_material(app: &App, token: &str, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new().part("media", reqwest::multipart::Part::bytes(bytes).file_name("a.png").mime_str("image/png").unwrap());
    let r = app.http.post(app.url(&format!("/cgi-bin/material/add_material?access_token={token}&type=image"))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

const HOSTILE: &str = "<p>Hello</p><img src=x onerror=\"fetch('/pay/cashier')\"><svg onload=alert(1)></svg>\
    <iframe src=\"javascript:alert(1)\"></iframe><a href=\"javascript:alert(1)\">x</a><scr<script></script>ipt>alert(1)</script>";

#[tokio::test]
async fn articles_live_on_the_content_origin_cleaned_and_fenced() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let token = app.token(&acc).await;
        let thumb = add_material(&app, &token, png_of(100)).await;
        let draft = app
            .wx_post(
                &format!("/cgi-bin/draft/add?access_token={token}"),
                json!({"articles": [{"title": "T", "content": HOSTILE, "thumb_media_id": thumb["media_id"], "content_source_url": "https://shop.example/more"}]}),
            )
            .await;
        // Stored clean.
        let got = app.wx_post(&format!("/cgi-bin/draft/get?access_token={token}"), json!({"media_id": draft["media_id"]})).await;
        let stored = got["news_item"][0]["content"].as_str().unwrap().to_ascii_lowercase();
        for bad in ["onerror", "onload", "<svg", "<iframe", "javascript:", "<script"] {
            assert!(!stored.contains(bad), "{bad} stored: {stored}");
        }
        assert!(stored.contains("<p>hello</p>"));
        // A javascript: "read more" link is refused outright.
        let bad = app
            .wx_post(
                &format!("/cgi-bin/draft/add?access_token={token}"),
                json!({"articles": [{"title": "T", "content": "x", "thumb_media_id": thumb["media_id"], "content_source_url": "javascript:alert(1)"}]}),
            )
            .await;
        assert_eq!(errcode(&bad), 40035, "{bad}");

        // Published: the article's URL is on the content origin, and so are files.
        let publish = app.wx_post(&format!("/cgi-bin/freepublish/submit?access_token={token}"), json!({"media_id": draft["media_id"]})).await;
        let mut article_url = String::new();
        for _ in 0..100 {
            let p = app.wx_post(&format!("/cgi-bin/freepublish/get?access_token={token}"), json!({"publish_id": publish["publish_id"]})).await;
            if let Some(u) = p["article_detail"]["item"][0]["article_url"].as_str() {
                article_url = u.to_string();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let content = app._running.content_url();
        assert!(article_url.starts_with(&format!("{content}/s/")), "{article_url} is not on {content}");
        assert!(thumb["url"].as_str().unwrap().starts_with(&format!("{content}/mmbiz/")), "{thumb}");

        let page = app.http.get(&article_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("sandbox") && csp.contains(&format!("frame-ancestors {}", app.base)), "{csp}");
        assert_eq!(page.headers()["x-content-type-options"], "nosniff");
        let html = page.text().await.unwrap().to_ascii_lowercase();
        assert!(!html.contains("onerror") && !html.contains("javascript:") && html.contains("https://shop.example/more"), "{html}");

        // The app origin only redirects there; the content origin answers nothing else.
        let path = article_url.strip_prefix(&content).unwrap();
        let r = no_redirects().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(r.headers()["location"].to_str().unwrap(), article_url);
        for p in ["/herald/v1/health", "/pay/cashier?pr=x", "/herald/me", "/cgi-bin/token", "/connect/oauth2/authorize"] {
            let r = app.http.get(format!("{content}{p}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p} on the content origin");
        }
        // A file is served with the sandbox too, and never sniffed into a page.
        let file = app.http.get(thumb["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(file.headers()["x-content-type-options"], "nosniff");
        assert!(file.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    }
}

#[tokio::test]
async fn platform_pages_carry_their_policy_and_cannot_be_framed() {
    for app in apps().await {
        let user = app.user("Mei").await;
        let (_, link) = app.op("POST", &format!("/herald/v1/users/{user}/signin_links"), Some(json!({}))).await;
        let r = no_redirects().get(link["url"].as_str().unwrap()).send().await.unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        for page in ["/herald/me", "/pay/cashier?pr=nope", "/connect/oauth2/authorize?appid=wx_nope"] {
            let r = app.http.get(app.url(page)).send().await.unwrap();
            let h = r.headers();
            assert_eq!(h["x-frame-options"], "DENY", "{page}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{page}: {csp}");
        }
        // JSON answers are not sniffed either.
        let r = app.http.get(app.url("/herald/v1/health")).send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn deeply_nested_xml_is_refused_and_the_server_lives() {
    for app in apps().await {
        let body = format!("<xml>{}{}</xml>", "<a>".repeat(60_000), "</a>".repeat(60_000));
        assert!(body.len() > 350_000);
        for path in ["/mmpaymkttransfers/sendredpack", "/sandboxnew/mmpaymkttransfers/gethbinfo", "/sandboxnew/pay/getsignkey"] {
            let r = app.http.post(app.url(path)).body(body.clone()).send().await.unwrap();
            let text = r.text().await.unwrap();
            assert!(text.contains("<return_code><![CDATA[FAIL]]></return_code>") && text.contains("XML_ERROR"), "{path}: {text}");
        }
        assert_eq!(app.http.get(app.url("/herald/v1/health")).send().await.unwrap().status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn bodies_are_bounded_and_answered_in_their_apis_shape() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let token = app.token(&acc).await;
        let big = vec![b'x'; 3 << 20];
        let r = app.http.post(app.url(&format!("/cgi-bin/message/custom/send?access_token={token}"))).body(big.clone()).send().await.unwrap();
        assert_eq!(r.headers()["connection"], "close");
        assert_eq!(errcode(&r.json().await.unwrap()), 45002);
        let r = app.http.post(app.url("/herald/v1/users")).bearer_auth(crate::OPERATOR).body(big.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "payload_too_large");
        let r = app.http.post(app.url("/v3/pay/transactions/native")).body(big.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "PARAM_ERROR");
        let r = app.http.post(app.url("/mmpaymkttransfers/sendredpack")).body(big.clone()).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("PARAM_ERROR"));

        // Materials take images up to WeChat's 10 MB; past it, 40006.
        let ok = add_material(&app, &token, png_of(5 << 20)).await;
        assert!(ok["media_id"].is_string(), "a 5 MB image is a valid material: {ok}");
        let over = add_material(&app, &token, png_of((10 << 20) + 1)).await;
        assert_eq!(errcode(&over), 40006, "{over}");
        // A malformed multipart body is WeChat's 41005 in JSON, not plain text.
        let r = app
            .http
            .post(app.url(&format!("/cgi-bin/material/add_material?access_token={token}&type=image")))
            .header("content-type", "multipart/form-data")
            .body("garbage")
            .send()
            .await
            .unwrap();
        assert_eq!(errcode(&r.json().await.unwrap()), 41005);
        let r = app
            .http
            .post(app.url(&format!("/cgi-bin/media/upload?access_token={token}&type=image")))
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body("--XYZ\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\nno end")
            .send()
            .await
            .unwrap();
        assert_eq!(errcode(&r.json().await.unwrap()), 41005);
    }
}

/// Sends a request whose headers and body leave in two writes, and reads one response.
fn exchange(s: &mut std::net::TcpStream, head: &str, body: &str) -> String {
    s.write_all(head.as_bytes()).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(5));
    s.write_all(body.as_bytes()).unwrap();
    read_response(s)
}

fn read_response(s: &mut std::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            return String::from_utf8_lossy(&buf).into_owned();
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_refusal_leaves_the_connection_usable() {
    for app in apps().await {
        let addr = app.base.strip_prefix("http://").unwrap().to_string();
        let acc = app.account("service", "organisation", true).await;
        let token = app.token(&acc).await;
        let host = addr.clone();
        let token2 = token.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(&host).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let body = r#"{"touser":"o1","msgtype":"text","text":{"content":"hi"}}"#;
            for i in 0..40 {
                // A bad token (40001), an expired-looking one, a missing one: refused before
                // the handler reads the body; then a good request on the same connection.
                let bad = ["bogus", "", "ACCESS_TOKEN"][i % 3];
                let head = format!("POST /cgi-bin/message/custom/send?access_token={bad} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n", body.len());
                let r = exchange(&mut s, &head, body);
                assert!(r.starts_with("HTTP/1.1 200"), "round {i}: {r}");
                assert!(r.contains("\"errcode\":4"), "round {i}: {r}");
                assert!(!r.to_ascii_lowercase().contains("connection: close"), "round {i}: {r}");
                let head = format!("POST /cgi-bin/tags/create?access_token={token2} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n\r\n");
                let r = exchange(&mut s, &head, "{}");
                assert!(r.starts_with("HTTP/1.1 200") && r.contains("\"errcode\":"), "round {i}: the next request on the connection failed: {r:?}");
            }
        })
        .await
        .unwrap();
    }
}

fn sign_v3(key: &PrivateKey, mchid: &str, serial: &str, method: &str, target: &str, body: &str, nonce: &str) -> String {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let msg = request_message(method, target, &ts, nonce, body.as_bytes());
    AuthHeader { mchid: mchid.into(), nonce_str: nonce.into(), signature: key.sign(&msg), timestamp: ts, serial_no: serial.into() }.render()
}

#[tokio::test]
async fn pay_v3_checks_the_signature_before_it_records_a_nonce() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let (s, m) = app.op("POST", "/herald/v1/merchants", Some(json!({"name": "Shop", "appids": [acc["appid"]]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        let key = PrivateKey::from_pem(m["private_key"].as_str().unwrap()).unwrap();
        let (mchid, serial) = (m["mchid"].as_str().unwrap(), m["serial_no"].as_str().unwrap());
        let target = "/v3/pay/transactions/out-trade-no/NOPE01?mchid=".to_string() + mchid;
        let get = |auth: String| {
            let app = &app;
            let target = target.clone();
            async move { app.http.get(app.url(&target)).header("authorization", auth).header("accept", "application/json").send().await.unwrap() }
        };
        // A forged signature with a real-looking nonce is refused and burns nothing.
        let forged = sign_v3(&key, mchid, serial, "GET", "/elsewhere", "", "NONCE000000000000000000000000001");
        assert_eq!(get(forged).await.status(), StatusCode::UNAUTHORIZED);
        let real = sign_v3(&key, mchid, serial, "GET", &target, "", "NONCE000000000000000000000000001");
        let r = get(real.clone()).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "the nonce a forger used is still good: {}", r.text().await.unwrap());
        let replay = get(real).await;
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "a replay is still refused");
        // Nonces are at most 32 characters.
        let long = sign_v3(&key, mchid, serial, "GET", &target, "", &"N".repeat(33));
        let r = get(long).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("nonce_str"));
    }
}

#[tokio::test]
async fn a_code_presented_by_the_wrong_app_stays_usable_by_its_own() {
    for app in apps().await {
        let mut accounts = Vec::new();
        for _ in 0..2 {
            let a = app.account("service", "organisation", true).await;
            let (s, _) = app.op("PUT", &format!("/herald/v1/accounts/{}/web_domain", a["appid"].as_str().unwrap()), Some(json!({"domain": "shop.example"}))).await;
            assert_eq!(s, StatusCode::OK);
            accounts.push(a);
        }
        let user = app.user("Wu").await;
        let (_, link) = app.op("POST", &format!("/herald/v1/users/{user}/signin_links"), Some(json!({}))).await;
        let r = no_redirects().get(link["url"].as_str().unwrap()).send().await.unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let mut url = url::Url::parse(&app.url("/connect/oauth2/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("appid", accounts[0]["appid"].as_str().unwrap())
            .append_pair("redirect_uri", "http://shop.example/cb")
            .append_pair("response_type", "code")
            .append_pair("scope", "snsapi_base");
        let r = no_redirects().get(url.as_str()).header("cookie", &cookie).send().await.unwrap();
        let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let code = loc.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        let exchange = |a: &Value| {
            format!(
                "/sns/oauth2/access_token?appid={}&secret={}&code={code}&grant_type=authorization_code",
                a["appid"].as_str().unwrap(),
                a["app_secret"].as_str().unwrap()
            )
        };
        assert_eq!(errcode(&app.wx_get(&exchange(&accounts[1])).await), 40029, "another app's code is invalid for it");
        let t = app.wx_get(&exchange(&accounts[0])).await;
        assert!(t["access_token"].is_string(), "its own app still exchanges it: {t}");
        assert_eq!(errcode(&app.wx_get(&exchange(&accounts[0])).await), 40163);
        assert_eq!(errcode(&app.wx_get(&exchange(&accounts[1])).await), 40029, "a used code tells another app nothing");
    }
}

#[tokio::test]
async fn sign_in_goes_only_to_this_servers_paths() {
    for app in apps().await {
        let user = app.user("Zhao").await;
        for (next, want) in [("/\t/evil.example", "/"), ("/\n/x", "/"), ("//evil.example", "/"), ("/pay/cashier?pr=k", "/pay/cashier?pr=k")] {
            let (s, link) = app.op("POST", &format!("/herald/v1/users/{user}/signin_links"), Some(json!({}))).await;
            assert_eq!(s, StatusCode::CREATED);
            let mut url = url::Url::parse(link["url"].as_str().unwrap()).unwrap();
            let token = url.query_pairs().find(|(k, _)| k == "token").unwrap().1.into_owned();
            url.query_pairs_mut().clear().append_pair("token", &token).append_pair("next", next);
            let r = no_redirects().get(url.as_str()).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
            assert_eq!(r.headers()["location"], want, "{next:?}");
        }
    }
}

#[tokio::test]
async fn the_clock_and_amounts_have_limits() {
    for app in apps().await {
        app.freeze().await;
        let (_, before) = app.op("GET", "/herald/v1/clock", None).await;
        for body in [json!({"advance": 1i64 << 62}), json!({"advance": -(1i64 << 62)}), json!({"advance": i64::MAX}), json!({"set": -5}), json!({"set": 1i64 << 40})] {
            let (s, e) = app.op("POST", "/herald/v1/clock", Some(body.clone())).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
        }
        let (_, after) = app.op("GET", "/herald/v1/clock", None).await;
        assert_eq!(before["now"], after["now"], "a refused change moved nothing");
        // A merchant can still be made: its certificates' dates are sound.
        let acc = app.account("service", "organisation", true).await;
        let (s, m) = app.op("POST", "/herald/v1/merchants", Some(json!({"name": "Shop", "appids": [acc["appid"]]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        // An order of i64::MAX fen is refused.
        let key = PrivateKey::from_pem(m["private_key"].as_str().unwrap()).unwrap();
        let (mchid, serial) = (m["mchid"].as_str().unwrap(), m["serial_no"].as_str().unwrap());
        let body = json!({"appid": acc["appid"], "mchid": mchid, "description": "Gold", "out_trade_no": "BIG0000001",
                          "notify_url": "https://shop.example/notify", "amount": {"total": i64::MAX}})
        .to_string();
        let auth = sign_v3(&key, mchid, serial, "POST", "/v3/pay/transactions/native", &body, "NONCEBIG000000000000000000000001");
        let r = app.http.post(app.url("/v3/pay/transactions/native")).header("authorization", auth).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "PARAM_ERROR");
    }
}

/// A random body: bytes, broken or hostile JSON, or a multipart form gone wrong.
fn random_body(rng: &mut rand::rngs::StdRng) -> (Option<&'static str>, Vec<u8>) {
    use rand::Rng;
    fn json_value(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
        match rng.gen_range(0..9) {
            0 => Value::Null,
            1 => json!(rng.gen::<bool>()),
            2 => json!(rng.gen::<i64>()),
            3 => json!(rng.gen::<f64>() * 1e300),
            4 => json!("x".repeat(rng.gen_range(0..300))),
            5 => json!(["\u{0}", "\u{202e}", "<script>", "'; DROP TABLE users; --", "%s%n"][rng.gen_range(0..5)]),
            6 if depth < 4 => Value::Array((0..rng.gen_range(0..5)).map(|_| json_value(rng, depth + 1)).collect()),
            _ if depth < 4 => {
                let keys = ["touser", "msgtype", "text", "content", "articles", "media_id", "openid", "tagid", "button", "amount", "appid", "nickname", "url", "filter", "is_to_all"];
                Value::Object((0..rng.gen_range(0..6)).map(|_| (keys[rng.gen_range(0..keys.len())].to_string(), json_value(rng, depth + 1))).collect())
            }
            _ => json!(rng.gen::<u32>()),
        }
    }
    match rng.gen_range(0..7) {
        0 => (None, (0..rng.gen_range(0..2000)).map(|_| rng.gen()).collect()),
        1 => {
            let mut v = serde_json::to_vec(&json_value(rng, 0)).unwrap();
            v.truncate(rng.gen_range(0..=v.len()));
            (Some("application/json"), v)
        }
        2 => (Some("application/json"), format!("{}{}", "[".repeat(rng.gen_range(100..5000)), "]".repeat(rng.gen_range(0..50))).into_bytes()),
        3 => (Some("application/json"), serde_json::to_vec(&json_value(rng, 0)).unwrap()),
        4 => (Some("application/json"), format!("{{\"amount\": {}{}}}", "9".repeat(rng.gen_range(1..400)), "e99999").into_bytes()),
        5 => {
            let boundary = ["XYZ", "", "a\"b", "--"][rng.gen_range(0..4)];
            let parts = rng.gen_range(0..4);
            let mut b = String::new();
            for i in 0..parts {
                b.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"f{i}\"\r\n\r\n", ["media", "description", "", "x\"y"][rng.gen_range(0..4)]));
                b.push_str(&"\u{89}PNG".repeat(rng.gen_range(0..50)));
                b.push_str("\r\n");
            }
            if rng.gen() {
                b.push_str(&format!("--{boundary}--\r\n"));
            }
            (Some(["multipart/form-data; boundary=XYZ", "multipart/form-data", "multipart/mixed; boundary=--"][rng.gen_range(0..3)]), b.into_bytes())
        }
        _ => (Some("text/xml"), format!("<xml>{}</xml>", "<a><![CDATA[".repeat(rng.gen_range(0..50))).into_bytes()),
    }
}

/// Random bodies at every kind of endpoint that reads one: no 5xx, every answer in its API's
/// shape, and the server alive after (a seeded run, bounded in count).
#[tokio::test]
async fn random_bodies_break_no_endpoint() {
    use rand::{Rng, SeedableRng};
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let token = app.token(&acc).await;
        let user = app.user("Fuzz").await;
        let cgi = [
            "message/custom/send", "message/mass/sendall", "message/template/send", "tags/create", "tags/members/batchtagging", "user/info/batchget",
            "user/info/updateremark", "menu/create", "menu/addconditional", "qrcode/create", "draft/add", "material/add_news", "media/upload",
            "material/add_material", "media/uploadimg", "shorten/gen", "stable_token",
        ];
        let platform = [format!("/herald/v1/users/{user}/messages"), format!("/herald/v1/users/{user}/scan"), "/herald/v1/accounts".into(), "/herald/v1/clock".into(), "/herald/v1/merchants".into(), format!("/herald/v1/users/{user}/payments")];
        let mut rng = rand::rngs::StdRng::seed_from_u64(25);
        for i in 0..300 {
            let (ctype, body) = random_body(&mut rng);
            let (path, kind) = match rng.gen_range(0..4) {
                0 | 1 => (format!("/cgi-bin/{}?access_token={token}&type=image", cgi[rng.gen_range(0..cgi.len())]), "cgi"),
                2 => (platform[rng.gen_range(0..platform.len())].clone(), "platform"),
                _ => (["/v3/pay/transactions/native", "/mmpaymkttransfers/sendredpack", "/v3/refund/domestic/refunds"][rng.gen_range(0..3)].to_string(), "pay"),
            };
            let mut req = app.http.post(app.url(&path)).body(body.clone()).bearer_auth(crate::OPERATOR);
            if let Some(c) = ctype {
                req = req.header("content-type", c);
            }
            let r = req.send().await.unwrap_or_else(|e| panic!("request {i} to {path} failed: {e}"));
            let status = r.status();
            let text = r.text().await.unwrap();
            assert!(!status.is_server_error(), "request {i}: {path} answered {status}: {text}");
            match kind {
                "cgi" => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("request {i}: {path} answered no JSON: {text}"));
                    assert!(v.get("errcode").is_some() || status == StatusCode::OK, "request {i}: {path}: {text}");
                }
                "platform" if !status.is_success() => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("request {i}: {path} answered no JSON: {text}"));
                    assert!(v["code"].is_string(), "request {i}: {path}: {text}");
                }
                _ => {}
            }
        }
        assert_eq!(app.http.get(app.url("/herald/v1/health")).send().await.unwrap().status(), StatusCode::OK);
    }
}
