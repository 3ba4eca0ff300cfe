//! Each account's API call log in the console (issue 27): its `/cgi-bin` calls, newest first,
//! with path, errcode and latency, secrets masked; errors alone on request; paged; for the owner
//! and the roles that see developer settings only. Every test runs on each backend.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::{owner_with_account, Console};
use crate::{apps, config, start_with, suffix, App};

/// The account's calls as the console reads them, once the log's writer has `n` of them.
async fn calls(app: &App, who: &Console, appid: &str, query: &str, n: usize) -> Value {
    for _ in 0..100 {
        let (s, v) = who.call(app, "GET", &format!("/herald/v1/accounts/{appid}/api_calls{query}"), None, false).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["calls"].as_array().unwrap().len() >= n {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the log never held {n} calls for {appid}{query}");
}

#[tokio::test]
async fn an_owner_reads_its_accounts_api_calls() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "apilog").await;
        let (other, _) = owner_with_account(&app, "quiet").await;
        let appid = acc["appid"].as_str().unwrap();
        let secret = acc["app_secret"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();

        // A wrong secret, a right one, then a call with the token.
        let bad = app.wx_get(&format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={}", "x".repeat(32))).await;
        assert_eq!(bad["errcode"], 40125, "{bad}");
        let token = app.token(&acc).await;
        let fan = app.user("Logged Fan").await;
        let openid = app.follow(&fan, &acc).await;
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={token}&openid={openid}")).await;
        assert_eq!(info["subscribe"], 1, "{info}");
        // Another account's call is not this account's.
        app.token(&other).await;

        let v = calls(&app, &owner, appid, "", 3).await;
        assert_eq!((v["enabled"].as_bool(), v["keep_days"].as_i64()), (Some(true), Some(1)));
        let list = v["calls"].as_array().unwrap();
        let paths: Vec<&str> = list.iter().map(|c| c["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/cgi-bin/user/info", "/cgi-bin/token", "/cgi-bin/token"], "newest first, this account's WeChat calls only: {v}");
        assert_eq!((list[0]["errcode"].clone(), list[2]["errcode"].as_i64()), (Value::Null, Some(40125)));
        assert!(list.iter().all(|c| c["latency_ms"].as_i64().is_some_and(|l| l >= 0) && c["status"] == 200), "{v}");
        let text = v.to_string();
        assert!(!text.contains(secret) && !text.contains(&token), "secrets masked: {text}");
        assert!(list[1]["request"].as_str().unwrap().contains("secret=***") && list[1]["response"].as_str().unwrap().contains("\"access_token\":\"***\""), "{v}");

        // Errors alone; pages of one.
        let errors = calls(&app, &owner, appid, "?errors=true", 1).await;
        assert_eq!(errors["calls"].as_array().unwrap().iter().map(|c| c["errcode"].clone()).collect::<Vec<_>>(), vec![json!(40125)]);
        let first = calls(&app, &owner, appid, "?limit=1", 1).await;
        assert_eq!(first["calls"][0]["path"], "/cgi-bin/user/info");
        let next = first["next"].as_i64().unwrap();
        let second = calls(&app, &owner, appid, &format!("?limit=2&before={next}"), 2).await;
        assert_eq!(second["calls"].as_array().unwrap().iter().map(|c| c["path"].clone()).collect::<Vec<_>>(), vec![json!("/cgi-bin/token"), json!("/cgi-bin/token")]);

        // Another owner sees nothing of it; an agent may not read developer settings.
        let (_, rival_email) = owner_with_account(&app, "rival").await;
        let rival = Console::signin(&app, &rival_email, "correct horse").await.unwrap();
        assert_eq!(rival.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/api_calls"), None, false).await.0, StatusCode::NOT_FOUND);
        let agent_email = format!("ag{}@example.com", suffix());
        let (_, inv) = owner.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": agent_email, "role": "agent"})), true).await;
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = http.post(app.url(&format!("/herald/v1/console/invitations/{}/accept", inv["invite_token"].as_str().unwrap()))).json(&json!({"password": "agent pass"})).send().await.unwrap();
        let agent = Console::from_answer(http, r).await.unwrap();
        assert_eq!(agent.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/api_calls"), None, false).await.0, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_server_that_keeps_no_log_says_so() {
    let path = std::env::temp_dir().join(format!("herald-it-{}.db", suffix()));
    let mut cfg = config(&format!("sqlite://{}", path.display()));
    cfg.request_log = false;
    let app = start_with("sqlite", cfg).await;
    let (acc, _) = owner_with_account(&app, "nolog").await;
    app.token(&acc).await;
    let (s, v) = app.op("GET", &format!("/herald/v1/accounts/{}/api_calls", acc["appid"].as_str().unwrap()), None).await;
    assert_eq!((s, v["enabled"].as_bool(), v["calls"].as_array().map(Vec::len)), (StatusCode::OK, Some(false), Some(0)), "{v}");
}
