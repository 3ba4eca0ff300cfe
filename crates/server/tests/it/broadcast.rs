//! Broadcast end to end: mass messages under the seeds' quotas across day and month
//! boundaries, clientmsgid, preview, MASSSENDJOBFINISH, templates, drafts and publishing, and
//! the follower's chat list and subscription folder.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::devserver::{Behaviour, DevServer};
use crate::{apps, errcode, App};

/// 2026-01-30T12:00:00+08:00.
const JAN_30_NOON: i64 = 1_769_745_600;

impl App {
    async fn set_clock(&self, t: i64) {
        let (s, v) = self.op("POST", "/herald/v1/clock", Some(json!({"set": t, "frozen": true}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// The developer server's events named `event`, waiting until there are `n`.
    async fn wait_events(&self, dev: &DevServer, event: &str, n: usize) -> Vec<herald_wire::callback::xml::Element> {
        for _ in 0..400 {
            let got: Vec<_> = dev.received().into_iter().map(|r| r.message).filter(|m| m.get("Event") == Some(event)).collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{}: fewer than {n} {event} events", self.backend);
    }

    async fn chats(&self, user: &str) -> Vec<Value> {
        let (s, v) = self.op("GET", &format!("/herald/v1/users/{user}/chats"), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["chats"].as_array().unwrap().clone()
    }
}

/// A verified service account with a developer server (plain mode), and its `access_token=` query.
async fn service_with_server(app: &App) -> (Value, DevServer, String) {
    let acct = app.account("service", "organisation", true).await;
    let dev = DevServer::start(acct["appid"].as_str().unwrap(), Behaviour::Success).await;
    app.set_server(&acct, &dev.url, "plain").await;
    let token = app.token(&acct).await;
    (acct, dev, format!("access_token={token}"))
}

fn count(e: &herald_wire::callback::xml::Element, k: &str) -> i64 {
    e.get(k).unwrap().parse().unwrap()
}

#[tokio::test]
async fn service_accounts_reach_each_follower_four_times_a_month() {
    for app in apps().await {
        app.set_clock(JAN_30_NOON).await;
        let acct = app.account("service", "organisation", true).await;
        let dev = DevServer::start(acct["appid"].as_str().unwrap(), Behaviour::Success).await;
        let (s, v) = app.set_server(&acct, &dev.url, "plain").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let token = app.token(&acct).await;
        let users = [app.user("a").await, app.user("b").await, app.user("c").await];
        for u in &users {
            app.follow(u, &acct).await;
        }
        let send = |text: String, cid: Option<&str>| {
            let mut body = json!({"filter": {"is_to_all": true}, "msgtype": "text", "text": {"content": text}});
            if let Some(c) = cid {
                body["clientmsgid"] = json!(c);
            }
            body
        };
        let path = format!("/cgi-bin/message/mass/sendall?access_token={token}");
        let mut ids = Vec::new();
        for i in 0..4 {
            let r = app.wx_post(&path, send(format!("news {i}"), Some(&format!("cid-{i}")))).await;
            assert_eq!(errcode(&r), 0, "{r}");
            assert_eq!(r["errmsg"], "send job submission success");
            ids.push(r["msg_id"].as_i64().unwrap());
        }
        // A repeated clientmsgid is a no-op that answers the first result.
        let again = app.wx_post(&path, send("news 0 again".into(), Some("cid-0"))).await;
        assert_eq!(again["msg_id"].as_i64(), Some(ids[0]));
        let done = app.wait_events(&dev, "MASSSENDJOBFINISH", 4).await;
        for e in &done {
            assert_eq!((count(e, "TotalCount"), count(e, "FilterCount"), count(e, "SentCount"), count(e, "ErrorCount")), (3, 0, 3, 0));
            assert_eq!(e.get("Status"), Some("send success"));
        }
        // A newcomer joins; the fifth message of the month reaches only them.
        let d = app.user("d").await;
        app.follow(&d, &acct).await;
        let r = app.wx_post(&path, send("fifth".into(), None)).await;
        assert_eq!(errcode(&r), 0, "{r}");
        let e = app.wait_events(&dev, "MASSSENDJOBFINISH", 5).await.pop().unwrap();
        assert_eq!(e.get("MsgID").unwrap(), r["msg_id"].to_string());
        assert_eq!((count(&e, "TotalCount"), count(&e, "FilterCount"), count(&e, "SentCount")), (4, 3, 1));
        let get = app.wx_post(&format!("/cgi-bin/message/mass/get?access_token={token}"), json!({"msg_id": r["msg_id"]})).await;
        assert_eq!(get["msg_status"], "SEND_SUCCESS", "{get}");

        // The chat list shows the pushes, newest first, with unread counts; reading clears them.
        let chats = app.chats(&users[0]).await;
        assert_eq!(chats[0]["appid"], acct["appid"]);
        assert_eq!(chats[0]["unread"], 4, "{chats:?}");
        assert_eq!(chats[0]["last"]["preview"], "news 3");
        assert_eq!(app.chats(&d).await[0]["last"]["preview"], "fifth");
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{}/chats/{}/read", users[0], acct["appid"].as_str().unwrap()), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.chats(&users[0]).await[0]["unread"], 0);

        // A new calendar month (in China Standard Time) restores everyone's quota.
        app.set_clock(JAN_30_NOON + 2 * 86_400).await;
        let token = app.token(&acct).await;
        let path = format!("/cgi-bin/message/mass/sendall?access_token={token}");
        let r = app.wx_post(&path, send("february".into(), None)).await;
        assert_eq!(errcode(&r), 0, "{r}");
        let e = app.wait_events(&dev, "MASSSENDJOBFINISH", 6).await.pop().unwrap();
        assert_eq!((count(&e, "TotalCount"), count(&e, "FilterCount"), count(&e, "SentCount")), (4, 0, 4));

        // Deleting a message takes it out of followers' views.
        app.wait_events(&dev, "MASSSENDJOBFINISH", 6).await;
        let del = app.wx_post(&format!("/cgi-bin/message/mass/delete?access_token={token}"), json!({"msg_id": r["msg_id"]})).await;
        assert_eq!(errcode(&del), 0, "{del}");
        assert_eq!(app.chats(&d).await[0]["last"]["preview"], "fifth");
        app.stop().await;
    }
}

#[tokio::test]
async fn subscription_accounts_send_once_a_day_into_the_folder() {
    for app in apps().await {
        app.set_clock(JAN_30_NOON).await;
        let acct = app.account("subscription", "organisation", true).await;
        let token = app.token(&acct).await;
        let u = app.user("reader").await;
        let openid = app.follow(&u, &acct).await;
        // Unverified accounts cannot mass-send at all; this one is verified.
        let path = format!("/cgi-bin/message/mass/sendall?access_token={token}");
        let body = json!({"filter": {"is_to_all": true}, "msgtype": "text", "text": {"content": "daily"}});
        assert_eq!(errcode(&app.wx_post(&path, body.clone()).await), 0);
        let second = app.wx_post(&path, body.clone()).await;
        assert_eq!(errcode(&second), 45028, "{second}");
        // Preview is outside every quota.
        let p = app.wx_post(&format!("/cgi-bin/message/mass/preview?access_token={token}"), json!({"touser": openid, "msgtype": "text", "text": {"content": "preview"}})).await;
        assert_eq!(errcode(&p), 0, "{p}");
        // mass/send by openid is for service accounts.
        let s = app.wx_post(&format!("/cgi-bin/message/mass/send?access_token={token}"), json!({"touser": [openid], "msgtype": "text", "text": {"content": "x"}})).await;
        assert_eq!(errcode(&s), 48001);
        // Midnight in China Standard Time is a new day.
        app.set_clock(JAN_30_NOON + 12 * 3600).await;
        let token = app.token(&acct).await;
        let path = format!("/cgi-bin/message/mass/sendall?access_token={token}");
        assert_eq!(errcode(&app.wx_post(&path, body.clone()).await), 0);

        // Both landed in the subscription folder, newest first, and the chat list folds them.
        let mut items = Vec::new();
        for _ in 0..200 {
            let (_, f) = app.op("GET", &format!("/herald/v1/users/{u}/subscriptions"), None).await;
            items = f["items"].as_array().unwrap().clone();
            if items.len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(items[0]["created_at"].as_i64() > items[1]["created_at"].as_i64());
        let chats = app.chats(&u).await;
        let folder = chats.iter().find(|c| c["kind"] == "subscriptions").expect("a Subscriptions entry");
        assert_eq!(folder["unread"], 2);
        assert_eq!(folder["notify"], false);
        // Template messages are for service accounts.
        let t = app.wx_post(&format!("/cgi-bin/template/api_add_template?access_token={token}"), json!({"template_id_short": "TM00015"})).await;
        assert_eq!(errcode(&t), 48001);
        app.stop().await;
    }
}

#[tokio::test]
async fn templates_send_and_report() {
    for app in apps().await {
        let (acct, dev, q) = service_with_server(&app).await;
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/template/api_set_industry?{q}"), json!({"industry_id1": 1, "industry_id2": "4"})).await), 0);
        let ind = app.wx_get(&format!("/cgi-bin/template/get_industry?{q}")).await;
        assert_eq!(ind["primary_industry"]["first_class"], "IT科技");
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/template/api_set_industry?{q}"), json!({"industry_id1": 99, "industry_id2": 1})).await), 40102);
        let added = app.wx_post(&format!("/cgi-bin/template/api_add_template?{q}"), json!({"template_id_short": "TM00015"})).await;
        let tid = added["template_id"].as_str().unwrap().to_string();
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/template/api_add_template?{q}"), json!({"template_id_short": "NOPE"})).await), 40037);
        let list = app.wx_get(&format!("/cgi-bin/template/get_all_private_template?{q}")).await;
        assert_eq!(list["template_list"][0]["template_id"], tid);
        assert!(list["template_list"][0]["content"].as_str().unwrap().contains("{{orderMoneySum.DATA}}"));

        let u = app.user("buyer").await;
        let openid = app.follow(&u, &acct).await;
        let send = |to: &str, tid: &str| json!({"touser": to, "template_id": tid, "url": "https://example.com/o/1",
            "data": {"first": {"value": "Paid", "color": "#173177"}, "orderMoneySum": {"value": "30.00"}, "orderProductName": {"value": "Tea"}, "Remark": {"value": "Thanks"}}});
        let r = app.wx_post(&format!("/cgi-bin/message/template/send?{q}"), send(&openid, &tid)).await;
        assert_eq!(errcode(&r), 0, "{r}");
        let msgid = r["msgid"].as_i64().unwrap();
        let ev = app.wait_events(&dev, "TEMPLATESENDJOBFINISH", 1).await;
        assert_eq!(ev[0].get("MsgID").unwrap(), msgid.to_string());
        assert_eq!(ev[0].get("Status"), Some("success"));
        assert_eq!(ev[0].get("FromUserName"), Some(openid.as_str()));
        let conv = app.conversation(&u, &acct).await;
        let last = conv.last().unwrap();
        assert_eq!(last["msgtype"], "template");
        assert!(last["body"]["content"].as_str().unwrap().contains("支付金额：30.00"));
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/template/send?{q}"), send(&openid, "unknown")).await), 40037);
        // Blacklisted followers get 43019, unfollowed users 43004.
        app.wx_post(&format!("/cgi-bin/tags/members/batchblacklist?{q}"), json!({"openid_list": [&openid]})).await;
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/template/send?{q}"), send(&openid, &tid)).await), 43019);
        app.wx_post(&format!("/cgi-bin/tags/members/batchunblacklist?{q}"), json!({"openid_list": [&openid]})).await;
        app.op("POST", &format!("/herald/v1/users/{u}/unfollow"), Some(json!({"appid": acct["appid"]}))).await;
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/template/send?{q}"), send(&openid, &tid)).await), 43004);
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/template/del_private_template?{q}"), json!({"template_id": tid})).await), 0);
        assert!(app.wx_get(&format!("/cgi-bin/template/get_all_private_template?{q}")).await["template_list"].as_array().unwrap().is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn tags_and_the_blacklist_decide_who_is_targeted() {
    for app in apps().await {
        let (acct, dev, q) = service_with_server(&app).await;
        let mut openids = Vec::new();
        for n in ["x", "y", "z"] {
            let u = app.user(n).await;
            openids.push(app.follow(&u, &acct).await);
        }
        let tag = app.wx_post(&format!("/cgi-bin/tags/create?{q}"), json!({"tag": {"name": "VIP"}})).await["tag"]["id"].clone();
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/tags/members/batchtagging?{q}"), json!({"openid_list": &openids[..2], "tagid": tag})).await), 0);
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/tags/members/batchblacklist?{q}"), json!({"openid_list": [&openids[0]]})).await), 0);
        let text = json!({"msgtype": "text", "text": {"content": "hi"}});
        let mut to_tag = text.clone();
        to_tag["filter"] = json!({"is_to_all": false, "tag_id": tag});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/mass/sendall?{q}"), to_tag).await), 0);
        let e = app.wait_events(&dev, "MASSSENDJOBFINISH", 1).await.pop().unwrap();
        assert_eq!((count(&e, "TotalCount"), count(&e, "SentCount")), (1, 1), "the tag minus the blacklisted follower");
        let mut to_all = text.clone();
        to_all["filter"] = json!({"is_to_all": true});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/mass/sendall?{q}"), to_all).await), 0);
        let e = app.wait_events(&dev, "MASSSENDJOBFINISH", 2).await.pop().unwrap();
        assert_eq!((count(&e, "TotalCount"), count(&e, "SentCount")), (2, 2), "everyone but the blacklisted follower");
        let mut bad = text;
        bad["filter"] = json!({"is_to_all": false, "tag_id": 9999});
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/mass/sendall?{q}"), bad).await), 45159);
        app.stop().await;
    }
}
