//! Template messages from the console (issue 27): industries, templates added from the library
//! and deleted, one sent to a follower (who sees it in the chat); the account-type and follower
//! rules of `/cgi-bin` apply. Every test runs on each backend.

use reqwest::StatusCode;
use serde_json::json;

use crate::console::{owner_with_account, Console};
use crate::{apps, suffix};

#[tokio::test]
async fn an_owner_sends_a_template_message_from_the_console() {
    for app in apps().await {
        let (acc, email) = owner_with_account(&app, "tpl").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let base = format!("/herald/v1/accounts/{appid}/templates");

        let (s, v) = owner.call(&app, "GET", &base, None, false).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["industries"].as_array().unwrap().len(), 41);
        assert!(v["templates"].as_array().unwrap().is_empty());
        let lib = v["library"].as_array().unwrap();
        let balance = lib.iter().find(|t| t["template_id_short"] == "TM00352").unwrap();
        assert_eq!(balance["keys"], json!(["first", "keyword1", "keyword2", "keyword3", "remark"]));

        let (s, v) = owner.call(&app, "PUT", &format!("{base}/industry"), Some(json!({"industry_id1": 7, "industry_id2": 99})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");
        let (s, v) = owner.call(&app, "PUT", &format!("{base}/industry"), Some(json!({"industry_id1": 7, "industry_id2": 1})), true).await;
        assert_eq!((s, v["industry_id1"].as_i64(), v["industry_id2"].as_i64()), (StatusCode::OK, Some(7), Some(1)), "{v}");
        let (s, v) = owner.call(&app, "POST", &base, Some(json!({"template_id_short": "TM00352"})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let t = &v["templates"][0];
        assert_eq!(t["title"], "账户余额变动提醒");
        let template_id = t["template_id"].as_str().unwrap().to_string();
        // The wire sees the same template.
        let token = app.token(&acc).await;
        let wire = app.wx_get(&format!("/cgi-bin/template/get_all_private_template?access_token={token}")).await;
        assert_eq!(wire["template_list"][0]["template_id"], template_id.as_str());

        // Sent to a follower, who sees it in the chat; not to someone who does not follow.
        let fan = app.user("Template Fan").await;
        let openid = app.follow(&fan, &acc).await;
        let data = json!({"first": "Your balance changed", "keyword1": "2026-12-07 10:00", "keyword2": "-100.00", "keyword3": "900.00", "remark": "Call us if it was not you"});
        let (s, v) = owner.call(&app, "POST", &format!("{base}/send"), Some(json!({"touser": openid, "template_id": template_id, "url": "https://bank.example/tx", "data": data})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["msgid"].as_i64().unwrap() > 0);
        let (_, conv) = app.op("GET", &format!("/herald/v1/users/{fan}/conversations/{appid}"), None).await;
        let text = conv.to_string();
        assert!(text.contains("变动金额：-100.00") && text.contains("https://bank.example/tx"), "{conv}");
        let (s, v) = owner.call(&app, "POST", &format!("{base}/send"), Some(json!({"touser": "o_nobody", "template_id": template_id, "data": data})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("refused")), "{v}");

        // Deleted; an editor may not touch templates; another owner sees nothing.
        let (s, v) = owner.call(&app, "DELETE", &format!("{base}/{template_id}"), None, true).await;
        assert_eq!((s, v["templates"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{v}");
        let (_, rival_email) = owner_with_account(&app, "tplrival").await;
        let rival = Console::signin(&app, &rival_email, "correct horse").await.unwrap();
        assert_eq!(rival.call(&app, "GET", &base, None, false).await.0, StatusCode::NOT_FOUND);
        let ed_email = format!("ed{}@example.com", suffix());
        let (_, inv) = owner.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": ed_email, "role": "editor"})), true).await;
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = http.post(app.url(&format!("/herald/v1/console/invitations/{}/accept", inv["invite_token"].as_str().unwrap()))).json(&json!({"password": "editor pass"})).send().await.unwrap();
        let editor = Console::from_answer(http, r).await.unwrap();
        assert_eq!(editor.call(&app, "POST", &base, Some(json!({"template_id_short": "TM00352"})), true).await.0, StatusCode::FORBIDDEN);

        // A subscription account has no template messages (48001, as on the wire).
        let sub = app.account("subscription", "organisation", true).await;
        let (s, v) = app.op("GET", &format!("/herald/v1/accounts/{}/templates", sub["appid"].as_str().unwrap()), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v["message"].as_str().unwrap().contains("48001"), "{v}");
    }
}
