use reqwest::StatusCode;
use serde_json::json;

use crate::{apps, errcode};

#[tokio::test]
async fn followers_list_info_and_remarks() {
    for app in apps().await {
        let b = app.backend;
        let svc = app.account("service", "organisation", true).await;
        let other = app.account("subscription", "organisation", true).await;
        let tok = app.token(&svc).await;
        let mut openids = Vec::new();
        for i in 0..3 {
            let u = app.user(&format!("user{i}")).await;
            openids.push(app.follow(&u, &svc).await);
            app.follow(&u, &other).await;
        }
        let page = app.wx_get(&format!("/cgi-bin/user/get?access_token={tok}")).await;
        assert_eq!(page["total"], 3, "{b}");
        assert_eq!(page["count"], 3);
        assert_eq!(page["data"]["openid"], json!(openids));
        assert_eq!(page["next_openid"], openids[2].as_str());
        let last = app.wx_get(&format!("/cgi-bin/user/get?access_token={tok}&next_openid={}", openids[2])).await;
        assert_eq!(last["count"], 0, "{b}");
        assert!(last.get("data").is_none(), "{b}: an empty page has no data, as WeChat");
        assert_eq!(last["next_openid"], "");
        let from1 = app.wx_get(&format!("/cgi-bin/user/get?access_token={tok}&next_openid={}", openids[0])).await;
        assert_eq!(from1["data"]["openid"], json!(openids[1..]));
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/user/get?access_token={tok}&next_openid=bogus")).await), 40003);

        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}&openid={}&lang=zh_CN", openids[0])).await;
        assert_eq!(info["subscribe"], 1, "{b}");
        for field in ["subscribe_time", "unionid", "remark", "tagid_list", "subscribe_scene", "qr_scene", "qr_scene_str", "groupid", "language"] {
            assert!(info.get(field).is_some(), "{b}: user/info lacks {field}: {info}");
        }
        assert_eq!(info["subscribe_scene"], "ADD_SCENE_SEARCH");
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}")).await), 41009);
        assert_eq!(errcode(&app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}&openid=nobody")).await), 40003);

        // UnionID is the same for both accounts of different owners? No: one per owner.
        let (_, rel) = app.op("GET", "/herald/v1/users", None).await;
        let uid = rel["users"][0]["id"].as_str().unwrap().to_string();
        let (_, following) = app.op("GET", &format!("/herald/v1/users/{uid}/following"), None).await;
        let f = following["following"].as_array().unwrap();
        assert_eq!(f.len(), 2);
        assert_ne!(f[0]["openid"], f[1]["openid"], "{b}: one openid per account");
        assert_ne!(f[0]["unionid"], f[1]["unionid"], "{b}: different owners, different unionids");

        // Remarks.
        let r = app.wx_post(&format!("/cgi-bin/user/info/updateremark?access_token={tok}"), json!({"openid": openids[1], "remark": "老客户"})).await;
        assert_eq!(errcode(&r), 0, "{b}: {r}");
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}&openid={}", openids[1])).await;
        assert_eq!(info["remark"], "老客户");
        let r = app.wx_post(&format!("/cgi-bin/user/info/updateremark?access_token={tok}"), json!({"openid": openids[1], "remark": "x".repeat(31)})).await;
        assert_eq!(errcode(&r), 40035);

        // batchget, with wechat-api's `language` key.
        let list: Vec<_> = openids.iter().map(|o| json!({"openid": o, "language": "zh-CN"})).collect();
        let batch = app.wx_post(&format!("/cgi-bin/user/info/batchget?access_token={tok}"), json!({"user_list": list})).await;
        assert_eq!(batch["user_info_list"].as_array().unwrap().len(), 3, "{b}: {batch}");
        let too_many: Vec<_> = (0..101).map(|_| json!({"openid": openids[0]})).collect();
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/user/info/batchget?access_token={tok}"), json!({"user_list": too_many})).await), 40032);

        // Unfollow: subscribe 0, out of the list, openid kept on return.
        let (s, r) = app.op("POST", &format!("/herald/v1/users/{uid}/unfollow"), Some(json!({"appid": svc["appid"]}))).await;
        assert_eq!((s, r["subscribed"].as_bool()), (StatusCode::OK, Some(false)));
        let gone = app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}&openid={}", r["openid"].as_str().unwrap())).await;
        assert_eq!(gone["subscribe"], 0, "{b}");
        assert!(gone.get("subscribe_time").is_none());
        assert_eq!(app.wx_get(&format!("/cgi-bin/user/get?access_token={tok}")).await["total"], 2);
        let again = app.follow(&uid, &svc).await;
        assert_eq!(again, r["openid"].as_str().unwrap(), "{b}: stable openid");
    }
}

#[tokio::test]
async fn unverified_accounts_cannot_manage_users() {
    for app in apps().await {
        let sub = app.account("subscription", "individual", false).await;
        let tok = app.token(&sub).await;
        for path in ["/cgi-bin/user/get", "/cgi-bin/tags/get"] {
            let v = app.wx_get(&format!("{path}?access_token={tok}")).await;
            assert_eq!(errcode(&v), 48001, "{}: {path}", app.backend);
            assert!(v["errmsg"].as_str().unwrap().starts_with("api unauthorized"));
        }
        let v = app.wx_post(&format!("/cgi-bin/tags/create?access_token={tok}"), json!({"tag": {"name": "x"}})).await;
        assert_eq!(errcode(&v), 48001);
    }
}
