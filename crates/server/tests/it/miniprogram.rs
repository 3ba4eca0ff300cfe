//! Mini programs' server APIs (issue 28), on each backend: the login code and jscode2session,
//! user data sealed with the session key, phone numbers, subscribe messages and the user's
//! acceptance, wxacodes a follower scans, URL links and schemes, the content check, and which
//! token may call what.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, errcode, App};

/// A verified mini program whose owner also has a service account (so unionids are told).
async fn mini_program(app: &App) -> (Value, Value) {
    let mp = app.account("miniprogram", "organisation", true).await;
    let owner = mp["owner"]["id"].as_str().unwrap();
    let (s, svc) = app
        .op("POST", "/herald/v1/accounts", Some(json!({"name": "Sister service account", "type": "service", "owner_id": owner, "verified": true})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    (mp, svc)
}

async fn bridge(app: &App, user: &str, mp: &Value, what: &str, body: Value) -> Value {
    let (s, v) = app.op("POST", &format!("/herald/v1/users/{user}/miniprograms/{}/{what}", mp["appid"].as_str().unwrap()), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{what}: {v}");
    v
}

fn session_url(mp: &Value, secret: &str, code: &str) -> String {
    format!("/sns/jscode2session?appid={}&secret={secret}&js_code={code}&grant_type=authorization_code", mp["appid"].as_str().unwrap())
}

#[tokio::test]
async fn login_codes_session_keys_and_sealed_user_data() {
    for app in apps().await {
        app.freeze().await;
        let (mp, svc) = mini_program(&app).await;
        let secret = mp["app_secret"].as_str().unwrap();
        let user = app.user("Mini user").await;
        let code = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 32);
        // A wrong secret, an unknown code, an official account's appid: refused, code kept.
        assert_eq!(errcode(&app.wx_get(&session_url(&mp, "0123456789abcdef0123456789abcdef", &code)).await), 40125);
        assert_eq!(errcode(&app.wx_get(&session_url(&mp, secret, "nope")).await), 40029);
        let as_service = format!("/sns/jscode2session?appid={}&secret={}&js_code={code}&grant_type=authorization_code", svc["appid"].as_str().unwrap(), svc["app_secret"].as_str().unwrap());
        assert_eq!(errcode(&app.wx_get(&as_service).await), 40013);
        let s = app.wx_get(&session_url(&mp, secret, &code)).await;
        assert!(s.get("errcode").is_none(), "success carries no errcode, as WeChat's: {s}");
        let (openid, key) = (s["openid"].as_str().unwrap().to_string(), s["session_key"].as_str().unwrap().to_string());
        assert_eq!(base64_len(&key), 16);
        // The owner has another account: the unionid is told, and it is the user's unionid there.
        let svc_openid = app.follow(&user, &svc).await;
        let svc_token = app.token(&svc).await;
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={svc_token}&openid={svc_openid}")).await;
        assert_eq!(s["unionid"], info["unionid"], "{s} {info}");
        // Single use; a fresh code names the same user and key; codes die after five minutes.
        assert_eq!(errcode(&app.wx_get(&session_url(&mp, secret, &code)).await), 40163);
        let again = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        let s2 = app.wx_get(&session_url(&mp, secret, &again)).await;
        assert_eq!((s2["openid"].as_str(), s2["session_key"].as_str()), (Some(openid.as_str()), Some(key.as_str())));
        let late = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        app.advance(301).await;
        assert_eq!(errcode(&app.wx_get(&session_url(&mp, secret, &late)).await), 40029);
        let (_, sess) = app.op("GET", &format!("/herald/v1/users/{user}/miniprograms/{}/session", mp["appid"].as_str().unwrap()), None).await;
        assert_eq!(sess["valid"], true);

        // getUserProfile: rawData signed and the same profile sealed with the session key.
        let p = bridge(&app, &user, &mp, "user_profile", json!({})).await;
        let raw = p["rawData"].as_str().unwrap();
        assert_eq!(p["signature"].as_str().unwrap(), herald_wire::wxa::raw_signature(raw, &key));
        let opened: Value = serde_json::from_str(&herald_wire::wxa::open(&key, p["iv"].as_str().unwrap(), p["encryptedData"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(opened["nickName"], "Mini user");
        assert_eq!(opened["openId"], openid.as_str());
        assert_eq!(opened["unionId"], info["unionid"]);
        assert_eq!(opened["watermark"]["appid"], mp["appid"]);
        assert!(herald_wire::wxa::open(&base64_of([1u8; 16]), p["iv"].as_str().unwrap(), p["encryptedData"].as_str().unwrap()).ok().and_then(|s| serde_json::from_str::<Value>(&s).ok()).is_none());

        // Mini programs are opened, not followed; and they stay out of the directory.
        let (s, v) = app.op("POST", &format!("/herald/v1/users/{user}/follow"), Some(json!({"appid": mp["appid"]}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (_, d) = app.op("GET", &format!("/herald/v1/directory?q={}", mp["appid"].as_str().unwrap()), None).await;
        assert_eq!(d["accounts"].as_array().unwrap().len(), 0, "{d}");
    }
}

fn base64_len(s: &str) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap().len()
}

fn base64_of(b: [u8; 16]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn tokens_reach_only_their_own_kind_of_api() {
    for app in apps().await {
        let (mp, svc) = mini_program(&app).await;
        let (mt, st) = (app.token(&mp).await, app.token(&svc).await);
        // A mini program's token cannot use official-account APIs, nor an account's the mini program's.
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/user/get?access_token={mt}")).await), 48001);
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/create?access_token={mt}"), json!({"button": []})).await), 48001);
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/getwxacodeunlimit?access_token={st}"), json!({"scene": "a=1"})).await), 48001);
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/msg_sec_check?access_token={st}"), json!({"content": "hi"})).await), 48001);
        // getcallbackip is for both.
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/getcallbackip?access_token={mt}")).await), 0);
        // The content check: WeChat's documented test text is risky (v1: 87014; v2: a result).
        let risky = "特3456书yuuo莞6543李zxcz蒜7782法fgnv级";
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/msg_sec_check?access_token={mt}"), json!({"content": "hello"})).await), 0);
        let v1 = app.wx_post(&format!("/wxa/msg_sec_check?access_token={mt}"), json!({"content": risky})).await;
        assert_eq!((errcode(&v1), v1["errmsg"].as_str().unwrap().starts_with("risky content")), (87014, true));
        let user = app.user("checked").await;
        let code = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        let openid = app.wx_get(&session_url(&mp, mp["app_secret"].as_str().unwrap(), &code)).await["openid"].as_str().unwrap().to_string();
        let v2 = app.wx_post(&format!("/wxa/msg_sec_check?access_token={mt}"), json!({"content": risky, "version": 2, "scene": 2, "openid": openid})).await;
        assert_eq!((errcode(&v2), v2["result"]["suggest"].as_str()), (0, Some("risky")), "{v2}");
        let v2 = app.wx_post(&format!("/wxa/msg_sec_check?access_token={mt}"), json!({"content": "hi", "version": 2, "scene": 2, "openid": "nobody"})).await;
        assert_eq!(errcode(&v2), 40003);
    }
}

#[tokio::test]
async fn phone_numbers_by_single_use_codes() {
    for app in apps().await {
        let (mp, _) = mini_program(&app).await;
        let token = app.token(&mp).await;
        let user = app.user("phone").await;
        let shared = bridge(&app, &user, &mp, "phone_code", json!({"phone": "138 0013 8000"})).await;
        let code = shared["code"].as_str().unwrap().to_string();
        // The older way: the number sealed with the session key wx.login's code reveals.
        let login = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        let key = app.wx_get(&session_url(&mp, mp["app_secret"].as_str().unwrap(), &login)).await["session_key"].as_str().unwrap().to_string();
        let opened: Value = serde_json::from_str(&herald_wire::wxa::open(&key, shared["iv"].as_str().unwrap(), shared["encryptedData"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!((opened["purePhoneNumber"].as_str(), opened["watermark"]["appid"].as_str()), (Some("13800138000"), mp["appid"].as_str()));
        let v = app.wx_post(&format!("/wxa/business/getuserphonenumber?access_token={token}"), json!({"code": code})).await;
        assert_eq!(errcode(&v), 0, "{v}");
        assert_eq!(v["phone_info"]["purePhoneNumber"], "13800138000");
        assert_eq!(v["phone_info"]["countryCode"], "86");
        assert_eq!(v["phone_info"]["watermark"]["appid"], mp["appid"]);
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/business/getuserphonenumber?access_token={token}"), json!({"code": code})).await), 40163);
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/business/getuserphonenumber?access_token={token}"), json!({"code": "bogus"})).await), 40029);
        // A user with no phone must name one.
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{user}/miniprograms/{}/phone_code", mp["appid"].as_str().unwrap()), Some(json!({}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn subscribe_messages_need_the_users_acceptance() {
    for app in apps().await {
        let (mp, _) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        let token = app.token(&mp).await;
        let kw = app.wx_get(&format!("/wxaapi/newtmpl/getpubtemplatekeywords?access_token={token}&tid=1207")).await;
        assert_eq!(kw["data"][1]["name"], "商品名称", "{kw}");
        assert_eq!(errcode(&app.wx_post(&format!("/wxaapi/newtmpl/addtemplate?access_token={token}"), json!({"tid": "1207", "kidList": [2, 9], "sceneDesc": "发货"})).await), 200020);
        let added = app.wx_post(&format!("/wxaapi/newtmpl/addtemplate?access_token={token}"), json!({"tid": "1207", "kidList": [2, 3], "sceneDesc": "发货"})).await;
        let tid = added["priTmplId"].as_str().unwrap_or_else(|| panic!("{added}")).to_string();
        let list = app.wx_get(&format!("/wxaapi/newtmpl/gettemplate?access_token={token}")).await;
        assert_eq!(list["data"][0]["content"], "商品名称:{{thing2.DATA}}\n发货时间:{{time3.DATA}}\n", "{list}");

        let user = app.user("subscriber").await;
        let code = bridge(&app, &user, &mp, "login", json!({})).await["code"].as_str().unwrap().to_string();
        let openid = app.wx_get(&session_url(&mp, mp["app_secret"].as_str().unwrap(), &code)).await["openid"].as_str().unwrap().to_string();
        let send = |data: Value| json!({"touser": openid, "template_id": tid, "page": "pages/order/order?id=7", "data": data});
        let good = json!({"thing2": {"value": "保温杯"}, "time3": {"value": "2026-12-07 15:01"}});
        let url = format!("/cgi-bin/message/subscribe/send?access_token={token}");
        assert_eq!(errcode(&app.wx_post(&url, send(good.clone())).await), 43101, "not accepted yet");
        // The user rejects, then accepts once.
        let r = bridge(&app, &user, &mp, "subscriptions", json!({"tmplIds": [tid], "accept": []})).await;
        assert_eq!(r[&tid], "reject");
        assert_eq!(errcode(&app.wx_post(&url, send(good.clone())).await), 43101);
        let r = bridge(&app, &user, &mp, "subscriptions", json!({"tmplIds": [tid], "accept": [tid]})).await;
        assert_eq!((r[&tid].as_str(), r["errMsg"].as_str()), (Some("accept"), Some("requestSubscribeMessage:ok")));
        let bad = app.wx_post(&url, send(json!({"thing2": {"value": "保温杯"}, "time3": {"value": "soon"}}))).await;
        assert_eq!((errcode(&bad), bad["errmsg"].as_str().unwrap().starts_with("argument invalid! data.time3.value")), (47003, true), "{bad}");
        assert_eq!(errcode(&app.wx_post(&url, json!({"touser": "nobody", "template_id": tid, "data": good})).await), 40003);
        assert_eq!(errcode(&app.wx_post(&url, json!({"touser": openid, "template_id": "nope", "data": good})).await), 40037);
        let ok = app.wx_post(&url, send(good.clone())).await;
        assert_eq!(errcode(&ok), 0, "{ok}");
        // One acceptance, one message.
        assert_eq!(errcode(&app.wx_post(&url, send(good)).await), 43101);
        let (_, conv) = app.op("GET", &format!("/herald/v1/users/{user}/conversations/{appid}"), None).await;
        let m = conv["messages"].as_array().unwrap().iter().find(|m| m["msgtype"] == "subscribe").unwrap_or_else(|| panic!("{conv}")).clone();
        assert_eq!(m["body"]["title"], "订单发货通知");
        assert_eq!(m["body"]["fields"][0]["value"], "保温杯");
        assert_eq!(m["body"]["page"], "pages/order/order?id=7");
        // Unknown ids are refused without recording anything.
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{user}/miniprograms/{appid}/subscriptions"), Some(json!({"tmplIds": ["nope"], "accept": ["nope"]}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (_, shown) = app.op("GET", &format!("/herald/v1/users/{user}/miniprograms/{appid}"), None).await;
        assert_eq!((shown["templates"][0]["accepted"].as_i64(), shown["session"].as_bool()), (Some(0), Some(true)), "{shown}");
        // Deleting the template: later sends are 40037.
        assert_eq!(errcode(&app.wx_post(&format!("/wxaapi/newtmpl/deltemplate?access_token={token}"), json!({"priTmplId": tid})).await), 0);
        assert_eq!(errcode(&app.wx_post(&url, send(json!({}))).await), 40037);
    }
}

#[tokio::test]
async fn codes_links_and_schemes_open_the_mini_program() {
    for app in apps().await {
        app.freeze().await;
        let (mp, _) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        let token = app.token(&mp).await;
        let user = app.user("scanner").await;
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/getwxacodeunlimit?access_token={token}"), json!({"scene": "x".repeat(33)})).await), 40169);
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/getwxacodeunlimit?access_token={token}"), json!({"scene": "a=1", "page": "/pages/x"})).await), 41030);
        let png = app.http.post(app.url(&format!("/wxa/getwxacodeunlimit?access_token={token}"))).body(json!({"scene": "id=42&from=qr", "page": "pages/item/item", "width": 300}).to_string()).send().await.unwrap();
        assert_eq!(png.headers()["content-type"], "image/png");
        let png = png.bytes().await.unwrap();
        // The follower scans the picture: the mini program's page opens with the scene, still encoded.
        let r = app.http.post(app.url(&format!("/herald/v1/users/{user}/scan"))).bearer_auth(crate::OPERATOR).header("content-type", "image/png").body(png.to_vec()).send().await.unwrap();
        let scanned: Value = r.json().await.unwrap();
        assert_eq!((scanned["kind"].as_str(), scanned["appid"].as_str(), scanned["path"].as_str()), (Some("miniprogram"), Some(appid), Some("pages/item/item")), "{scanned}");
        assert_eq!(scanned["query"]["scene"], "id%3D42%26from%3Dqr");
        let png = app.http.post(app.url(&format!("/wxa/getwxacode?access_token={token}"))).body(json!({"path": "pages/a/a?id=3"}).to_string()).send().await.unwrap().bytes().await.unwrap();
        let r = app.http.post(app.url(&format!("/herald/v1/users/{user}/scan"))).bearer_auth(crate::OPERATOR).header("content-type", "image/png").body(png.to_vec()).send().await.unwrap();
        let scanned: Value = r.json().await.unwrap();
        assert_eq!((scanned["path"].as_str(), scanned["query"]["id"].as_str()), (Some("pages/a/a"), Some("3")), "{scanned}");

        let link = app.wx_post(&format!("/wxa/generate_urllink?access_token={token}"), json!({"path": "pages/a/a", "query": "id=5", "is_expire": true, "expire_type": 1, "expire_interval": 1})).await;
        let url = link["url_link"].as_str().unwrap_or_else(|| panic!("{link}")).to_string();
        let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = no_redirect.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"].to_str().unwrap().ends_with(&format!("/mp/{appid}/pages/a/a?id=5")), "{:?}", r.headers());
        app.advance(86_401).await;
        assert_eq!(no_redirect.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND, "expired");
        let token = app.token(&mp).await;
        let scheme = app.wx_post(&format!("/wxa/generatescheme?access_token={token}"), json!({"jump_wxa": {"path": "pages/a/a", "query": "", "env_version": "release"}})).await;
        assert!(scheme["openlink"].as_str().unwrap_or_else(|| panic!("{scheme}")).starts_with("weixin://dl/business/?t="), "{scheme}");
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/generatescheme?access_token={token}"), json!({"jump_wxa": {"path": "pages/a/a", "env_version": "beta"}})).await), 40035);
    }
}

fn package(extra: &[(&str, &str)]) -> Vec<u8> {
    let mut files = herald_mp::Files::new();
    for (k, v) in [
        ("app.json", r#"{"pages": ["pages/index/index"]}"#),
        ("app.js", "App({})"),
        ("pages/index/index.wxml", "<view>{{n}}</view>"),
        ("pages/index/index.js", "Page({data: {n: 1}})"),
        ("images/logo.png", "\u{89}PNG"),
    ]
    .iter()
    .chain(extra)
    {
        files.insert(k.to_string(), v.as_bytes().to_vec());
    }
    herald_mp::write_zip(&files).unwrap()
}

async fn upload(app: &App, appid: &str, version: &str, zip: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .http
        .post(app.url(&format!("/herald/v1/accounts/{appid}/miniprogram/versions?version={version}&description=test")))
        .bearer_auth(crate::OPERATOR)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn packages_compile_at_upload_and_channels_serve_them() {
    for app in apps().await {
        let (mp, svc) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        let (s, v) = upload(&app, appid, "1.0.0", package(&[])).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["pages"], json!(["pages/index/index"]));
        // The same version again; an official account; a package that does not compile.
        assert_eq!(upload(&app, appid, "1.0.0", package(&[])).await.0, StatusCode::CONFLICT);
        assert_eq!(upload(&app, svc["appid"].as_str().unwrap(), "1.0.0", package(&[])).await.0, StatusCode::CONFLICT);
        let (s, v) = upload(&app, appid, "1.0.1", package(&[("pages/index/index.wxml", "<view>\n<text>{{ n + </text></view>")])).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!((v["errors"][0]["file"].as_str(), v["errors"][0]["line"].as_i64()), (Some("pages/index/index.wxml"), Some(2)), "{v}");
        let (s, _) = app.op("GET", &format!("/herald/v1/accounts/{appid}/miniprogram/versions"), None).await;
        assert_eq!(s, StatusCode::OK);

        // Nothing is released yet: the follower app has no runtime to open.
        let user = app.user("opener").await;
        let (_, shown) = app.op("GET", &format!("/herald/v1/users/{user}/miniprograms/{appid}"), None).await;
        assert_eq!(shown["version"], Value::Null);
        let (_, shown) = app.op("GET", &format!("/herald/v1/users/{user}/miniprograms/{appid}?env_version=develop"), None).await;
        assert_eq!(shown["version"], "1.0.0");
        let (s, ch) = app.op("POST", &format!("/herald/v1/accounts/{appid}/miniprogram/channels"), Some(json!({"version": "1.0.0"}))).await;
        assert_eq!((s, ch["channels"]["release"]["version"].as_str()), (StatusCode::OK, Some("1.0.0")), "{ch}");
        assert_eq!(upload(&app, appid, "1.1.0", package(&[("pages/index/index.js", "Page({data: {n: 2}})")])).await.0, StatusCode::CREATED);
        app.op("POST", &format!("/herald/v1/accounts/{appid}/miniprogram/channels"), Some(json!({"version": "1.1.0", "channel": "release"}))).await;
        let (_, shown) = app.op("GET", &format!("/herald/v1/users/{user}/miniprograms/{appid}"), None).await;
        assert_eq!(shown["version"], "1.1.0");
        let runtime = shown["runtime_url"].as_str().unwrap().to_string();
        // The compiled package and its pictures are on the content origin, never its sources.
        let js = app.http.get(format!("{runtime}package.js")).send().await.unwrap();
        assert_eq!(js.headers()["access-control-allow-origin"], "*");
        let js = js.text().await.unwrap();
        assert!(js.starts_with("globalThis.__heraldMp") && js.contains("Page({data: {n: 2}})"), "{js}");
        assert_eq!(app.http.get(format!("{runtime}files/images/logo.png")).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(app.http.get(format!("{runtime}files/app.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        // Rollback once, then there is nothing earlier.
        let (s, ch) = app.op("POST", &format!("/herald/v1/accounts/{appid}/miniprogram/rollback"), None).await;
        assert_eq!((s, ch["channels"]["release"]["version"].as_str()), (StatusCode::OK, Some("1.0.0")), "{ch}");
        assert_eq!(app.op("POST", &format!("/herald/v1/accounts/{appid}/miniprogram/rollback"), None).await.0, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn storage_and_requests_for_the_runtime() {
    for app in apps().await {
        let (mp, _) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        let user = app.user("stored").await;
        let base = format!("/herald/v1/users/{user}/miniprograms/{appid}");
        let (s, _) = app.op("PUT", &format!("{base}/storage/cart"), Some(json!({"value": "[1,2,3]"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (_, got) = app.op("GET", &format!("{base}/storage"), None).await;
        assert_eq!(got["items"]["cart"], "[1,2,3]");
        let big = "x".repeat(1024 * 1024 + 1);
        assert_eq!(app.op("PUT", &format!("{base}/storage/big"), Some(json!({"value": big}))).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        app.op("PUT", &format!("{base}/storage/cart"), Some(json!({"value": null}))).await;
        let (_, got) = app.op("GET", &format!("{base}/storage"), None).await;
        assert_eq!(got["items"], json!({}));
        // Another user's storage is their own.
        let other = app.user("other").await;
        app.op("PUT", &format!("/herald/v1/users/{other}/miniprograms/{appid}/storage/k"), Some(json!({"value": "1"}))).await;
        let (_, got) = app.op("GET", &format!("{base}/storage"), None).await;
        assert_eq!(got["items"], json!({}));

        // wx.request reaches only the listed domains.
        let (_, r) = app.op("POST", &format!("{base}/request"), Some(json!({"url": format!("{}/herald/v1/health", app.base)}))).await;
        assert_eq!(r["errMsg"], "request:fail url not in domain list");
        let token = app.token(&mp).await;
        let set = app.wx_post(&format!("/wxa/modify_domain?access_token={token}"), json!({"action": "set", "requestdomain": [app.base.clone()]})).await;
        assert_eq!(set["requestdomain"], json!([app.base.clone()]), "{set}");
        let (_, r) = app.op("POST", &format!("{base}/request"), Some(json!({"url": format!("{}/herald/v1/health", app.base)}))).await;
        assert_eq!((r["statusCode"].as_i64(), r["errMsg"].as_str()), (Some(200), Some("request:ok")), "{r}");
        let (s, _) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/miniprogram/domains"), Some(json!({"requestdomain": ["ftp://nope"]}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn only_testers_open_the_trial_version() {
    for app in apps().await {
        let (mp, _) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        assert_eq!(upload(&app, appid, "2.0.0-beta", package(&[])).await.0, StatusCode::CREATED);
        app.op("POST", &format!("/herald/v1/accounts/{appid}/miniprogram/channels"), Some(json!({"version": "2.0.0-beta", "channel": "trial"}))).await;
        let user = app.user("tester").await;
        let login = format!("tester{}", crate::suffix());
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{user}/login"), Some(json!({"login": login, "password": "correct horse"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = browser.post(app.url("/herald/v1/auth/signin")).json(&json!({"login": login, "password": "correct horse"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let trial = || async { browser.get(app.url(&format!("/herald/v1/users/{user}/miniprograms/{appid}?env_version=trial"))).send().await.unwrap().json::<Value>().await.unwrap() };
        let v = trial().await;
        assert_eq!((v["version"].clone(), v["refused"].as_str()), (Value::Null, Some("not_a_tester")), "{v}");
        let token = app.token(&mp).await;
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/bind_tester?access_token={token}"), json!({"wechatid": "nobody-here"})).await), 85001);
        let bound = app.wx_post(&format!("/wxa/bind_tester?access_token={token}"), json!({"wechatid": login})).await;
        let userstr = bound["userstr"].as_str().unwrap_or_else(|| panic!("{bound}")).to_string();
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/bind_tester?access_token={token}"), json!({"wechatid": login})).await), 85004);
        assert_eq!(trial().await["version"], "2.0.0-beta");
        let members = app.wx_post(&format!("/wxa/memberauth?access_token={token}"), json!({"action": "get_experiencer"})).await;
        assert_eq!(members["members"], json!([{"userstr": userstr}]));
        let (_, listed) = app.op("GET", &format!("/herald/v1/accounts/{appid}/miniprogram/testers"), None).await;
        assert_eq!(listed["testers"][0]["user_id"], user.as_str());
        assert_eq!(errcode(&app.wx_post(&format!("/wxa/unbind_tester?access_token={token}"), json!({"userstr": userstr})).await), 0);
        assert_eq!(trial().await["refused"], "not_a_tester");
        // The released version opens for everyone.
        let released = browser.get(app.url(&format!("/herald/v1/users/{user}/miniprograms/{appid}"))).send().await.unwrap().json::<Value>().await.unwrap();
        assert_eq!(released["refused"], Value::Null);
    }
}

#[tokio::test]
async fn files_go_up_and_down_through_herald() {
    for app in apps().await {
        let (mp, svc) = mini_program(&app).await;
        let appid = mp["appid"].as_str().unwrap();
        let user = app.user("filer").await;
        let base = format!("/herald/v1/users/{user}/miniprograms/{appid}");
        let health = format!("{}/herald/v1/health", app.base);
        let (_, r) = app.op("POST", &format!("{base}/download"), Some(json!({"url": health}))).await;
        assert_eq!(r["errMsg"], "downloadFile:fail url not in domain list");
        app.op("PUT", &format!("/herald/v1/accounts/{appid}/miniprogram/domains"), Some(json!({"requestdomain": [app.base.clone()]}))).await;
        let (_, r) = app.op("POST", &format!("{base}/download"), Some(json!({"url": health}))).await;
        assert_eq!(r["statusCode"], 200, "{r}");
        use base64::Engine;
        let got = base64::engine::general_purpose::STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
        assert!(String::from_utf8_lossy(&got).contains("ok"), "{}", String::from_utf8_lossy(&got));
        // An upload as a multipart form: a picture to a service account's media/upload, which
        // parses it and answers its media_id.
        let token = app.token(&mp).await;
        let png = app.http.post(app.url(&format!("/wxa/getwxacodeunlimit?access_token={token}"))).body(json!({"scene": "x=1"}).to_string()).send().await.unwrap().bytes().await.unwrap();
        let svc_token = app.token(&svc).await;
        let (_, r) = app
            .op(
                "POST",
                &format!("{base}/upload"),
                Some(json!({
                    "url": format!("{}/cgi-bin/media/upload?access_token={svc_token}&type=image", app.base), "name": "media", "filename": "code.png",
                    "contentType": "image/png", "data": base64::engine::general_purpose::STANDARD.encode(&png), "formData": {"note": "hi"},
                })),
            )
            .await;
        assert_eq!(r["statusCode"], 200, "{r}");
        let answer: Value = serde_json::from_str(r["data"].as_str().unwrap()).unwrap();
        assert!(answer["media_id"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }
}
