//! The business console's server side (issue 27): owners' sign-in and its rate limit, console
//! sessions, and who may call `/herald/v1/accounts/{appid}/…` (the operator, or the owner's own
//! session with the CSRF token on writes; never another owner). Every test runs on each backend.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, errcode, suffix, App};

/// An owner's browser: its own cookie jar and the session's CSRF token.
pub(crate) struct Console {
    pub http: reqwest::Client,
    pub csrf: String,
}

impl Console {
    pub(crate) async fn signin(app: &App, email: &str, password: &str) -> Result<Console, StatusCode> {
        Console::signin_with(app, json!({"email": email, "password": password})).await.map_err(|(s, _)| s)
    }

    /// Signs in with any body (a TOTP code too); the refusal's status and answer.
    pub(crate) async fn signin_with(app: &App, body: Value) -> Result<Console, (StatusCode, Value)> {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = http.post(app.url("/herald/v1/console/signin")).json(&body).send().await.unwrap();
        Console::from_answer(http, r).await
    }

    /// The browser that sent the request `r` answers, signed in by it.
    pub(crate) async fn from_answer(http: reqwest::Client, r: reqwest::Response) -> Result<Console, (StatusCode, Value)> {
        if r.status() != StatusCode::OK {
            return Err((r.status(), r.json().await.unwrap_or(Value::Null)));
        }
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("herald_console=") && cookie.contains("HttpOnly"), "{cookie}");
        let me: Value = r.json().await.unwrap();
        Ok(Console { http, csrf: me["csrf_token"].as_str().unwrap().into() })
    }

    pub(crate) async fn call(&self, app: &App, method: &str, path: &str, body: Option<Value>, csrf: bool) -> (StatusCode, Value) {
        crate::session_call(&self.http, app, &self.csrf, method, path, body, csrf).await
    }
}

/// An organisation with a verified service account and console credentials.
pub(crate) async fn owner_with_account(app: &App, name: &str) -> (Value, String) {
    let acc = app.account("service", "organisation", true).await;
    let owner = acc["owner"]["id"].as_str().unwrap();
    let email = format!("{name}{}@example.com", suffix());
    let (s, v) = app.op("PUT", &format!("/herald/v1/owners/{owner}/login"), Some(json!({"email": email.to_uppercase(), "password": "correct horse"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email"], email.as_str(), "stored lower-cased");
    (acc, email)
}

#[tokio::test]
async fn owners_sign_in_with_a_rate_limit_and_hold_sessions() {
    for app in apps().await {
        app.freeze().await;
        let (acc, email) = owner_with_account(&app, "shop").await;
        let (other, other_email) = owner_with_account(&app, "rival").await;
        // Another owner cannot take the email.
        let (s, _) = app.op("PUT", &format!("/herald/v1/owners/{}/login", other["owner"]["id"].as_str().unwrap()), Some(json!({"email": email, "password": "correct horse"}))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        for bad in [json!({"email": "not-an-email", "password": "correct horse"}), json!({"email": "a@example.com", "password": "short"})] {
            let (s, _) = app.op("PUT", &format!("/herald/v1/owners/{}/login", acc["owner"]["id"].as_str().unwrap()), Some(bad.clone())).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        }
        // A follower's sign-in does not open the console.
        let r = app.http.post(app.url("/herald/v1/auth/signin")).json(&json!({"login": email, "password": "correct horse"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let (s, me) = owner.call(&app, "GET", "/herald/v1/console/me", None, false).await;
        assert_eq!((s, me["email"].as_str(), me["owner"]["id"].clone()), (StatusCode::OK, Some(email.as_str()), acc["owner"]["id"].clone()));
        assert_eq!(Console::signin(&app, "nobody@example.com", "whatever1").await.err(), Some(StatusCode::UNAUTHORIZED));
        for _ in 0..5 {
            assert_eq!(Console::signin(&app, &email, "wrong password").await.err(), Some(StatusCode::UNAUTHORIZED));
        }
        assert_eq!(Console::signin(&app, &email, "correct horse").await.err(), Some(StatusCode::TOO_MANY_REQUESTS));
        // The other owner's limit is its own.
        assert!(Console::signin(&app, &other_email, "correct horse").await.is_ok());
        app.advance(15 * 60 + 1).await;
        let second = Console::signin(&app, &email, "correct horse").await.unwrap();

        // Sessions: listed, another ended by id (with the CSRF token only), password changes end
        // the others.
        let (_, list) = owner.call(&app, "GET", "/herald/v1/console/sessions", None, false).await;
        let sessions = list["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{list}");
        let theirs = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
        let (s, _) = owner.call(&app, "DELETE", &format!("/herald/v1/console/sessions/{theirs}"), None, false).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = owner.call(&app, "DELETE", &format!("/herald/v1/console/sessions/{theirs}"), None, true).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = second.call(&app, "GET", "/herald/v1/console/me", None, false).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let third = Console::signin(&app, &email, "correct horse").await.unwrap();
        let (s, _) = owner.call(&app, "PUT", "/herald/v1/console/password", Some(json!({"current": "wrong one!", "password": "battery staple"})), true).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = owner.call(&app, "PUT", "/herald/v1/console/password", Some(json!({"current": "correct horse", "password": "battery staple"})), true).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(third.call(&app, "GET", "/herald/v1/console/me", None, false).await.0, StatusCode::UNAUTHORIZED);
        assert!(Console::signin(&app, &email, "battery staple").await.is_ok());
        let (s, _) = owner.call(&app, "POST", "/herald/v1/console/signout", None, true).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(owner.call(&app, "GET", "/herald/v1/console/me", None, false).await.0, StatusCode::UNAUTHORIZED);
    }
}

/// Every `/herald/v1/accounts/{appid}/…` route a console session may call: another owner's
/// session gets 404 and changes nothing; the owner's own writes need the CSRF token; operator-only
/// routes answer 401 to any session.
#[tokio::test]
async fn an_owner_acts_only_on_its_own_accounts() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "own").await;
        let (_, mallory_email) = owner_with_account(&app, "mal").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let mallory = Console::signin(&app, &mallory_email, "correct horse").await.unwrap();
        let before = app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1;
        let mut checked = 0;
        for (method, path) in herald_server::routes::ROUTES {
            let Some(rest) = path.strip_prefix("/herald/v1/accounts/{appid}") else { continue };
            let path = format!("/herald/v1/accounts/{appid}{}", rest.replace("{job}", "1").replace("{openid}", "o_x").replace("{id}", "100"));
            let body = (*method != "GET").then(|| json!({"button": [{"type": "click", "name": "x", "key": "k"}], "type": "service", "domain": "example.com", "intro": "hijacked"}));
            let (s, v) = mallory.call(&app, method, &path, body.clone(), true).await;
            let want = if rest == "/verify" { StatusCode::UNAUTHORIZED } else { StatusCode::NOT_FOUND };
            assert_eq!(s, want, "{method} {path} with another owner's session: {v}");
            if *method != "GET" {
                let (s, v) = owner.call(&app, method, &path, body, false).await;
                let want = if rest == "/verify" { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
                assert_eq!(s, want, "{method} {path} without the CSRF token: {v}");
            }
            checked += 1;
        }
        assert!(checked >= 12, "{checked} routes");
        // Nothing changed: the secret, the menu, the server settings.
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1, before);
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}/menu"), None).await.1["menu"], Value::Null);
        // The account list shows each owner its own accounts only, secrets masked.
        let (_, mine) = owner.call(&app, "GET", "/herald/v1/accounts", None, false).await;
        let mine = mine["accounts"].as_array().unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["appid"], appid);
        let secret = before["app_secret"].as_str().unwrap();
        assert_eq!(mine[0]["app_secret"].as_str().unwrap(), format!("{}{}", "*".repeat(28), &secret[28..]));
        let (_, theirs) = mallory.call(&app, "GET", "/herald/v1/accounts", None, false).await;
        assert!(theirs["accounts"].as_array().unwrap().iter().all(|a| a["appid"] != appid));
        // No session at all: 401.
        let r = app.http.get(app.url(&format!("/herald/v1/accounts/{appid}/overview"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

/// The owner runs the account from the console: the menu reaches followers, the AppSecret reset
/// is shown once and the old one is refused, the follower list pages and searches.
#[tokio::test]
async fn an_owner_runs_its_account() {
    for app in apps().await {
        app.freeze().await;
        let (acc, email) = owner_with_account(&app, "run").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();

        // The menu: refused by WeChat's rules with the errcode named, then set; a follower sees it.
        let (s, v) = owner.call(&app, "PUT", &format!("/herald/v1/accounts/{appid}/menu"), Some(json!({"button": []})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_menu")), "{v}");
        let menu = json!({"button": [{"type": "click", "name": "Today", "key": "TODAY"}, {"name": "More", "sub_button": [{"type": "view", "name": "Site", "url": "https://example.com/"}]}]});
        let (s, v) = owner.call(&app, "PUT", &format!("/herald/v1/accounts/{appid}/menu"), Some(menu.clone()), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let user = app.user("mei").await;
        app.follow(&user, &acc).await;
        let (_, seen) = app.op("GET", &format!("/herald/v1/users/{user}/menus/{appid}"), None).await;
        assert!(seen.to_string().contains("TODAY"), "{seen}");
        let token = app.token(&acc).await;
        let got = app.wx_get(&format!("/cgi-bin/menu/get?access_token={token}")).await;
        assert_eq!(got["menu"]["button"][0]["key"], "TODAY", "{got}");

        // The AppSecret: reset, answered whole once; the old one no longer issues tokens.
        let old = app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1["app_secret"].as_str().unwrap().to_string();
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/reset_secret"), None, true).await;
        assert_eq!(s, StatusCode::OK);
        let new = v["app_secret"].as_str().unwrap().to_string();
        assert_eq!((new.len(), new != old), (32, true));
        let (_, shown) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}"), None, false).await;
        assert!(shown["app_secret"].as_str().unwrap().starts_with("****"), "{shown}");
        let refused = app.wx_get(&format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={old}")).await;
        assert_eq!(errcode(&refused), 40125, "{refused}");
        let issued = app.wx_get(&format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={new}")).await;
        assert!(issued["access_token"].is_string(), "{issued}");

        // Followers: newest first, paged, searched by remark prefix and by openid.
        let mut openids = vec![];
        for i in 0..4 {
            let u = app.user(&format!("fan{i}")).await;
            openids.push(app.follow(&u, &acc).await);
        }
        let token = issued["access_token"].as_str().unwrap();
        let r = app.wx_post(&format!("/cgi-bin/user/info/updateremark?access_token={token}"), json!({"openid": openids[1], "remark": "VIP 100%"})).await;
        assert_eq!(errcode(&r), 0);
        let (_, p1) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?limit=3"), None, false).await;
        let names: Vec<&str> = p1["followers"].as_array().unwrap().iter().map(|f| f["nickname"].as_str().unwrap()).collect();
        assert_eq!(names, ["fan3", "fan2", "fan1"], "{p1}");
        let next = p1["next"].as_str().unwrap();
        let (_, p2) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?limit=3&before={next}"), None, false).await;
        let names: Vec<&str> = p2["followers"].as_array().unwrap().iter().map(|f| f["nickname"].as_str().unwrap()).collect();
        assert_eq!((names, p2["next"].clone()), (vec!["fan0", "mei"], Value::Null), "{p2}");
        // The follower who followed has the window open (following is an interaction).
        let (_, found) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?q=VIP%20100%25"), None, false).await;
        assert_eq!(found["followers"].as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found["followers"][0]["openid"], openids[1].as_str());
        let (_, pct) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?q=VIP%20100_"), None, false).await;
        assert_eq!(pct["followers"].as_array().unwrap().len(), 0, "a _ in the search is a character, not a wildcard: {pct}");
        let (_, by_openid) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?q={}", openids[2]), None, false).await;
        assert_eq!(by_openid["followers"][0]["nickname"], "fan2");
        // Filters: a tag, and followed since.
        let tag = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "fans"}})).await["tag"]["id"].as_i64().unwrap();
        app.wx_post(&format!("/cgi-bin/tags/members/batchtagging?access_token={token}"), json!({"openid_list": [openids[0]], "tagid": tag})).await;
        let (_, tagged) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?tag_id={tag}"), None, false).await;
        let names: Vec<&str> = tagged["followers"].as_array().unwrap().iter().map(|f| f["nickname"].as_str().unwrap()).collect();
        assert_eq!(names, ["fan0"], "{tagged}");
        let (_, later) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?since={}", i64::from(i32::MAX)), None, false).await;
        assert_eq!(later["followers"].as_array().unwrap().len(), 0, "{later}");
        let (_, all) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers?since=0"), None, false).await;
        assert_eq!(all["followers"].as_array().unwrap().len(), 5, "{all}");
        let (_, ov) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/overview"), None, false).await;
        assert_eq!((ov["followers"].as_i64(), ov["menu_set"].as_bool()), (Some(5), Some(true)), "{ov}");
    }
}

/// The console's messages: the inbox lists who wrote last, an agent replies inside the 48-hour
/// window and is refused (with the reason) once the clock has moved past it.
#[tokio::test]
async fn an_agent_replies_inside_the_window_only() {
    for app in apps().await {
        app.freeze().await;
        let (acc, email) = owner_with_account(&app, "desk").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let quiet = app.user("quiet").await;
        app.follow(&quiet, &acc).await;
        let mei = app.user("mei").await;
        let openid = app.follow(&mei, &acc).await;
        app.advance(60).await;
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{mei}/messages"), Some(json!({"appid": appid, "msgtype": "text", "content": "where is my card?"}))).await;
        assert!(s.is_success());
        let (_, inbox) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/inbox"), None, false).await;
        let first = &inbox["conversations"][0];
        assert_eq!((first["nickname"].as_str(), first["window_left"].as_i64()), (Some("mei"), Some(48 * 3600)), "{inbox}");

        let path = format!("/herald/v1/accounts/{appid}/followers/{openid}/messages");
        let (s, v) = owner.call(&app, "POST", &path, Some(json!({"content": "It is on its way."})), true).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, conv) = app.op("GET", &format!("/herald/v1/users/{mei}/conversations/{appid}"), None).await;
        let last = conv["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["direction"].as_str(), last.to_string().contains("It is on its way.")), (Some("out"), true), "{last}");
        let (_, seen) = owner.call(&app, "GET", &path, None, false).await;
        let texts: Vec<String> = seen["messages"].as_array().unwrap().iter().map(|m| m.to_string()).collect();
        assert!(texts[texts.len() - 2].contains("where is my card?") && texts[texts.len() - 1].contains("It is on its way."), "{seen}");
        assert_eq!(seen["follower"]["window_left"].as_i64(), Some(48 * 3600));
        let (s, _) = owner.call(&app, "POST", &path, Some(json!({"content": "   "})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        // 48 hours later the window is closed: the reply is refused and nothing is stored.
        app.advance(48 * 3600).await;
        let (s, v) = owner.call(&app, "POST", &path, Some(json!({"content": "Anything else?"})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("window_closed")), "{v}");
        let (_, after) = app.op("GET", &format!("/herald/v1/users/{mei}/conversations/{appid}"), None).await;
        assert!(!after.to_string().contains("Anything else?"));
        let (_, seen) = owner.call(&app, "GET", &path, None, false).await;
        assert_eq!(seen["follower"]["window_left"].as_i64(), Some(0));
        // A follower of another account is not this account's.
        let (s, _) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers/o_nobody/messages"), None, false).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

/// QR codes from the console: created under WeChat's rules, listed with their image, and
/// counting the followers each brought; a subscription account may not create them.
#[tokio::test]
async fn an_owner_makes_qr_codes_and_sees_their_follows() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "qr").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let path = format!("/herald/v1/accounts/{appid}/qrcodes");
        let (s, v) = owner.call(&app, "POST", &path, Some(json!({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_qrcode")), "{v}");
        let (s, poster) = owner.call(&app, "POST", &path, Some(json!({"action_name": "QR_STR_SCENE", "expire_seconds": 3600, "action_info": {"scene": {"scene_str": "poster-1"}}})), true).await;
        assert_eq!(s, StatusCode::CREATED, "{poster}");
        let (_, desk) = owner.call(&app, "POST", &path, Some(json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 7}}})), true).await;
        assert_eq!((desk["permanent"].as_bool(), desk["expires_at"].clone()), (Some(true), Value::Null), "{desk}");
        // The image is served as WeChat serves it.
        let png = app.http.get(app.url(poster["image"].as_str().unwrap())).send().await.unwrap();
        assert!(png.headers()["content-type"].to_str().unwrap().starts_with("image/"));
        assert!(png.bytes().await.unwrap().len() > 100);
        // Two people scan the poster and follow; one scans the desk code.
        for name in ["p1", "p2"] {
            let u = app.user(name).await;
            let (s, v) = app.op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"ticket": poster["ticket"]}))).await;
            assert!(s.is_success(), "{v}");
        }
        // One scans the desk code twice (a follow, then a SCAN event): two scans, one follow.
        let u = app.user("d1").await;
        for _ in 0..2 {
            let (s, v) = app.op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"ticket": desk["ticket"]}))).await;
            assert!(s.is_success(), "{v}");
        }
        let (_, list) = owner.call(&app, "GET", &path, None, false).await;
        let counts: Vec<(String, i64, i64)> = list["qrcodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["ticket"].as_str().unwrap().to_string(), q["follows"].as_i64().unwrap(), q["scans"].as_i64().unwrap()))
            .collect();
        assert!(counts.contains(&(poster["ticket"].as_str().unwrap().to_string(), 2, 2)), "{list}");
        assert!(counts.contains(&(desk["ticket"].as_str().unwrap().to_string(), 1, 2)), "{list}");
        assert_eq!(counts.len(), 2, "the account's own code is not listed: {list}");

        // A subscription account has one code, its own.
        let sub = app.account("subscription", "individual", false).await;
        let (s, _) = app.op("POST", &format!("/herald/v1/accounts/{}/qrcodes", sub["appid"].as_str().unwrap()), Some(json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 1}}}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

/// The API IP allow-list: set from the console, enforced on /cgi-bin/token and stable_token with
/// WeChat's 40164 naming the caller's address; an empty list allows everyone again.
#[tokio::test]
async fn the_ip_allow_list_guards_the_token_endpoints() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "ip").await;
        let appid = acc["appid"].as_str().unwrap();
        let secret = acc["app_secret"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let path = format!("/herald/v1/accounts/{appid}/ip_allow_list");
        let token_url = format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}");
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"ips": ["not an ip"]})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"ips": ["203.0.113.0/24", "2001:db8::1"]})), true).await;
        assert_eq!((s, v["ips"].clone()), (StatusCode::OK, json!(["203.0.113.0/24", "2001:db8::1/128"])), "{v}");
        // The tests call from 127.0.0.1: refused, with the address named as WeChat names it.
        let refused = app.wx_get(&token_url).await;
        assert_eq!(errcode(&refused), 40164, "{refused}");
        assert!(refused["errmsg"].as_str().unwrap().starts_with("invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist rid: "), "{refused}");
        let stable = app.wx_post("/cgi-bin/stable_token", json!({"grant_type": "client_credential", "appid": appid, "secret": secret})).await;
        assert_eq!(errcode(&stable), 40164, "{stable}");
        // A wrong secret is still a wrong secret.
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={}", "0".repeat(32))).await), 40125);
        owner.call(&app, "PUT", &path, Some(json!({"ips": ["127.0.0.0/8"]})), true).await;
        assert!(app.wx_get(&token_url).await["access_token"].is_string());
        owner.call(&app, "PUT", &path, Some(json!({"ips": []})), true).await;
        assert!(app.wx_get(&token_url).await["access_token"].is_string());
        let (_, v) = owner.call(&app, "GET", &path, None, false).await;
        assert_eq!(v["ips"], json!([]));
    }
}

/// Waits until the account's newest mass message has been fanned out.
async fn mass_done(owner: &Console, app: &App, appid: &str) -> Value {
    for _ in 0..200 {
        let (_, h) = owner.call(app, "GET", &format!("/herald/v1/accounts/{appid}/mass"), None, false).await;
        if h["mass_messages"][0]["status"] != "SENDING" {
            return h;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the mass message was not sent");
}

/// Mass messages from the console: the preview counts whom a send would reach and whom the quota
/// filters out (four per follower a month for a service account, one a day for a subscription
/// account) and matches what the send then does.
#[tokio::test]
async fn the_mass_preview_matches_the_quota() {
    for app in apps().await {
        app.freeze().await;
        let (acc, email) = owner_with_account(&app, "mass").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let token = app.token(&acc).await;
        let tag = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "vip"}})).await["tag"]["id"].as_i64().unwrap();
        let mut openids = vec![];
        for i in 0..3 {
            let u = app.user(&format!("m{i}")).await;
            openids.push(app.follow(&u, &acc).await);
        }
        app.wx_post(&format!("/cgi-bin/tags/members/batchtagging?access_token={token}"), json!({"openid_list": &openids[..2], "tagid": tag})).await;
        let (_, tags) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/tags"), None, false).await;
        assert!(tags["tags"].as_array().unwrap().iter().any(|t| t["id"] == tag && t["count"] == 2), "{tags}");
        // Tags from the console: created, renamed, refused under WeChat's rules, deleted.
        let tags_path = format!("/herald/v1/accounts/{appid}/tags");
        let (s, made) = owner.call(&app, "POST", &tags_path, Some(json!({"name": "regulars"})), true).await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        let (s, v) = owner.call(&app, "POST", &tags_path, Some(json!({"name": "regulars"})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "a taken name: {v}");
        let made_id = made["id"].as_i64().unwrap();
        let (s, _) = owner.call(&app, "PUT", &format!("{tags_path}/{made_id}"), Some(json!({"name": "locals"})), true).await;
        assert_eq!(s, StatusCode::OK);
        let listed = app.wx_get(&format!("/cgi-bin/tags/get?access_token={token}")).await;
        assert!(listed.to_string().contains("locals"), "{listed}");
        let (s, _) = owner.call(&app, "DELETE", &format!("{tags_path}/{made_id}"), None, true).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!app.wx_get(&format!("/cgi-bin/tags/get?access_token={token}")).await.to_string().contains("locals"));
        let preview_path = format!("/herald/v1/accounts/{appid}/mass/preview");
        let preview = |body: Value| owner.call(&app, "POST", &preview_path, Some(body), true);
        let (s, p) = preview(json!({"tag_id": tag})).await;
        assert_eq!((s, p["targeted"].as_i64(), p["filtered"].as_i64(), p["allowed"].as_bool()), (StatusCode::OK, Some(2), Some(0), Some(true)), "{p}");
        assert_eq!(preview(json!({"tag_id": 99999})).await.0, StatusCode::BAD_REQUEST);
        // Four sends to the tag use up its members' month.
        for i in 0..4 {
            let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/mass"), Some(json!({"tag_id": tag, "content": format!("news {i}")})), true).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{v}");
            mass_done(&owner, &app, appid).await;
        }
        let (_, p) = preview(json!({"tag_id": tag})).await;
        assert_eq!((p["targeted"].as_i64(), p["filtered"].as_i64(), p["recipients"].as_i64()), (Some(2), Some(2), Some(0)), "{p}");
        let (_, p) = preview(json!({})).await;
        assert_eq!((p["targeted"].as_i64(), p["filtered"].as_i64(), p["recipients"].as_i64()), (Some(3), Some(2), Some(1)), "{p}");
        // The send does what the preview said.
        owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/mass"), Some(json!({"content": "to all"})), true).await;
        let h = mass_done(&owner, &app, appid).await;
        let last = &h["mass_messages"][0];
        assert_eq!((last["total"].as_i64(), last["filtered"].as_i64(), last["sent"].as_i64(), last["preview"].as_str()), (Some(3), Some(2), Some(1), Some("to all")), "{h}");
        assert_eq!(h["mass_messages"].as_array().unwrap().len(), 5);

        // A subscription account: one a day.
        let sub = app.account("subscription", "organisation", true).await;
        let sub_appid = sub["appid"].as_str().unwrap();
        let u = app.user("reader").await;
        app.follow(&u, &sub).await;
        let (_, p) = app.op("POST", &format!("/herald/v1/accounts/{sub_appid}/mass/preview"), Some(json!({}))).await;
        assert_eq!((p["allowed"].as_bool(), p["daily_limit"].as_i64(), p["recipients"].as_i64()), (Some(true), Some(1), Some(1)), "{p}");
        let (s, _) = app.op("POST", &format!("/herald/v1/accounts/{sub_appid}/mass"), Some(json!({"content": "today's"}))).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let (_, p) = app.op("POST", &format!("/herald/v1/accounts/{sub_appid}/mass/preview"), Some(json!({}))).await;
        assert_eq!((p["allowed"].as_bool(), p["sent_today"].as_i64(), p["recipients"].as_i64()), (Some(false), Some(1), Some(0)), "{p}");
        let (s, v) = app.op("POST", &format!("/herald/v1/accounts/{sub_appid}/mass"), Some(json!({"content": "again"}))).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("45028"), "{v}");
    }
}

/// A follower's profile from the console: remark, blacklist and tags changed together, each under
/// WeChat's rules, and nothing written when one is refused; what /cgi-bin sees follows.
#[tokio::test]
async fn an_owner_edits_a_followers_profile() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "prof").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let token = app.token(&acc).await;
        let vip = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "vip"}})).await["tag"]["id"].as_i64().unwrap();
        let u = app.user("lin").await;
        let openid = app.follow(&u, &acc).await;
        let path = format!("/herald/v1/accounts/{appid}/followers/{openid}");
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"remark": "x".repeat(31), "blacklisted": true})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"remark": "big spender", "tag_ids": [99999]})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (_, now) = owner.call(&app, "GET", &path, None, false).await;
        assert_eq!((now["remark"].as_str(), now["blacklisted"].as_bool(), now["tag_ids"].clone()), (Some(""), Some(false), json!([])), "nothing written: {now}");
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"remark": "big spender", "blacklisted": true, "tag_ids": [vip]})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["remark"].as_str(), v["blacklisted"].as_bool(), v["tag_ids"].clone()), (Some("big spender"), Some(true), json!([vip])), "{v}");
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={token}&openid={openid}")).await;
        assert_eq!((info["remark"].as_str(), info["tagid_list"].clone()), (Some("big spender"), json!([vip])), "{info}");
        let black = app.wx_post(&format!("/cgi-bin/tags/members/getblacklist?access_token={token}"), json!({"begin_openid": ""})).await;
        assert!(black.to_string().contains(&openid), "{black}");
        // Untag and lift the blacklist.
        let (_, v) = owner.call(&app, "PUT", &path, Some(json!({"blacklisted": false, "tag_ids": []})), true).await;
        assert_eq!((v["remark"].as_str(), v["blacklisted"].as_bool(), v["tag_ids"].clone()), (Some("big spender"), Some(false), json!([])), "{v}");
    }
}

/// Content from the console: a cover uploaded as a material, a draft written (its HTML
/// sanitised), published, and mass-sent to a tag as mpnews; what /cgi-bin sees follows.
#[tokio::test]
async fn an_owner_writes_publishes_and_mass_sends_an_article() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "art").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        // The cover: the picture as the body.
        let png = herald_server::qrimage::png("cover").unwrap();
        let r = owner.http.post(app.url(&format!("/herald/v1/accounts/{appid}/materials/image"))).header("content-type", "image/png").header("x-csrf-token", &owner.csrf).body(png).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let cover: Value = r.json().await.unwrap();
        let thumb = cover["media_id"].as_str().unwrap();
        assert!(cover["url"].as_str().unwrap().contains("/mmbiz/"), "{cover}");
        let r = owner.http.post(app.url(&format!("/herald/v1/accounts/{appid}/materials/image"))).header("content-type", "text/plain").header("x-csrf-token", &owner.csrf).body("hi").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // A draft without a cover is refused as draft/add refuses it; with one it is kept.
        let article = |thumb: &str| json!({"articles": [{"title": "Autumn rates", "author": "Acme", "digest": "Better rates", "content": "<p>New <b>rates</b><script>alert(1)</script></p>", "thumb_media_id": thumb}]});
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts"), Some(article("nope")), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts"), Some(article(thumb)), true).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let draft = v["media_id"].as_str().unwrap().to_string();
        let (_, list) = owner.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/drafts"), None, false).await;
        assert_eq!(list["item"][0]["media_id"], draft.as_str(), "{list}");
        let token = app.token(&acc).await;
        let got = app.wx_post(&format!("/cgi-bin/draft/get?access_token={token}"), json!({"media_id": draft})).await;
        let content = got["news_item"][0]["content"].as_str().unwrap();
        assert!(content.contains("<b>rates</b>") && !content.contains("script"), "{content}");
        // Mass-sent to a tag as mpnews.
        let tag = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "savers"}})).await["tag"]["id"].as_i64().unwrap();
        let u = app.user("saver").await;
        let openid = app.follow(&u, &acc).await;
        app.wx_post(&format!("/cgi-bin/tags/members/batchtagging?access_token={token}"), json!({"openid_list": [openid], "tagid": tag})).await;
        // Previewed to that follower first: it lands in the follower's conversation as mpnews;
        // someone who does not follow gets nothing (43004).
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts/preview"), Some(json!({"media_id": draft, "touser": openid})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["msg_id"].as_i64().is_some(), "{v}");
        let (_, conv) = app.op("GET", &format!("/herald/v1/users/{u}/conversations/{appid}"), None).await;
        assert!(conv.to_string().contains("Autumn rates"), "{conv}");
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts/preview"), Some(json!({"media_id": draft, "touser": "o_stranger"})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");
        let (s, _) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts/preview"), Some(json!({"media_id": draft})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/mass"), Some(json!({"tag_id": tag, "media_id": draft})), true).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let h = mass_done(&owner, &app, appid).await;
        let last = &h["mass_messages"][0];
        assert_eq!((last["msgtype"].as_str(), last["sent"].as_i64(), last["preview"].as_str()), (Some("mpnews"), Some(1), Some("Autumn rates")), "{h}");
        let (s, _) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/mass"), Some(json!({"content": "x", "media_id": draft})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // Then published (publishing takes the draft, as on WeChat).
        let (s, v) = owner.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts/publish"), Some(json!({"media_id": draft})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["publish_id"].is_string() || v["publish_id"].is_number(), "{v}");
    }
}
