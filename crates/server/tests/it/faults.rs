//! Faults on purpose (issue 29, item 1): rules answer matching calls as WeChat fails, before
//! the handler, as often as they say, for the AppID or path they name; presets; clearing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{apps, errcode};

#[tokio::test]
async fn faults_answer_as_wechat_fails() {
    for app in apps().await {
        let a = app.account("service", "organisation", true).await;
        let b = app.account("service", "organisation", true).await;
        let (ta, tb) = (app.token(&a).await, app.token(&b).await);
        let (s, f) = app
            .op("POST", "/herald/v1/faults", Some(json!({"path": "/cgi-bin/user/get", "appid": a["appid"], "errcode": 42001, "count": 2})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        assert_eq!(f["remaining"], 2);
        let get = |t: &str| {
            let path = format!("/cgi-bin/user/get?access_token={t}");
            let app = &app;
            async move { app.wx_get(&path).await }
        };
        let first = get(&ta).await;
        assert_eq!(errcode(&first), 42001);
        assert!(first["errmsg"].as_str().unwrap().starts_with("access_token expired rid: "), "{first}");
        assert_eq!(errcode(&get(&tb).await), 0, "another account is not affected");
        assert_eq!(errcode(&get(&ta).await), 42001);
        assert_eq!(errcode(&get(&ta).await), 0, "the rule is spent after two");
        let (_, listed) = app.op("GET", "/herald/v1/faults", None).await;
        assert_eq!(listed["faults"], json!([]), "{listed}");
        assert!(listed["presets"].as_array().unwrap().iter().any(|p| p["name"] == "token-expired"));

        // A faulted token call issues no token: the call answers -1, then the real one works.
        let (s, _) = app.op("POST", "/herald/v1/faults", Some(json!({"preset": "system-busy", "path": "/cgi-bin/token", "count": 1}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let url = format!("/cgi-bin/token?grant_type=client_credential&appid={}&secret={}", a["appid"].as_str().unwrap(), a["app_secret"].as_str().unwrap());
        let busy = app.wx_get(&url).await;
        assert_eq!((errcode(&busy), busy.get("access_token")), (-1, None), "{busy}");
        assert!(app.wx_get(&url).await["access_token"].is_string());

        // WeChat Pay v3 presets answer with a status and a v3 body; clearing removes every rule.
        let (s, _) = app.op("POST", "/herald/v1/faults", Some(json!({"preset": "pay-frequency-limited"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let r = app.http.get(app.url("/v3/certificates")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "FREQUENCY_LIMITED");
        let (s, cleared) = app.op("DELETE", "/herald/v1/faults", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(cleared["cleared"].as_i64().unwrap() >= 1, "{cleared}");
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_ne!(app.http.get(app.url("/v3/certificates")).send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);

        // Bad rules are refused; the platform API cannot be faulted.
        for bad in [json!({"path": "/herald/v1/users", "errcode": 1}), json!({"path": "/cgi-bin/*"}), json!({"preset": "nope"}), json!({"path": "/cgi-bin/*", "errcode": 1, "probability": 2})] {
            let (s, _) = app.op("POST", "/herald/v1/faults", Some(bad.clone())).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        }
        let (s, _) = app.op("DELETE", "/herald/v1/faults/999999", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

/// The request log (issue 29, item 4): calls with their account, errcode and masked secrets,
/// and the fault that answered one.
#[tokio::test]
async fn the_request_log_shows_calls_with_secrets_masked() {
    for app in apps().await {
        let a = app.account("service", "organisation", true).await;
        let secret = a["app_secret"].as_str().unwrap().to_string();
        let token = app.token(&a).await;
        let (_, f) = app.op("POST", "/herald/v1/faults", Some(json!({"path": "/cgi-bin/tags/get", "errcode": 45009, "count": 1}))).await;
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/tags/get?access_token={token}")).await), 45009);
        let created = app.wx_post(&format!("/cgi-bin/tags/create?access_token={token}"), json!({"tag": {"name": "logged"}})).await;
        assert!(created["tag"]["id"].is_i64(), "{created}");
        let mut calls = Vec::new();
        for _ in 0..50 {
            let (_, page) = app.op("GET", &format!("/herald/v1/logs?appid={}", a["appid"].as_str().unwrap()), None).await;
            calls = page["calls"].as_array().cloned().unwrap_or_default();
            if calls.len() >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let paths: Vec<&str> = calls.iter().map(|c| c["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/cgi-bin/token", "/cgi-bin/tags/get", "/cgi-bin/tags/create"], "{calls:?}");
        let all = serde_json::to_string(&calls).unwrap();
        assert!(!all.contains(&secret) && !all.contains(&token), "secrets are masked: {all}");
        assert!(calls[0]["request"].as_str().unwrap().contains("secret=***"));
        assert_eq!((calls[1]["errcode"].as_i64(), calls[1]["fault"].as_i64()), (Some(45009), f["id"].as_i64()));
        assert_eq!(calls[2]["errcode"].as_i64(), None, "{}", calls[2]);
        assert!(calls[2]["request"].as_str().unwrap().contains("\"logged\""));
        assert!(calls[2]["response"].as_str().unwrap().contains("\"logged\""));
    }
}
