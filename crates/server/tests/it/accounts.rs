use reqwest::StatusCode;
use serde_json::json;

use crate::apps;

#[tokio::test]
async fn account_lifecycle_follows_the_seeds_rules() {
    for app in apps().await {
        let b = app.backend;
        // Individuals may only hold subscription accounts.
        let (s, e) = app
            .op("POST", "/herald/v1/accounts", Some(json!({"name": "Shop", "type": "service", "owner": {"kind": "individual", "name": "Li"}})))
            .await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("service_needs_organisation")), "{b}");
        let (_, owners) = app.op("GET", "/herald/v1/owners", None).await;
        assert_eq!(owners["owners"].as_array().unwrap().len(), 0, "{b}: a refused create writes nothing");

        let sub = app.account("subscription", "individual", false).await;
        assert_eq!(sub["type"], "subscription");
        assert!(sub["appid"].as_str().unwrap().starts_with("wx"));
        let appid = sub["appid"].as_str().unwrap();
        // Individuals cannot verify, nor upgrade to service.
        let (s, e) = app.op("POST", &format!("/herald/v1/accounts/{appid}/verify"), None).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("individual_cannot_verify")), "{b}");
        let (s, _) = app.op("POST", &format!("/herald/v1/accounts/{appid}/upgrade"), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

        // An organisation's subscription account upgrades to service, never back.
        let org_sub = app.account("subscription", "organisation", false).await;
        let appid = org_sub["appid"].as_str().unwrap();
        let (s, up) = app.op("POST", &format!("/herald/v1/accounts/{appid}/upgrade"), None).await;
        assert_eq!((s, up["type"].as_str()), (StatusCode::OK, Some("service")), "{b}");
        let (s, e) = app.op("POST", &format!("/herald/v1/accounts/{appid}/upgrade"), Some(json!({"type": "subscription"}))).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("cannot_downgrade")), "{b}");
        let (s, e) = app.op("POST", &format!("/herald/v1/accounts/{appid}/upgrade"), None).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("already_service")), "{b}");
        let (_, shown) = app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await;
        assert_eq!(shown["type"], "service", "{b}");
        let (s, v) = app.op("POST", &format!("/herald/v1/accounts/{appid}/verify"), None).await;
        assert_eq!((s, v["verified"].as_bool()), (StatusCode::OK, Some(true)), "{b}");

        // Resetting the secret: the old one stops working for new tokens.
        let old = shown["app_secret"].as_str().unwrap().to_string();
        let (_, reset) = app.op("POST", &format!("/herald/v1/accounts/{appid}/reset_secret"), None).await;
        assert_ne!(reset["app_secret"].as_str().unwrap(), old);
        let e = app.wx_get(&format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={old}")).await;
        assert_eq!(e["errcode"], 40125, "{b}");
        assert!(!app.token(&reset).await.is_empty());

        // Developer-server settings are validated (and the URL verified).
        let key = crate::devserver::AES_KEY;
        let dev = crate::devserver::DevServer::start(appid, crate::devserver::Behaviour::Success).await;
        let (s, a) = app
            .op("PUT", &format!("/herald/v1/accounts/{appid}/server"), Some(json!({"url": dev.url, "token": crate::devserver::TOKEN, "encoding_aes_key": key, "message_mode": "safe"})))
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["server"]["message_mode"], "safe");
        let (s, e) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/server"), Some(json!({"token": "x", "message_mode": "plain"}))).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_server_settings")), "{b}");
        let (_, still) = app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await;
        assert_eq!(still["server"]["token"], crate::devserver::TOKEN, "{b}: bad input changes nothing");

        let (_, list) = app.op("GET", "/herald/v1/accounts", None).await;
        assert_eq!(list["accounts"].as_array().unwrap().len(), 2, "{b}");
        let (s, _) = app.op("GET", "/herald/v1/accounts/wx0000000000000000", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn platform_api_needs_the_operator_token() {
    for app in apps().await {
        let r = app.http.get(app.url("/herald/v1/accounts")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = app.http.get(app.url("/herald/v1/accounts")).bearer_auth("wrong").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = app.http.get(app.url("/herald/v1/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn simulated_clock_is_shared_and_settable() {
    for app in apps().await {
        let (_, c) = app.op("GET", "/herald/v1/clock", None).await;
        assert_eq!(c["mode"], "simulated");
        let (s, c2) = app.op("POST", "/herald/v1/clock", Some(json!({"set": 1_800_000_000, "frozen": true}))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(c2["now"], 1_800_000_000);
        assert_eq!(c2["now_iso"], "2027-01-15T08:00:00Z");
        app.advance(3600).await;
        let (_, c3) = app.op("GET", "/herald/v1/clock", None).await;
        assert_eq!(c3["now"], 1_800_003_600);
        let (s, _) = app.op("POST", "/herald/v1/clock", Some(json!({"set": 1, "advance": 2}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
}

/// An account's introduction: given at creation or set later, trimmed, at most 120 characters
/// (a longer one is refused and changes nothing), shown by the directory to followers.
#[tokio::test]
async fn an_account_has_an_introduction() {
    for app in apps().await {
        let b = app.backend;
        let (s, e) = app
            .op("POST", "/herald/v1/accounts", Some(json!({"name": "Long", "type": "subscription", "owner": {"kind": "individual", "name": "L"}, "intro": "长".repeat(121)})))
            .await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_intro")), "{b}");
        let (s, a) = app
            .op("POST", "/herald/v1/accounts", Some(json!({"name": "Daily", "type": "subscription", "owner": {"kind": "individual", "name": "D"}, "intro": " News at seven. "})))
            .await;
        assert_eq!((s, a["intro"].as_str()), (StatusCode::CREATED, Some("News at seven.")), "{b}");
        let appid = a["appid"].as_str().unwrap();
        let (s, e) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/intro"), Some(json!({"intro": "x".repeat(121)}))).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_intro")), "{b}");
        let (_, d) = app.op("GET", &format!("/herald/v1/directory/{appid}"), None).await;
        assert_eq!(d["intro"], "News at seven.", "{b}: a refused change keeps the old one");
        let (s, v) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/intro"), Some(json!({"intro": "新闻，每天早上七点。"}))).await;
        assert_eq!((s, v["intro"].as_str()), (StatusCode::OK, Some("新闻，每天早上七点。")), "{b}");
        let (_, found) = app.op("GET", "/herald/v1/directory?q=daily", None).await;
        assert_eq!(found["accounts"][0]["intro"], "新闻，每天早上七点。", "{b}");
        let (s, v) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/intro"), Some(json!({"intro": ""}))).await;
        assert_eq!((s, v["intro"].as_str()), (StatusCode::OK, Some("")), "{b}");
        let (s, _) = app.op("PUT", "/herald/v1/accounts/wx0000000000000000/intro", Some(json!({"intro": "x"}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    }
}
