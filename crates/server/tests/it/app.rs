//! The follower app's server side (issue 26): sign-up and sign-in, the login rate limit,
//! sessions, who may call `/herald/v1/users/{id}/…`, the directory, the pages at `/`, and live
//! events across nodes. Every test runs on each backend.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, pg_base, start, suffix, App};

/// A browser: a cookie jar of its own.
struct Browser {
    http: reqwest::Client,
    csrf: String,
    id: String,
}

impl Browser {
    fn client() -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).build().unwrap()
    }

    async fn signup(app: &App, login: &str) -> Browser {
        let http = Self::client();
        let r = http.post(app.url("/herald/v1/auth/signup")).json(&json!({"login": login, "password": "correct horse", "nickname": login})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let me: Value = r.json().await.unwrap();
        Browser { http, csrf: me["csrf_token"].as_str().unwrap().into(), id: me["user"]["id"].as_str().unwrap().into() }
    }

    async fn call(&self, app: &App, method: &str, path: &str, body: Option<Value>, csrf: bool) -> (StatusCode, Value) {
        crate::session_call(&self.http, app, &self.csrf, method, path, body, csrf).await
    }
}

#[tokio::test]
async fn followers_sign_up_sign_in_and_hold_sessions() {
    for app in apps().await {
        app.freeze().await;
        let login = format!("mei{}", suffix());
        let first = Browser::signup(&app, &login).await;
        let (s, me) = first.call(&app, "GET", "/herald/v1/me", None, false).await;
        assert_eq!((s, me["login"].as_str()), (StatusCode::OK, Some(login.as_str())));
        assert_eq!(me["csrf_token"], first.csrf.as_str());
        // The login is taken now, whatever its case.
        let r = app.http.post(app.url("/herald/v1/auth/signup")).json(&json!({"login": login.to_uppercase(), "password": "another one"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        for bad in [json!({"login": "a", "password": "correct horse"}), json!({"login": "valid_name", "password": "short"})] {
            let r = app.http.post(app.url("/herald/v1/auth/signup")).json(&bad).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        }

        // A second browser signs in; a wrong password is 401, and after five failures even the
        // right one is refused until the window passes.
        let second = Browser::client();
        let signin = |password: &'static str| second.post(app.url("/herald/v1/auth/signin")).json(&json!({"login": login, "password": password})).send();
        assert_eq!(signin("correct horse").await.unwrap().status(), StatusCode::OK);
        let unknown = app.http.post(app.url("/herald/v1/auth/signin")).json(&json!({"login": "nobody_here", "password": "whatever1"})).send().await.unwrap();
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        for _ in 0..5 {
            assert_eq!(signin("wrong password").await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(signin("correct horse").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
        app.advance(15 * 60 + 1).await;
        assert_eq!(signin("correct horse").await.unwrap().status(), StatusCode::OK);

        // Sessions: listed, the current one marked; another ended by id; writes need the token.
        let (_, list) = first.call(&app, "GET", "/herald/v1/me/sessions", None, false).await;
        let sessions = list["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 3, "{list}");
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
        let (s, _) = first.call(&app, "DELETE", &format!("/herald/v1/me/sessions/{other}"), None, false).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");
        let (s, _) = first.call(&app, "DELETE", &format!("/herald/v1/me/sessions/{other}"), None, true).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = first.call(&app, "DELETE", "/herald/v1/me/sessions/0000000000000000", None, true).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, list) = first.call(&app, "GET", "/herald/v1/me/sessions", None, false).await;
        assert_eq!(list["sessions"].as_array().unwrap().len(), 2);

        // Signing out ends the session.
        let (s, _) = first.call(&app, "POST", "/herald/v1/auth/signout", None, true).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = first.call(&app, "GET", "/herald/v1/me", None, false).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

/// Every `/herald/v1/users/{id}/…` route, called with another user's session, learns nothing
/// and changes nothing; the user's own session works, writes only with the CSRF token.
#[tokio::test]
async fn a_session_acts_only_as_its_own_user() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let appid = acc["appid"].as_str().unwrap();
        let mallory = Browser::signup(&app, &format!("mal{}", suffix())).await;
        let alice = Browser::signup(&app, &format!("ali{}", suffix())).await;
        app.follow(&alice.id, &acc).await;
        let mut checked = 0;
        for (method, path) in herald_server::routes::ROUTES {
            let Some(rest) = path.strip_prefix("/herald/v1/users/{id}") else { continue };
            let path = format!("/herald/v1/users/{}{}", alice.id, rest.replace("{appid}", appid).replace("{send_listid}", "x").replace("{job}", "1"));
            let body = (*method != "GET").then(|| json!({"appid": appid, "msgtype": "text", "content": "hi", "amount": 100}));
            let (s, v) = mallory.call(&app, method, &path, body, true).await;
            // 404 as for a user that does not exist; 401 where only the operator may call.
            let want = if ["/signin_links", "/login"].contains(&rest) { StatusCode::UNAUTHORIZED } else { StatusCode::NOT_FOUND };
            assert_eq!(s, want, "{method} {path} with another user's session: {v}");
            let anon = app.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(&path)).send().await.unwrap();
            assert_eq!(anon.status(), StatusCode::UNAUTHORIZED, "{method} {path} with no credential");
            checked += 1;
        }
        assert!(checked >= 15, "{checked} user routes");
        // Alice herself: reads freely, writes with her token.
        let (s, chats) = alice.call(&app, "GET", &format!("/herald/v1/users/{}/chats", alice.id), None, false).await;
        assert_eq!(s, StatusCode::OK, "{chats}");
        let say = json!({"appid": appid, "msgtype": "text", "content": "hello"});
        let (s, _) = alice.call(&app, "POST", &format!("/herald/v1/users/{}/messages", alice.id), Some(say.clone()), false).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, m) = alice.call(&app, "POST", &format!("/herald/v1/users/{}/messages", alice.id), Some(say), true).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        // Mallory's attempt changed nothing: Alice's conversation holds only her own message.
        let (_, conv) = app.op("GET", &format!("/herald/v1/users/{}/conversations/{appid}", alice.id), None).await;
        let texts: Vec<&str> = conv["messages"].as_array().unwrap().iter().filter(|m| m["direction"] == "in").filter_map(|m| m["body"]["content"].as_str()).collect();
        assert_eq!(texts, ["hello"]);
        let (_, w) = app.op("GET", &format!("/herald/v1/users/{}/wallet", alice.id), None).await;
        assert_eq!(w["balance"], 0, "no top-up reached Alice's wallet");
    }
}

#[tokio::test]
async fn the_directory_and_the_apps_pages() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let reader = Browser::signup(&app, &format!("dir{}", suffix())).await;
        let name = acc["name"].as_str().unwrap();
        let (s, found) = reader.call(&app, "GET", &format!("/herald/v1/directory?q={}", &name[8..]), None, false).await;
        assert_eq!(s, StatusCode::OK);
        assert!(found["accounts"].as_array().unwrap().iter().any(|a| a["appid"] == acc["appid"]), "{found}");
        let (_, card) = reader.call(&app, "GET", &format!("/herald/v1/directory/{}", acc["appid"].as_str().unwrap()), None, false).await;
        assert_eq!((card["account_type"].as_str(), card["verified"].as_bool()), (Some("service"), Some(true)));
        let png = app.http.get(card["qrcode_url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(png.headers()["content-type"], "image/png");
        assert_eq!(app.http.get(app.url("/herald/v1/directory")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

        // The app's page for / and its routes, with the app origin's policy; assets are real
        // files or real 404s; other unknown paths stay the API's JSON 404.
        for page in ["/", "/chat/wx1", "/subscriptions", "/me"] {
            let r = app.http.get(app.url(page)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{page}");
            assert_eq!(r.headers()["cache-control"], "no-cache");
            assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
            assert!(r.text().await.unwrap().contains("<div id=\"app\">"), "{page}");
        }
        assert_eq!(app.http.get(app.url("/assets/missing-0000.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        let other = app.http.get(app.url("/no/such/thing")).send().await.unwrap();
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        assert_eq!(other.json::<Value>().await.unwrap()["errcode"], -1);
    }
}

/// Reads SSE events until one named `want` arrives (10 s at most).
async fn next_event(resp: &mut reqwest::Response, want: &str) -> Value {
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk()).await.unwrap_or_else(|_| panic!("no {want} event in 10 s: {buf}")).unwrap().unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame = buf[..end].to_string();
            buf.drain(..end + 2);
            let event = frame.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data = frame.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim).unwrap_or("{}");
            if event == Some(want) {
                return serde_json::from_str(data).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn live_events_reach_the_browser() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let b = Browser::signup(&app, &format!("live{}", suffix())).await;
        app.follow(&b.id, &acc).await;
        let mut stream = b.http.get(app.url(&format!("/herald/v1/users/{}/live", b.id))).send().await.unwrap();
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The account answers through custom/send (the follow opened the window).
        let token = app.token(&acc).await;
        let openid = app.op("GET", &format!("/herald/v1/users/{}/following", b.id), None).await.1["following"][0]["openid"].as_str().unwrap().to_string();
        let r = app.wx_post(&format!("/cgi-bin/message/custom/send?access_token={token}"), json!({"touser": openid, "msgtype": "text", "text": {"content": "hi"}})).await;
        assert_eq!(r["errcode"], 0, "{r}");
        let ev = next_event(&mut stream, "message").await;
        assert_eq!((ev["appid"].as_str(), ev["outbound"].as_bool()), (acc["appid"].as_str(), Some(true)), "{ev}");
        // A top-up moves the wallet.
        app.op("POST", &format!("/herald/v1/users/{}/wallet/topup", b.id), Some(json!({"amount": 100}))).await;
        next_event(&mut stream, "wallet").await;
    }
}

/// Two nodes on one PostgreSQL: a message stored through one reaches a browser attached to the
/// other.
#[tokio::test]
async fn live_events_cross_nodes() {
    let Some(base) = pg_base().await else { return };
    let url = format!("{}/herald_t_live_{}", base.rsplit_once('/').unwrap().0, suffix());
    let a = start("postgres", url.clone()).await;
    let b = start("postgres", url).await;
    let acc = a.account("service", "organisation", true).await;
    let user = Browser::signup(&b, &format!("x{}", suffix())).await;
    let openid = a.follow(&user.id, &acc).await;
    let mut stream = user.http.get(b.url(&format!("/herald/v1/users/{}/live", user.id))).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = a.token(&acc).await;
    let r = a.wx_post(&format!("/cgi-bin/message/custom/send?access_token={token}"), json!({"touser": openid, "msgtype": "text", "text": {"content": "from node A"}})).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let ev = next_event(&mut stream, "message").await;
    assert_eq!(ev["appid"], acc["appid"]);
}

#[tokio::test]
async fn an_avatar_is_a_picture_on_the_content_origin() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let b = Browser::signup(&app, &format!("ava{}", suffix())).await;
        let openid = app.follow(&b.id, &acc).await;
        let put = |bytes: Vec<u8>, csrf: bool| {
            let mut r = b.http.put(app.url(&format!("/herald/v1/users/{}/avatar", b.id))).header("content-type", "image/png").body(bytes);
            if csrf {
                r = r.header("x-csrf-token", &b.csrf);
            }
            r.send()
        };
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        png.resize(300, 1);
        assert_eq!(put(png.clone(), false).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(put(b"<svg onload=alert(1)>".to_vec(), true).await.unwrap().status(), StatusCode::BAD_REQUEST);
        let r = put(png.clone(), true).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let u: Value = r.json().await.unwrap();
        let url = u["profile"]["headimgurl"].as_str().unwrap().to_string();
        assert!(url.starts_with(&app._running.content_url()), "{url}");
        assert_eq!(app.http.get(&url).send().await.unwrap().bytes().await.unwrap().to_vec(), png);
        // It is the user's profile now (what sns/userinfo answers; user/info, as WeChat's
        // today, carries no picture).
        let (_, shown) = app.op("GET", &format!("/herald/v1/users/{}", b.id), None).await;
        assert_eq!(shown["profile"]["headimgurl"], url.as_str());
        let _ = openid;
    }
}

/// Where wallets hold real money the operator turns off followers' own top-ups.
#[tokio::test]
async fn self_top_up_can_be_turned_off() {
    let path = std::env::temp_dir().join(format!("herald-it-topup-{}.db", suffix()));
    let mut cfg = crate::config(&format!("sqlite://{}", path.display()));
    cfg.self_topup = false;
    let app = crate::start_with("sqlite", cfg).await;
    let b = Browser::signup(&app, &format!("top{}", suffix())).await;
    let (s, v) = b.call(&app, "POST", &format!("/herald/v1/users/{}/wallet/topup", b.id), Some(json!({"amount": 100})), true).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("topup_disabled")));
    let (s, _) = app.op("POST", &format!("/herald/v1/users/{}/wallet/topup", b.id), Some(json!({"amount": 100}))).await;
    assert_eq!(s, StatusCode::CREATED);
    // With the default (the sandbox), the follower's own top-up works.
    for app in apps().await {
        let b = Browser::signup(&app, &format!("top{}", suffix())).await;
        let (s, v) = b.call(&app, "POST", &format!("/herald/v1/users/{}/wallet/topup", b.id), Some(json!({"amount": 250})), true).await;
        assert_eq!((s, v["balance"].as_i64()), (StatusCode::CREATED, Some(250)), "{v}");
    }
}

/// Accounts and users take fixed ids (for seed files and CI), once.
#[tokio::test]
async fn fixed_ids_are_taken_once() {
    for app in apps().await {
        let appid = format!("wx{:016}", rand::random::<u64>() % 10_000_000_000_000_000);
        let body = json!({"name": "Fixed", "type": "service", "owner": {"kind": "organisation", "name": "F"}, "verified": true,
                          "appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"});
        let (s, a) = app.op("POST", "/herald/v1/accounts", Some(body.clone())).await;
        assert_eq!((s, a["appid"].as_str(), a["app_secret"].as_str()), (StatusCode::CREATED, Some(appid.as_str()), Some("0123456789abcdef0123456789abcdef")), "{a}");
        assert_eq!(app.op("POST", "/herald/v1/accounts", Some(body)).await.0, StatusCode::CONFLICT);
        let bad = json!({"name": "Bad", "type": "service", "owner": {"kind": "organisation", "name": "F"}, "appid": "wx-not-an-appid"});
        assert_eq!(app.op("POST", "/herald/v1/accounts", Some(bad)).await.0, StatusCode::BAD_REQUEST);
        let id = format!("u_fixed_{}", suffix());
        let (s, u) = app.op("POST", "/herald/v1/users", Some(json!({"id": id, "nickname": "Fixed"}))).await;
        assert_eq!((s, u["id"].as_str()), (StatusCode::CREATED, Some(id.as_str())));
        assert_eq!(app.op("POST", "/herald/v1/users", Some(json!({"id": id, "nickname": "Again"}))).await.0, StatusCode::CONFLICT);
        assert_eq!(app.op("POST", "/herald/v1/users", Some(json!({"id": "has space", "nickname": "X"}))).await.0, StatusCode::BAD_REQUEST);
    }
}
