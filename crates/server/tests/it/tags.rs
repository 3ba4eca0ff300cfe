use serde_json::json;

use crate::{apps, errcode};

#[tokio::test]
async fn tags_follow_wechat_rules() {
    for app in apps().await {
        let b = app.backend;
        let svc = app.account("service", "organisation", true).await;
        let tok = app.token(&svc).await;
        let q = |p: &str| format!("/cgi-bin/{p}?access_token={tok}");
        let mut openids = Vec::new();
        for i in 0..3 {
            let u = app.user(&format!("u{i}")).await;
            openids.push(app.follow(&u, &svc).await);
        }
        let t = app.wx_post(&q("tags/create"), json!({"tag": {"name": "广东"}})).await;
        assert_eq!(t["tag"]["id"], 100, "{b}: {t}");
        assert_eq!(t["tag"]["name"], "广东");
        assert_eq!(errcode(&app.wx_post(&q("tags/create"), json!({"tag": {"name": "广东"}})).await), 45157);
        assert_eq!(errcode(&app.wx_post(&q("tags/create"), json!({"tag": {"name": "x".repeat(31)}})).await), 45158);
        assert_eq!(errcode(&app.wx_post(&q("tags/create"), json!({"tag": {}})).await), 45157);
        assert_eq!(errcode(&app.wx_post(&q("tags/update"), json!({"tag": {"id": 2, "name": "y"}})).await), 45058);
        assert_eq!(errcode(&app.wx_post(&q("tags/update"), json!({"tag": {"id": 9999, "name": "y"}})).await), 45159);
        assert_eq!(errcode(&app.wx_post(&q("tags/update"), json!({"tag": {"id": "100", "name": "广州"}})).await), 0, "{b}: string ids accepted");

        // Tagging: at most 50 openids, all or nothing.
        let r = app.wx_post(&q("tags/members/batchtagging"), json!({"openid_list": openids[..2], "tagid": 100})).await;
        assert_eq!(errcode(&r), 0, "{b}: {r}");
        let fifty_one: Vec<_> = (0..51).map(|_| openids[0].clone()).collect();
        assert_eq!(errcode(&app.wx_post(&q("tags/members/batchtagging"), json!({"openid_list": fifty_one, "tagid": 100})).await), 40032);
        assert_eq!(errcode(&app.wx_post(&q("tags/members/batchtagging"), json!({"openid_list": [openids[2], "nobody"], "tagid": 100})).await), 40003);
        assert_eq!(errcode(&app.wx_post(&q("tags/members/batchtagging"), json!({"openid_list": [openids[2]], "tagid": 777})).await), 45159);
        let tags = app.wx_get(&q("tags/get")).await;
        assert_eq!(tags["tags"], json!([{"id": 2, "name": "星标组", "count": 0}, {"id": 100, "name": "广州", "count": 2}]), "{b}");
        let ids = app.wx_post(&q("tags/getidlist"), json!({"openid": openids[0]})).await;
        assert_eq!(ids["tagid_list"], json!([100]));
        let members = app.wx_post(&q("user/tag/get"), json!({"tagid": 100, "next_openid": ""})).await;
        assert_eq!(members["count"], 2, "{b}: {members}");
        assert_eq!(members["data"]["openid"], json!(openids[..2]));
        let info = app.wx_get(&format!("/cgi-bin/user/info?access_token={tok}&openid={}", openids[0])).await;
        assert_eq!(info["tagid_list"], json!([100]));
        assert_eq!(errcode(&app.wx_post(&q("tags/members/batchuntagging"), json!({"openid_list": [openids[0]], "tagid": 100})).await), 0);
        assert_eq!(app.wx_post(&q("tags/getidlist"), json!({"openid": openids[0]})).await["tagid_list"], json!([]));

        // 100 tags per account.
        for i in 1..100 {
            let r = app.wx_post(&q("tags/create"), json!({"tag": {"name": format!("t{i}")}})).await;
            assert_eq!(errcode(&r), 0, "{b}: tag {i}: {r}");
        }
        assert_eq!(errcode(&app.wx_post(&q("tags/create"), json!({"tag": {"name": "one too many"}})).await), 45056);
        assert_eq!(errcode(&app.wx_post(&q("tags/delete"), json!({"tag": {"id": 100}})).await), 0);
        assert_eq!(errcode(&app.wx_post(&q("tags/delete"), json!({"tag": {"id": 100}})).await), 45159);
        assert_eq!(errcode(&app.wx_post(&q("tags/delete"), json!({"tag": {"id": 1}})).await), 45058);
    }
}

#[tokio::test]
async fn blacklist() {
    for app in apps().await {
        let svc = app.account("service", "organisation", true).await;
        let tok = app.token(&svc).await;
        let q = |p: &str| format!("/cgi-bin/tags/members/{p}?access_token={tok}");
        let mut openids = Vec::new();
        for i in 0..3 {
            let u = app.user(&format!("u{i}")).await;
            openids.push(app.follow(&u, &svc).await);
        }
        assert_eq!(errcode(&app.wx_post(&q("batchblacklist"), json!({"openid_list": openids[..2]})).await), 0);
        let bl = app.wx_post(&q("getblacklist"), json!({})).await;
        assert_eq!(bl["total"], 2, "{}: {bl}", app.backend);
        assert_eq!(bl["data"]["openid"], json!(openids[..2]));
        let empty_body = app.http.post(app.url(&q("getblacklist"))).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
        assert_eq!(empty_body["total"], 2);
        let after = app.wx_post(&q("getblacklist"), json!({"begin_openid": openids[0]})).await;
        assert_eq!(after["data"]["openid"], json!([openids[1]]));
        let twenty_one: Vec<_> = (0..21).map(|_| openids[2].clone()).collect();
        assert_eq!(errcode(&app.wx_post(&q("batchblacklist"), json!({"openid_list": twenty_one})).await), 40032);
        assert_eq!(errcode(&app.wx_post(&q("batchunblacklist"), json!({"openid_list": [openids[0]]})).await), 0);
        assert_eq!(app.wx_post(&q("getblacklist"), json!({})).await["data"]["openid"], json!([openids[1]]));
    }
}
