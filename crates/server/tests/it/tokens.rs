use serde_json::json;

use crate::{apps, errcode};

#[tokio::test]
async fn token_errors_use_wechat_codes() {
    for app in apps().await {
        let a = app.account("service", "organisation", true).await;
        let (id, secret) = (a["appid"].as_str().unwrap(), a["app_secret"].as_str().unwrap());
        for (q, code) in [
            (format!("grant_type=password&appid={id}&secret={secret}"), 40002),
            (format!("grant_type=client_credential&secret={secret}"), 41002),
            (format!("grant_type=client_credential&appid={id}"), 41004),
            (format!("grant_type=client_credential&appid=wx0000000000000000&secret={secret}"), 40013),
            (format!("grant_type=client_credential&appid={id}&secret=wrong"), 40125),
        ] {
            let v = app.wx_get(&format!("/cgi-bin/token?{q}")).await;
            assert_eq!(errcode(&v), code, "{}: {q} -> {v}", app.backend);
            assert!(v["errmsg"].as_str().unwrap().contains(" rid: "));
        }
        assert_eq!(errcode(&app.wx_get("/cgi-bin/user/get").await), 41001);
        assert_eq!(errcode(&app.wx_get("/cgi-bin/user/get?access_token=nonsense").await), 40001);
    }
}

#[tokio::test]
async fn client_tokens_rotate_with_five_minutes_of_grace_and_expire() {
    for app in apps().await {
        app.freeze().await;
        let a = app.account("service", "organisation", true).await;
        let first = app.token(&a).await;
        let ok = |t: &str| format!("/cgi-bin/user/get?access_token={t}");
        assert_eq!(errcode(&app.wx_get(&ok(&first)).await), 0);
        app.advance(100).await;
        let second = app.token(&a).await;
        assert_ne!(first, second);
        app.advance(299).await;
        assert_eq!(errcode(&app.wx_get(&ok(&first)).await), 0, "{}: old token works for 5 minutes", app.backend);
        app.advance(1).await;
        assert_eq!(errcode(&app.wx_get(&ok(&first)).await), 40001, "{}: then it is not the latest", app.backend);
        assert_eq!(errcode(&app.wx_get(&ok(&second)).await), 0);
        app.advance(7200 - 300).await;
        assert_eq!(errcode(&app.wx_get(&ok(&second)).await), 42001, "{}: 7200 s after issue", app.backend);
        assert!(app.wx_get(&ok(&second)).await["errmsg"].as_str().unwrap().starts_with("access_token expired"));
    }
}

#[tokio::test]
async fn stable_tokens_are_reused_and_force_refresh_is_limited() {
    for app in apps().await {
        app.freeze().await;
        let a = app.account("service", "organisation", true).await;
        let body = |force: bool| json!({"grant_type": "client_credential", "appid": a["appid"], "secret": a["app_secret"], "force_refresh": force});
        let t1 = app.wx_post("/cgi-bin/stable_token", body(false)).await;
        assert_eq!(t1["expires_in"], 7200);
        app.advance(1000).await;
        let t2 = app.wx_post("/cgi-bin/stable_token", body(false)).await;
        assert_eq!(t2["access_token"], t1["access_token"], "{}", app.backend);
        assert_eq!(t2["expires_in"], 6200);
        // Independent of /cgi-bin/token.
        let client = app.token(&a).await;
        let t3 = app.wx_post("/cgi-bin/stable_token", body(false)).await;
        assert_eq!(t3["access_token"], t1["access_token"]);
        let use_tok = |t: &str| format!("/cgi-bin/tags/get?access_token={t}");
        assert_eq!(errcode(&app.wx_get(&use_tok(t1["access_token"].as_str().unwrap())).await), 0);
        // force_refresh: a new token, the old one ends at once; not twice within 30 s.
        let f1 = app.wx_post("/cgi-bin/stable_token", body(true)).await;
        assert_ne!(f1["access_token"], t1["access_token"]);
        assert_eq!(errcode(&app.wx_get(&use_tok(t1["access_token"].as_str().unwrap())).await), 40001);
        assert_eq!(errcode(&app.wx_get(&use_tok(&client)).await), 0, "{}: client tokens unaffected", app.backend);
        assert_eq!(errcode(&app.wx_post("/cgi-bin/stable_token", body(true)).await), 45011);
        app.advance(30).await;
        assert!(app.wx_post("/cgi-bin/stable_token", body(true)).await["access_token"].is_string());
        // Near expiry a normal call issues the next token; the old one lives out its time.
        let cur = app.wx_post("/cgi-bin/stable_token", body(false)).await;
        app.advance(7200 - 200).await;
        let next = app.wx_post("/cgi-bin/stable_token", body(false)).await;
        assert_ne!(next["access_token"], cur["access_token"]);
        assert_eq!(errcode(&app.wx_get(&use_tok(cur["access_token"].as_str().unwrap())).await), 0);
        // Bad credentials and bodies.
        assert_eq!(errcode(&app.wx_post("/cgi-bin/stable_token", json!({"grant_type": "client_credential", "appid": a["appid"], "secret": "x"})).await), 40125);
        let r = app.http.post(app.url("/cgi-bin/stable_token")).body("not json").send().await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["errcode"], 47001);
        let r = app.http.post(app.url("/cgi-bin/stable_token")).send().await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["errcode"], 44002);
    }
}

#[tokio::test]
async fn force_refresh_is_limited_to_twenty_a_day() {
    for app in apps().await {
        app.freeze().await;
        let a = app.account("service", "organisation", true).await;
        let body = json!({"grant_type": "client_credential", "appid": a["appid"], "secret": a["app_secret"], "force_refresh": true});
        // Start at a CST midnight so 20 refreshes 31 s apart stay in one day.
        let (_, _) = app.op("POST", "/herald/v1/clock", Some(json!({"set": 1_798_732_800}))).await;
        for _ in 0..20 {
            assert!(app.wx_post("/cgi-bin/stable_token", body.clone()).await["access_token"].is_string());
            app.advance(31).await;
        }
        assert_eq!(errcode(&app.wx_post("/cgi-bin/stable_token", body.clone()).await), 45009, "{}", app.backend);
        app.advance(86_400).await;
        assert!(app.wx_post("/cgi-bin/stable_token", body).await["access_token"].is_string());
    }
}

#[tokio::test]
async fn server_ip_lists_name_loopback_and_the_api_host() {
    for app in apps().await {
        let acc = app.account("subscription", "individual", false).await;
        let token = app.token(&acc).await;
        let cb = app.wx_get(&format!("/cgi-bin/getcallbackip?access_token={token}")).await;
        let list = cb["ip_list"].as_array().unwrap_or_else(|| panic!("{cb}"));
        assert_eq!(list[0], "127.0.0.1", "{cb}");
        // The tests reach the server at http://127.0.0.1:<port>.
        let api = app.wx_get(&format!("/cgi-bin/get_api_domain_ip?access_token={token}")).await;
        assert_eq!(api, json!({"ip_list": ["127.0.0.1"]}));
        assert_eq!(errcode(&app.wx_get("/cgi-bin/getcallbackip?access_token=bogus").await), 40001);
        assert_eq!(errcode(&app.wx_get("/cgi-bin/get_api_domain_ip").await), 41001);
    }
}

#[tokio::test]
async fn server_ip_lists_follow_the_settings() {
    // A public URL by name lists the name's addresses; callback_ips replaces the default.
    let path = std::env::temp_dir().join(format!("herald-it-ips-{}.db", crate::suffix()));
    let mut cfg = crate::config(&format!("sqlite://{}", path.display()));
    cfg.public_url = Some("http://localhost:8443/".into());
    cfg.callback_ips = Some("203.0.113.5, 203.0.113.6".into());
    let app = crate::start_with("sqlite", cfg).await;
    let acc = app.account("service", "organisation", true).await;
    let token = app.token(&acc).await;
    let cb = app.wx_get(&format!("/cgi-bin/getcallbackip?access_token={token}")).await;
    assert_eq!(cb, json!({"ip_list": ["203.0.113.5", "203.0.113.6"]}));
    let api = app.wx_get(&format!("/cgi-bin/get_api_domain_ip?access_token={token}")).await;
    let list: Vec<&str> = api["ip_list"].as_array().unwrap_or_else(|| panic!("{api}")).iter().filter_map(|v| v.as_str()).collect();
    assert!(list.contains(&"127.0.0.1"), "{api}");
    app.stop().await;
}
