use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::devserver::{Behaviour, DevServer, AES_KEY, TOKEN};
use crate::{apps, errcode, start_with, App};

impl App {
    pub async fn set_server(&self, account: &Value, url: &str, mode: &str) -> (StatusCode, Value) {
        let appid = account["appid"].as_str().unwrap();
        self.op(
            "PUT",
            &format!("/herald/v1/accounts/{appid}/server"),
            Some(json!({"url": url, "token": TOKEN, "encoding_aes_key": AES_KEY, "message_mode": mode})),
        )
        .await
    }

    pub async fn say(&self, user: &str, account: &Value, text: &str) -> Value {
        let (s, m) = self
            .op("POST", &format!("/herald/v1/users/{user}/messages"), Some(json!({"appid": account["appid"], "msgtype": "text", "content": text})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        m
    }

    pub async fn conversation(&self, user: &str, account: &Value) -> Vec<Value> {
        let (_, c) = self.op("GET", &format!("/herald/v1/users/{user}/conversations/{}", account["appid"].as_str().unwrap()), None).await;
        c["messages"].as_array().unwrap().clone()
    }

    /// Polls the conversation until `n` messages are in it (or fails after 20 s).
    pub async fn wait_messages(&self, user: &str, account: &Value, n: usize) -> Vec<Value> {
        for _ in 0..400 {
            let c = self.conversation(user, account).await;
            if c.len() >= n {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: conversation never reached {n} messages: {:?}", self.backend, self.conversation(user, account).await);
    }

    /// Waits until no delivery of the account is pending.
    pub async fn settle(&self, account: &Value) {
        for _ in 0..400 {
            if self.deliveries(account).await.iter().all(|d| d["state"] != "pending") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: deliveries never settled", self.backend);
    }

    pub async fn deliveries(&self, account: &Value) -> Vec<Value> {
        let (_, d) = self.op("GET", &format!("/herald/v1/accounts/{}/deliveries", account["appid"].as_str().unwrap()), None).await;
        d["deliveries"].as_array().unwrap().clone()
    }
}

fn texts(conv: &[Value]) -> Vec<String> {
    conv.iter().map(|m| format!("{}:{}", m["source"].as_str().unwrap(), m["body"]["content"].as_str().unwrap_or(""))).collect()
}

#[tokio::test]
async fn url_verification_when_the_server_is_saved() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Echo).await;
        let (s, a) = app.set_server(&acc, &dev.url, "plain").await;
        assert_eq!(s, StatusCode::OK, "{a}");
        let appid = acc["appid"].as_str().unwrap();
        // A wrong token fails the echo check; nothing is saved.
        let (s, e) = app
            .op("PUT", &format!("/herald/v1/accounts/{appid}/server"), Some(json!({"url": dev.url, "token": "wrongtoken", "message_mode": "plain"})))
            .await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("url_verification_failed")));
        let (s, e) = app.set_server(&acc, "http://127.0.0.1:1/nothing-here", "plain").await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("url_verification_failed")), "{e}");
        // A URL that answers with an error status says which.
        let (s, e) = app.set_server(&acc, &format!("{}/missing", dev.url), "plain").await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("url_verification_failed")), "{e}");
        assert_eq!(e["message"], "the URL answered HTTP 404 Not Found", "{e}");
        let (_, shown) = app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await;
        assert_eq!(shown["server"]["url"], dev.url.as_str());
        assert_eq!(shown["server"]["token"], TOKEN);
    }
}

#[tokio::test]
async fn private_callback_addresses_are_refused_by_default() {
    let path = std::env::temp_dir().join(format!("herald-it-guard-{}.db", crate::suffix()));
    let mut cfg = crate::config(&format!("sqlite://{}", path.display()));
    cfg.allow_private_callbacks = false;
    let app = start_with("sqlite", cfg).await;
    let acc = app.account("service", "organisation", true).await;
    let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Echo).await;
    let (s, e) = app.set_server(&acc, &dev.url, "plain").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("url_verification_failed")));
    assert!(e["message"].as_str().unwrap().contains("non-public"), "{e}");
    // Loopback and private addresses in disguise are refused as such too (issue 25).
    let port = url::Url::parse(&dev.url).unwrap().port().unwrap();
    for host in ["[::127.0.0.1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "192.0.0.1", "[64:ff9b::a00:1]"] {
        let url = format!("http://{host}:{port}/wx");
        let (s, e) = app.set_server(&acc, &url, "plain").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}");
        assert!(e["message"].as_str().unwrap().contains("non-public"), "{url}: {e}");
    }
}

async fn round_trip(app: &App, mode: &str) {
    let acc = app.account("service", "organisation", true).await;
    let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Echo).await;
    assert_eq!(app.set_server(&acc, &dev.url, mode).await.0, StatusCode::OK);
    let user = app.user("alice").await;
    let openid = app.follow(&user, &acc).await;
    app.wait_messages(&user, &acc, 1).await;
    app.say(&user, &acc, "hello").await;
    let conv = app.wait_messages(&user, &acc, 3).await;
    assert_eq!(texts(&conv), ["passive_reply:echo: subscribe", "user:hello", "passive_reply:echo: hello"], "{} {mode}", app.backend);
    let got = dev.received();
    assert_eq!(dev.bad_signatures(), 0);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].message.get("Event"), Some("subscribe"));
    let m = &got[1].message;
    assert_eq!(m.get("MsgType"), Some("text"));
    assert_eq!(m.get("Content"), Some("hello"));
    assert_eq!(m.get("FromUserName"), Some(openid.as_str()));
    assert_eq!(m.get("ToUserName"), acc["original_id"].as_str());
    assert_eq!(m.get("MsgId").map(str::to_string), conv[1]["msg_id"].as_i64().map(|i| i.to_string()));
    assert_eq!(got[1].query["openid"], openid.as_str());
    assert_eq!(got[1].encrypted, mode != "plain");
    let d = app.deliveries(&acc).await;
    assert_eq!(d[0]["state"], "done");
    assert_eq!(d[0]["attempts"][0]["status"], 200);
}

#[tokio::test]
async fn plain_compatible_and_safe_mode_round_trips() {
    for app in apps().await {
        for mode in ["plain", "compatible", "safe"] {
            round_trip(&app, mode).await;
        }
    }
}

#[tokio::test]
async fn a_slow_server_gets_three_attempts_then_the_user_sees_the_notice() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Success).await;
        assert_eq!(app.set_server(&acc, &dev.url, "safe").await.0, StatusCode::OK);
        let user = app.user("bob").await;
        app.follow(&user, &acc).await;
        app.settle(&acc).await;
        dev.set(Behaviour::Slow(Duration::from_secs(6)));
        app.say(&user, &acc, "anyone there?").await;
        let conv = app.wait_messages(&user, &acc, 2).await;
        assert_eq!(texts(&conv), ["user:anyone there?", "notice:该公众号暂时无法提供服务，请稍后再试"], "{}", app.backend);
        let msg_ids: Vec<_> = dev.received().iter().skip(1).map(|r| r.message.get("MsgId").unwrap().to_string()).collect();
        assert_eq!(msg_ids.len(), 3, "three attempts in all");
        assert!(msg_ids.iter().all(|m| m == &msg_ids[0]), "the same MsgId each time");
        let d = &app.deliveries(&acc).await[0];
        assert_eq!(d["state"], "failed");
        let attempts = d["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 3);
        assert!(attempts.iter().all(|a| a["error"].as_str().unwrap().contains("5000 ms")), "{attempts:?}");
        assert!(attempts.iter().all(|a| a["latency_ms"].as_i64().unwrap() >= 4900));
        // Safe mode: the log shows each encrypted request decrypted for reading.
        for a in attempts {
            assert!(a["request"].as_str().unwrap().contains("<Encrypt>"), "{a}");
            let plain = a["request_plain"].as_str().unwrap();
            assert!(plain.contains("<Content><![CDATA[anyone there?]]></Content>") && !plain.contains("<Encrypt>"), "{plain}");
        }
    }
}

#[tokio::test]
async fn a_dead_server_fails_and_can_be_redelivered() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Success).await;
        assert_eq!(app.set_server(&acc, &dev.url, "plain").await.0, StatusCode::OK);
        let user = app.user("carol").await;
        app.follow(&user, &acc).await;
        app.settle(&acc).await;
        dev.set(Behaviour::Fail);
        app.say(&user, &acc, "one").await;
        let conv = app.wait_messages(&user, &acc, 2).await;
        assert_eq!(conv[1]["source"], "notice");
        let failed = app.deliveries(&acc).await;
        assert_eq!(failed[0]["state"], "failed");
        assert_eq!(failed[0]["attempts"].as_array().unwrap().len(), 3);
        assert_eq!(failed[0]["attempts"][0]["status"], 500);
        // Malformed replies are not retried.
        dev.set(Behaviour::Malformed);
        app.say(&user, &acc, "two").await;
        let conv = app.wait_messages(&user, &acc, 4).await;
        assert_eq!(conv[3]["source"], "notice");
        assert_eq!(app.deliveries(&acc).await[0]["attempts"].as_array().unwrap().len(), 1);
        // The server recovers; the operator redelivers everything that failed.
        dev.set(Behaviour::Echo);
        let appid = acc["appid"].as_str().unwrap();
        let (s, r) = app.op("POST", &format!("/herald/v1/accounts/{appid}/deliveries/redeliver_failed"), None).await;
        assert_eq!((s, r["requeued"].as_i64()), (StatusCode::OK, Some(2)), "{}", app.backend);
        let conv = app.wait_messages(&user, &acc, 6).await;
        let mut tail = texts(&conv[4..]);
        tail.sort();
        assert_eq!(tail, ["passive_reply:echo: one", "passive_reply:echo: two"]);
        // One delivery again, by id.
        let id = app.deliveries(&acc).await[0]["id"].as_i64().unwrap();
        let (s, _) = app.op("POST", &format!("/herald/v1/accounts/{appid}/deliveries/{id}/redeliver"), None).await;
        assert_eq!(s, StatusCode::OK);
        app.wait_messages(&user, &acc, 7).await;
        let (s, _) = app.op("POST", &format!("/herald/v1/accounts/{appid}/deliveries/999999/redeliver"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_48_hour_window() {
    for app in apps().await {
        let b = app.backend;
        app.freeze().await;
        let acc = app.account("service", "organisation", true).await;
        let tok = app.token(&acc).await;
        let user = app.user("dana").await;
        let openid = app.follow(&user, &acc).await;
        let send = |text: &str| json!({"touser": openid, "msgtype": "text", "text": {"content": text}});
        let url = format!("/cgi-bin/message/custom/send?access_token={tok}");
        // Following opened the window.
        assert_eq!(errcode(&app.wx_post(&url, send("welcome")).await), 0, "{b}");
        app.advance(48 * 3600 - 1).await;
        let tok = app.token(&acc).await;
        let url = format!("/cgi-bin/message/custom/send?access_token={tok}");
        assert_eq!(errcode(&app.wx_post(&url, send("still in")).await), 0, "{b}");
        app.advance(1).await;
        assert_eq!(errcode(&app.wx_post(&url, send("too late")).await), 45015, "{b}");
        // A location report does not reopen it; a message does.
        let (s, _) = app
            .op("POST", &format!("/herald/v1/users/{user}/events"), Some(json!({"appid": acc["appid"], "event": "LOCATION", "latitude": 23.1, "longitude": 113.3, "precision": 50.0})))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(errcode(&app.wx_post(&url, send("no")).await), 45015);
        app.say(&user, &acc, "hi again").await;
        assert_eq!(errcode(&app.wx_post(&url, send("yes")).await), 0);
        // A menu click reopens it too.
        app.advance(48 * 3600).await;
        let tok = app.token(&acc).await;
        let url = format!("/cgi-bin/message/custom/send?access_token={tok}");
        assert_eq!(errcode(&app.wx_post(&url, send("no")).await), 45015);
        app.op("POST", &format!("/herald/v1/users/{user}/events"), Some(json!({"appid": acc["appid"], "event": "CLICK", "event_key": "V1001"}))).await;
        assert_eq!(errcode(&app.wx_post(&url, send("clicked")).await), 0);
        let conv = app.conversation(&user, &acc).await;
        let custom: Vec<_> = conv.iter().filter(|m| m["source"] == "custom").map(|m| m["body"]["content"].as_str().unwrap()).collect();
        assert_eq!(custom, ["welcome", "still in", "yes", "clicked"], "{b}");
        // Typing, bad bodies, blacklist, unfollow, unverified accounts.
        let typing = format!("/cgi-bin/message/custom/typing?access_token={tok}");
        assert_eq!(errcode(&app.wx_post(&typing, json!({"touser": openid, "command": "Typing"})).await), 0);
        assert_eq!(errcode(&app.wx_post(&typing, json!({"touser": openid, "command": "Dance"})).await), 40035);
        assert_eq!(errcode(&app.wx_post(&url, json!({"touser": openid, "msgtype": "text", "text": {"content": ""}})).await), 44004);
        assert_eq!(errcode(&app.wx_post(&url, json!({"touser": "nobody", "msgtype": "text", "text": {"content": "x"}})).await), 40003);
        let two = json!({"touser": openid, "msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}});
        assert_eq!(errcode(&app.wx_post(&url, two).await), 45008);
        app.wx_post(&format!("/cgi-bin/tags/members/batchblacklist?access_token={tok}"), json!({"openid_list": [openid]})).await;
        assert_eq!(errcode(&app.wx_post(&url, send("x")).await), 43019);
        app.wx_post(&format!("/cgi-bin/tags/members/batchunblacklist?access_token={tok}"), json!({"openid_list": [openid]})).await;
        app.op("POST", &format!("/herald/v1/users/{user}/unfollow"), Some(json!({"appid": acc["appid"]}))).await;
        assert_eq!(errcode(&app.wx_post(&url, send("gone")).await), 45015);
        let sub = app.account("subscription", "individual", false).await;
        let subtok = app.token(&sub).await;
        assert_eq!(errcode(&app.wx_post(&format!("/cgi-bin/message/custom/send?access_token={subtok}"), send("x")).await), 48001);
    }
}

#[tokio::test]
async fn a_tapped_menu_message_option_reaches_the_developer_server_with_its_id() {
    for app in apps().await {
        let b = app.backend;
        let acc = app.account("service", "organisation", true).await;
        let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Echo).await;
        let (s, v) = app.set_server(&acc, &dev.url, "safe").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let user = app.user("rita").await;
        let openid = app.follow(&user, &acc).await;
        let path = format!("/herald/v1/users/{user}/messages");
        let tap = |id: &str, content: Option<&str>| {
            let mut m = json!({"appid": acc["appid"], "msgtype": "text", "bizmsgmenuid": id});
            if let Some(c) = content {
                m["content"] = json!(c);
            }
            app.op("POST", &path, Some(m))
        };
        // No menu message yet: nothing to tap.
        let (s, e) = tap("101", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}: {e}");
        let url = format!("/cgi-bin/message/custom/send?access_token={}", app.token(&acc).await);
        let menu = json!({"touser": openid, "msgtype": "msgmenu", "msgmenu": {"head_content": "How did we do?",
            "list": [{"id": "101", "content": "Well"}, {"id": "102", "content": "Badly"}], "tail_content": "Thank you"}});
        assert_eq!(errcode(&app.wx_post(&url, menu).await), 0, "{b}");
        // An option the menu does not offer, or a text that is not the option's: refused, nothing sent.
        assert_eq!(tap("103", None).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(tap("101", Some("Badly")).await.0, StatusCode::BAD_REQUEST);
        let (s, m) = tap("102", None).await;
        assert_eq!(s, StatusCode::CREATED, "{b}: {m}");
        assert_eq!((m["body"]["content"].as_str(), m["body"]["bizmsgmenuid"].as_str()), (Some("Badly"), Some("102")), "{b}");
        let conv = app.wait_messages(&user, &acc, 4).await;
        assert_eq!(conv.last().unwrap()["body"]["content"], "echo: Badly", "{b}");
        let texts: Vec<_> = dev.received().into_iter().map(|r| r.message).filter(|m| m.get("MsgType") == Some("text")).collect();
        assert_eq!(texts.len(), 1, "{b}");
        assert_eq!((texts[0].get("Content"), texts[0].get("bizmsgmenuid")), (Some("Badly"), Some("102")), "{b}");
        // A link card (wechatpy's send_link) is a customer-service message too.
        let link = json!({"touser": openid, "msgtype": "link", "link": {"title": "Track", "description": "Your parcel", "url": "https://shop.example/t", "thumb_url": "https://shop.example/t.png"}});
        assert_eq!(errcode(&app.wx_post(&url, link).await), 0, "{b}");
        assert_eq!(app.conversation(&user, &acc).await.last().unwrap()["msgtype"], "link", "{b}");
    }
}

#[tokio::test]
async fn auto_replies_answer_when_there_is_no_developer_server() {
    for app in apps().await {
        let acc = app.account("subscription", "individual", false).await;
        let appid = acc["appid"].as_str().unwrap();
        let cfg = json!({
            "subscribe": {"msgtype": "text", "content": "Thanks for following"},
            "default": {"msgtype": "text", "content": "We will get back to you"},
            "keywords": [
                {"keyword": "hours", "match": "contain", "reply": {"msgtype": "text", "content": "9 to 5"}},
                {"keyword": "menu", "reply": {"msgtype": "news", "articles": [{"title": "Menu", "url": "http://x/menu"}]}}
            ]
        });
        let (s, _) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/auto_replies"), Some(cfg)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/auto_replies"), Some(json!({"default": {"msgtype": "dance"}}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let user = app.user("eve").await;
        app.follow(&user, &acc).await;
        app.say(&user, &acc, "what are your hours?").await;
        app.say(&user, &acc, "menu").await;
        app.say(&user, &acc, "hello").await;
        let conv = app.conversation(&user, &acc).await;
        assert_eq!(
            texts(&conv),
            ["auto_reply:Thanks for following", "user:what are your hours?", "auto_reply:9 to 5", "user:menu", "auto_reply:", "user:hello", "auto_reply:We will get back to you"],
            "{}",
            app.backend
        );
        assert_eq!(conv[4]["msgtype"], "news");
        // Users must follow to message.
        let stranger = app.user("mallory").await;
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{stranger}/messages"), Some(json!({"appid": appid, "msgtype": "text", "content": "hi"}))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, _) = app.op("POST", &format!("/herald/v1/users/{user}/messages"), Some(json!({"appid": appid, "msgtype": "text", "content": ""}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn get_current_autoreply_info_reports_the_rules_in_wechats_shape() {
    for app in apps().await {
        let acc = app.account("service", "organisation", true).await;
        let appid = acc["appid"].as_str().unwrap();
        let token = app.token(&acc).await;
        let info_url = format!("/cgi-bin/get_current_autoreply_info?access_token={token}");
        // Nothing set: both switches off, no rules.
        assert_eq!(app.wx_get(&info_url).await, json!({"is_add_friend_reply_open": 0, "is_autoreply_open": 0}), "{}", app.backend);
        let cfg = json!({
            "subscribe": {"msgtype": "image", "media_id": "MEDIA1"},
            "keywords": [
                {"keyword": "hours", "match": "contain", "reply": {"msgtype": "text", "content": "9 to 5"}},
                {"keyword": "menu", "reply": {"msgtype": "news", "articles": [{"title": "Menu", "description": "Today", "url": "http://x/menu", "picurl": "http://x/p.png"}]}}
            ]
        });
        let (s, saved) = app.op("PUT", &format!("/herald/v1/accounts/{appid}/auto_replies"), Some(cfg)).await;
        assert_eq!(s, StatusCode::OK);
        let saved_at = saved["saved_at"].as_i64().unwrap();
        assert!(saved_at > 0);
        let info = app.wx_get(&info_url).await;
        assert_eq!(info["is_add_friend_reply_open"], 1);
        assert_eq!(info["is_autoreply_open"], 1);
        assert_eq!(info["add_friend_autoreply_info"], json!({"type": "img", "content": "MEDIA1"}));
        assert!(info.get("message_default_autoreply_info").is_none(), "{info}");
        let rules = info["keyword_autoreply_info"]["list"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["rule_name"], "hours");
        assert_eq!(rules[0]["create_time"], saved_at);
        assert_eq!(rules[0]["reply_mode"], "reply_all");
        assert_eq!(rules[0]["keyword_list_info"], json!([{"type": "text", "match_mode": "contain", "content": "hours"}]));
        assert_eq!(rules[0]["reply_list_info"], json!([{"type": "text", "content": "9 to 5"}]));
        assert_eq!(rules[1]["keyword_list_info"][0]["match_mode"], "equal");
        let news = &rules[1]["reply_list_info"][0];
        assert_eq!(news["type"], "news");
        assert_eq!(news["news_info"]["list"][0]["title"], "Menu");
        assert_eq!(news["news_info"]["list"][0]["digest"], "Today");
        assert_eq!(news["news_info"]["list"][0]["content_url"], "http://x/menu");
        assert_eq!(news["news_info"]["list"][0]["cover_url"], "http://x/p.png");
        // A developer server answers instead: the rules stay, switched off.
        let dev = DevServer::start(appid, Behaviour::Echo).await;
        assert_eq!(app.set_server(&acc, &dev.url, "plain").await.0, StatusCode::OK);
        let info = app.wx_get(&info_url).await;
        assert_eq!((info["is_add_friend_reply_open"].as_i64(), info["is_autoreply_open"].as_i64()), (Some(0), Some(0)), "{info}");
        assert_eq!(info["keyword_autoreply_info"]["list"].as_array().map(Vec::len), Some(2));
        assert_eq!(errcode(&app.wx_get("/cgi-bin/get_current_autoreply_info?access_token=bogus").await), 40001);
    }
}

#[tokio::test]
async fn a_restart_resumes_pending_deliveries_once() {
    let mut urls = vec![("sqlite", format!("sqlite://{}", std::env::temp_dir().join(format!("herald-it-restart-{}.db", crate::suffix())).display()))];
    if let Some(base) = crate::pg_base().await {
        urls.push(("postgres", format!("{}/herald_t_restart_{}", base.rsplit_once('/').unwrap().0, crate::suffix())));
    }
    for (backend, url) in urls {
        // A node without a worker stores everything and sends nothing.
        let mut cfg = crate::config(&url);
        cfg.worker = false;
        let quiet = start_with(backend, cfg).await;
        let acc = quiet.account("service", "organisation", true).await;
        let dev = DevServer::start(acc["appid"].as_str().unwrap(), Behaviour::Echo).await;
        assert_eq!(quiet.set_server(&acc, &dev.url, "safe").await.0, StatusCode::OK);
        let user = quiet.user("frank").await;
        quiet.follow(&user, &acc).await;
        for i in 0..20 {
            quiet.say(&user, &acc, &format!("m{i}")).await;
        }
        assert!(dev.received().is_empty());
        assert_eq!(quiet.deliveries(&acc).await.iter().filter(|d| d["state"] == "pending").count(), 21);
        quiet.stop().await;
        // After the restart, a node with a worker delivers each exactly once.
        let app = start_with(backend, crate::config(&url)).await;
        let conv = app.wait_messages(&user, &acc, 41).await;
        app.settle(&acc).await;
        let conv2 = app.conversation(&user, &acc).await;
        assert_eq!(conv2.len(), conv.len(), "{backend}: nothing twice");
        assert_eq!(conv.iter().filter(|m| m["source"] == "passive_reply").count(), 21);
        assert_eq!(dev.received().len(), 21);
    }
}
