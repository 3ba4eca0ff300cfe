//! QR codes, menus, web OAuth, the JS-SDK and sign-in, over HTTP on every backend.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, errcode, App};

impl App {
    async fn events(&self, user: &str, account: &Value) -> Vec<Value> {
        let path = format!("/herald/v1/users/{user}/conversations/{}?events=true", account["appid"].as_str().unwrap());
        let (_, c) = self.op("GET", &path, None).await;
        c["messages"].as_array().cloned().unwrap_or_default().into_iter().filter(|m| m["msgtype"] == "event").collect()
    }

    /// A client that does not follow redirects, so tests can read them.
    fn no_redirects() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Signs `user` in through a minted link; returns the session cookie (`name=value`).
    async fn sign_in(&self, user: &str) -> String {
        let (s, link) = self.op("POST", &format!("/herald/v1/users/{user}/signin_links"), Some(json!({"next": "/herald/me"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{link}");
        let r = Self::no_redirects().get(link["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/herald/me");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        assert!(cookie.starts_with("herald_session="));
        // The link works once.
        let again = Self::no_redirects().get(link["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::GONE);
        cookie
    }
}

fn location(r: &reqwest::Response) -> url::Url {
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

fn query(u: &url::Url, k: &str) -> Option<String> {
    u.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn qr_codes_encode_their_url_and_scans_follow_or_raise_scan() {
    for app in apps().await {
        app.freeze().await;
        let sub = app.account("subscription", "organisation", true).await;
        let sub_token = app.token(&sub).await;
        let body = json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 7}}});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/qrcode/create?access_token={sub_token}"), body.clone()).await), 48001);
        // A subscription account still has its own code.
        let (s, own) = app.op("GET", &format!("/herald/v1/accounts/{}/qrcode", sub["appid"].as_str().unwrap()), None).await;
        assert_eq!(s, StatusCode::OK, "{own}");

        let svc = app.account("service", "organisation", true).await;
        let token = app.token(&svc).await;
        let temp = app
            .wx_post(
                &format!("/cgi-bin/qrcode/create?access_token={token}"),
                json!({"expire_seconds": 600, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}}),
            )
            .await;
        assert_eq!(temp["expire_seconds"], 600, "{temp}");
        let ticket = temp["ticket"].as_str().unwrap();
        let png = app.http.get(app.url("/cgi-bin/showqrcode")).query(&[("ticket", ticket)]).send().await.unwrap();
        assert_eq!(png.status(), StatusCode::OK);
        assert_eq!(png.headers()["content-type"], "image/png");
        let bytes = png.bytes().await.unwrap();
        assert_eq!(herald_server::qrimage::decode(&bytes).unwrap(), temp["url"].as_str().unwrap());

        // Permanent codes: the same scene gives the same ticket; bad scenes are 40053.
        let perm = app.wx_post(&format!("/cgi-bin/qrcode/create?access_token={token}"), json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "shop-7"}}})).await;
        assert!(perm.get("expire_seconds").is_none(), "{perm}");
        let again = app.wx_post(&format!("/cgi-bin/qrcode/create?access_token={token}"), json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "shop-7"}}})).await;
        assert_eq!(again["ticket"], perm["ticket"]);
        let bad = json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/qrcode/create?access_token={token}"), bad).await), 40053);

        // A non-follower scans the picture: follows, subscribe carries qrscene_123 and the ticket.
        let u = app.user("scanner").await;
        let (s, r) = app
            .op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"image": base64_of(&bytes)})))
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["event"], "subscribe");
        assert_eq!(r["relation"]["subscribe_scene"], "ADD_SCENE_QR_CODE");
        assert_eq!(r["relation"]["qr_scene"], 123);
        let ev = app.events(&u, &svc).await;
        assert_eq!(ev.last().unwrap()["body"]["event_key"], "qrscene_123", "{ev:?}");
        assert_eq!(ev.last().unwrap()["body"]["ticket"], ticket);
        let openid = r["relation"]["openid"].as_str().unwrap();
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={token}&openid={openid}")).await;
        assert_eq!((info["qr_scene"].as_i64(), info["subscribe_scene"].as_str()), (Some(123), Some("ADD_SCENE_QR_CODE")), "{info}");

        // A follower scanning by url raises SCAN with the bare scene; it opens the 48-hour window.
        let (s, r) = app.op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"url": perm["url"]}))).await;
        assert_eq!((s, r["event"].as_str()), (StatusCode::OK, Some("SCAN")), "{r}");
        let ev = app.events(&u, &svc).await;
        assert_eq!(ev.last().unwrap()["body"]["event"], "SCAN");
        assert_eq!(ev.last().unwrap()["body"]["event_key"], "shop-7");

        // A scan restarts the 48-hour customer-service window.
        app.advance(49 * 3600).await;
        let send = |openid: &str| json!({"touser": openid, "msgtype": "text", "text": {"content": "hi"}});
        let custom = format!("/cgi-bin/message/custom/send?access_token={}", app.token(&svc).await);
        assert_eq!(errcode(&app.wx_post(&custom, send(openid)).await), 45015);
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"ticket": perm["ticket"]}))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(errcode(&app.wx_post(&custom, send(openid)).await), 0);
        let token = app.token(&svc).await;

        // Expired: the image and the scan both fail.
        let png = app.http.get(app.url("/cgi-bin/showqrcode")).query(&[("ticket", ticket)]).send().await.unwrap();
        assert_eq!(png.status(), StatusCode::NOT_FOUND);
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{u}/scan"), Some(json!({"ticket": ticket}))).await;
        assert_eq!(s, StatusCode::GONE);

        // Short keys.
        let k = app.wx_post(&format!("/cgi-bin/shorten/gen?access_token={token}"), json!({"long_data": "loooong", "expire_seconds": 60})).await;
        let key = k["short_key"].as_str().unwrap();
        let f = app.wx_post(&format!("/cgi-bin/shorten/fetch?access_token={token}"), json!({"short_key": key})).await;
        assert_eq!((f["long_data"].as_str(), f["expire_seconds"].as_i64()), (Some("loooong"), Some(60)), "{f}");
        app.advance(60).await;
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/shorten/fetch?access_token={token}"), json!({"short_key": key})).await), 40035);
    }
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn menus_are_validated_matched_and_tapped() {
    for app in apps().await {
        let acct = app.account("service", "organisation", true).await;
        let token = app.token(&acct).await;
        let appid = acct["appid"].as_str().unwrap();
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/menu/get?access_token={token}")).await), 46003);
        let four = json!({"button": [{"type": "click", "name": "A", "key": "A"}, {"type": "click", "name": "B", "key": "B"}, {"type": "click", "name": "C", "key": "C"}, {"type": "click", "name": "D", "key": "D"}]});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/create?access_token={token}"), four).await), 40016);
        let menu = json!({"button": [
            {"type": "click", "name": "Today", "key": "V1001_TODAY"},
            {"name": "More", "sub_button": [
                {"type": "view", "name": "Site", "url": "http://shop.example/home"},
                {"type": "scancode_push", "name": "Scan", "key": "SCAN_1"},
                {"type": "pic_weixin", "name": "Pics", "key": "PIC_1"},
                {"type": "location_select", "name": "Where", "key": "LOC_1"},
            ]},
        ]});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/create?access_token={token}"), menu).await), 0);
        let got = app.wx_get(&format!("/cgi-bin/menu/get?access_token={token}")).await;
        assert_eq!(got["menu"]["button"][0]["sub_button"], json!([]), "{got}");
        assert_eq!(got["menu"]["button"][1]["sub_button"][0]["url"], "http://shop.example/home");
        let info = app.wx_get(&format!("/cgi-bin/get_current_selfmenu_info?access_token={token}")).await;
        assert_eq!(info["is_menu_open"], 1);
        assert_eq!(info["selfmenu_info"]["button"][1]["sub_button"]["list"][0]["type"], "view");

        // A conditional menu for Android users with a tag.
        let tag = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "vip"}})).await;
        let tag_id = tag["tag"]["id"].as_i64().unwrap();
        let cond = json!({"button": [{"type": "click", "name": "VIP", "key": "VIP"}], "matchrule": {"tag_id": tag_id.to_string(), "client_platform_type": "2"}});
        let added = app.wx_post(&format!("/cgi-bin/menu/addconditional?access_token={token}"), cond).await;
        let menuid = added["menuid"].as_str().unwrap_or_else(|| panic!("{added}")).to_string();
        let empty_rule = json!({"button": [{"type": "click", "name": "X", "key": "X"}], "matchrule": {}});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/addconditional?access_token={token}"), empty_rule).await), 65304);

        let u = app.user("tapper").await;
        let openid = app.follow(&u, &acct).await;
        let (s, _) = app.op("PUT", &format!("/herald/v1/users/{u}/profile"), Some(json!({"sex": 1, "platform": "android"}))).await;
        assert_eq!(s, StatusCode::OK);
        let m = app.wx_post(&format!("/cgi-bin/menu/trymatch?access_token={token}"), json!({"user_id": openid})).await;
        assert_eq!(m["button"][0]["name"], "Today", "untagged users see the default menu: {m}");
        app.wx_post(&format!("/cgi-bin/tags/members/batchtagging?access_token={token}"), json!({"openid_list": [openid], "tagid": tag_id})).await;
        let m = app.wx_post(&format!("/cgi-bin/menu/trymatch?access_token={token}"), json!({"user_id": openid})).await;
        assert_eq!(m["button"][0]["name"], "VIP", "{m}");
        let (_, seen) = app.op("GET", &format!("/herald/v1/users/{u}/menus/{appid}"), None).await;
        assert_eq!((seen["conditional"].as_bool(), seen["menuid"].to_string()), (Some(true), menuid.clone()));
        let (_, got) = (0, app.wx_get(&format!("/cgi-bin/menu/get?access_token={token}")).await);
        assert_eq!(got["conditionalmenu"][0]["matchrule"]["client_platform_type"], "2", "{got}");

        // Taps on the conditional menu and, after deleting it, on the default one.
        let (s, t) = app.op("POST", &format!("/herald/v1/users/{u}/menus/{appid}/tap"), Some(json!({"path": [0]}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        assert_eq!(t["message"]["body"]["event_key"], "VIP");
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/delconditional?access_token={token}"), json!({"menuid": menuid})).await), 0);
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/menu/delconditional?access_token={token}"), json!({"menuid": menuid})).await), 65301);
        let tap = |path: Value, extra: Value| {
            let mut b = extra;
            b["path"] = path;
            b
        };
        let (_, t) = app.op("POST", &format!("/herald/v1/users/{u}/menus/{appid}/tap"), Some(tap(json!([1, 0]), json!({})))).await;
        assert_eq!((t["url"].as_str(), t["message"]["body"]["event"].as_str()), (Some("http://shop.example/home"), Some("VIEW")), "{t}");
        let (_, t) = app.op("POST", &format!("/herald/v1/users/{u}/menus/{appid}/tap"), Some(tap(json!([1, 1]), json!({"scan_result": "hello"})))).await;
        assert_eq!(t["message"]["body"]["scan_result"], "hello", "{t}");
        let (_, t) = app.op("POST", &format!("/herald/v1/users/{u}/menus/{appid}/tap"), Some(tap(json!([1, 2]), json!({"pics": ["abc"]})))).await;
        assert_eq!(t["message"]["body"]["pic_md5"], json!(["abc"]), "{t}");
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{u}/menus/{appid}/tap"), Some(tap(json!([1]), json!({})))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "a parent button is not tappable");

        // Delete removes everything.
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/menu/delete?access_token={token}")).await), 0);
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/menu/get?access_token={token}")).await), 46003);
        let info = app.wx_get(&format!("/cgi-bin/get_current_selfmenu_info?access_token={token}")).await;
        assert_eq!(info["is_menu_open"], 0);
    }
}

#[tokio::test]
async fn web_oauth_codes_tokens_and_userinfo() {
    for app in apps().await {
        app.freeze().await;
        let acct = app.account("service", "organisation", true).await;
        let appid = acct["appid"].as_str().unwrap().to_string();
        let secret = acct["app_secret"].as_str().unwrap().to_string();
        let (s, _) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/web_domain"), Some(json!({"domain": "shop.example"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, u) = app.op("POST", "/herald/v1/users", Some(json!({"nickname": "Lin", "profile": {"sex": 2, "city": "Shenzhen", "country": "CN"}}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let u = u["id"].as_str().unwrap().to_string();
        let cookie = app.sign_in(&u).await;
        let client = App::no_redirects();
        let authorize = |scope: &str, redirect: &str| {
            let mut url = url::Url::parse(&app.url("/connect/oauth2/authorize")).unwrap();
            url.query_pairs_mut()
                .append_pair("appid", &appid)
                .append_pair("redirect_uri", redirect)
                .append_pair("response_type", "code")
                .append_pair("scope", scope)
                .append_pair("state", "xyz");
            url.to_string()
        };

        // Failures show WeChat's codes.
        let r = client.get(authorize("snsapi_base", "http://evil.example/cb")).header("cookie", &cookie).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("10003"));
        let r = client.get(authorize("", "http://shop.example/cb")).header("cookie", &cookie).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("10010"));
        let r = client.get(authorize("snsapi_base", "http://shop.example/cb")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "not signed in");

        // snsapi_base redirects at once with a code; the code works once.
        let r = client.get(authorize("snsapi_base", "http://shop.example/cb?x=1")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = location(&r);
        assert_eq!((loc.host_str(), query(&loc, "x").as_deref(), query(&loc, "state").as_deref()), (Some("shop.example"), Some("1"), Some("xyz")));
        let code = query(&loc, "code").unwrap();
        let tok_url = |code: &str| format!("/sns/oauth2/access_token?appid={appid}&secret={secret}&code={code}&grant_type=authorization_code");
        let t = app.wx_get(&tok_url(&code)).await;
        assert_eq!((t["scope"].as_str(), t["expires_in"].as_i64()), (Some("snsapi_base"), Some(7200)), "{t}");
        assert!(t.get("unionid").is_none());
        assert_eq!(errcode(&app.wx_get(&tok_url(&code)).await), 40163);
        assert_eq!(errcode(&app.wx_get(&tok_url("nonsense")).await), 40029);
        let base_token = t["access_token"].as_str().unwrap();
        let openid = t["openid"].as_str().unwrap();
        let ui = app.wx_get(&format!("/sns/userinfo?access_token={base_token}&openid={openid}")).await;
        assert_eq!(errcode(&ui), 48001, "snsapi_base cannot read the profile");

        // snsapi_userinfo shows the consent page; allowing gives a code for the profile.
        let r = client.get(authorize("snsapi_userinfo", "http://shop.example/cb")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let form = [
            ("appid", appid.as_str()),
            ("redirect_uri", "http://shop.example/cb"),
            ("response_type", "code"),
            ("scope", "snsapi_userinfo"),
            ("state", "xyz"),
            ("csrf", csrf.as_str()),
            ("decision", "allow"),
        ];
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let forged = client.post(app.url("/connect/oauth2/authorize/confirm")).header("cookie", &cookie).body(body.replace(&csrf, "x")).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let r = client.post(app.url("/connect/oauth2/authorize/confirm")).header("cookie", &cookie).body(body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let code = query(&location(&r), "code").unwrap();

        // An expired code is refused.
        app.advance(300).await;
        assert_eq!(errcode(&app.wx_get(&tok_url(&code)).await), 40029);
        let r = client.post(app.url("/connect/oauth2/authorize/confirm")).header("cookie", &cookie).body(
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish(),
        ).send().await.unwrap();
        let code = query(&location(&r), "code").unwrap();
        let t = app.wx_get(&tok_url(&code)).await;
        assert_eq!(t["openid"], openid, "one openid per user and account");
        assert!(t["unionid"].is_string(), "{t}");
        let access = t["access_token"].as_str().unwrap().to_string();
        let refresh = t["refresh_token"].as_str().unwrap().to_string();
        let ui = app.wx_get(&format!("/sns/userinfo?access_token={access}&openid={openid}&lang=zh_CN")).await;
        assert_eq!((ui["nickname"].as_str(), ui["sex"].as_i64(), ui["city"].as_str()), (Some("Lin"), Some(2), Some("Shenzhen")), "{ui}");
        assert_eq!(ui["privilege"], json!([]));
        assert_eq!(errcode(&app.wx_get(&format!("/sns/auth?access_token={access}&openid={openid}")).await), 0);
        assert_eq!(errcode(&app.wx_get(&format!("/sns/auth?access_token={access}&openid=oOther")).await), 40003);

        // Access tokens expire after 2 hours; refreshing replaces them; refresh tokens last 30 days.
        app.advance(7200).await;
        assert_eq!(errcode(&app.wx_get(&format!("/sns/auth?access_token={access}&openid={openid}")).await), 42001);
        let rt_url = format!("/sns/oauth2/refresh_token?appid={appid}&grant_type=refresh_token&refresh_token={refresh}");
        let r = app.wx_get(&rt_url).await;
        assert_ne!(r["access_token"], access.as_str());
        assert_eq!(r["refresh_token"], refresh.as_str());
        let r2 = app.wx_get(&rt_url).await;
        assert_eq!(r2["access_token"], r["access_token"], "a live token is kept");
        assert_eq!(errcode(&app.wx_get(&format!("/sns/auth?access_token={}&openid={openid}", r2["access_token"].as_str().unwrap())).await), 0);
        app.advance(30 * 86_400).await;
        assert_eq!(errcode(&app.wx_get(&rt_url).await), 42002);
        assert_eq!(errcode(&app.wx_get(&format!("/sns/oauth2/refresh_token?appid={appid}&grant_type=refresh_token&refresh_token=bogus")).await), 40030);

        // Only verified service accounts may use web OAuth.
        let sub = app.account("subscription", "organisation", true).await;
        app.op("PUT", &format!("/herald/v1/accounts/{}/web_domain", sub["appid"].as_str().unwrap()), Some(json!({"domain": "shop.example"}))).await;
        let url = authorize("snsapi_base", "http://shop.example/cb").replace(&appid, sub["appid"].as_str().unwrap());
        let r = client.get(url).header("cookie", &cookie).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("10005"));
    }
}

#[tokio::test]
async fn jssdk_tickets_and_signatures() {
    for app in apps().await {
        app.freeze().await;
        let acct = app.account("subscription", "individual", false).await;
        let token = app.token(&acct).await;
        let t = app.wx_get(&format!("/cgi-bin/ticket/getticket?access_token={token}&type=jsapi")).await;
        assert_eq!((errcode(&t), t["expires_in"].as_i64()), (0, Some(7200)), "{t}");
        let ticket = t["ticket"].as_str().unwrap().to_string();
        app.advance(100).await;
        let again = app.wx_get(&format!("/cgi-bin/ticket/getticket?access_token={token}&type=jsapi")).await;
        assert_eq!((again["ticket"].as_str(), again["expires_in"].as_i64()), (Some(ticket.as_str()), Some(7100)));
        let card = app.wx_get(&format!("/cgi-bin/ticket/getticket?access_token={token}&type=wx_card")).await;
        assert_ne!(card["ticket"], ticket.as_str());

        let url = "http://shop.example/page?x=1";
        let sig = herald_wire::jssdk::signature(&ticket, "nonce", "1414587457", url);
        let check = |signature: &str| json!({"appid": acct["appid"], "url": format!("{url}#frag"), "noncestr": "nonce", "timestamp": 1414587457, "signature": signature});
        let (s, v) = app.op("POST", "/herald/v1/jssdk/verify", Some(check(&sig))).await;
        assert_eq!((s, v["valid"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        let (_, v) = app.op("POST", "/herald/v1/jssdk/verify", Some(check("0000"))).await;
        assert_eq!((v["valid"].as_bool(), v["errcode"].as_i64()), (Some(false), Some(63002)));
        // Once the ticket expires, its signatures are no longer valid.
        app.advance(7100).await;
        let (_, v) = app.op("POST", "/herald/v1/jssdk/verify", Some(check(&sig))).await;
        assert_eq!(v["valid"], false);
    }
}
