//! Members of an organisation in the console (issue 27): invitations, roles that limit what a
//! member may read and change on every `/herald/v1/accounts/{appid}/…` route, second factors
//! (TOTP) at sign-in, and the operator's read-only view of an owner's console. Every test runs on
//! each backend.

use herald_domain::console::{area_of, totp, Area};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::{owner_with_account, Console};
use crate::{apps, suffix, App};

/// Invites `email` with `role` as `by`; the invitation's token.
async fn invite(app: &App, by: &Console, email: &str, role: &str) -> String {
    let (s, v) = by.call(app, "POST", "/herald/v1/console/members", Some(json!({"email": email, "role": role})), true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["member"]["email"].as_str(), v["member"]["role"].as_str(), v["member"]["accepted"].as_bool()), (Some(email), Some(role), Some(false)));
    let token = v["invite_token"].as_str().unwrap().to_string();
    assert!(v["invite_url"].as_str().unwrap().ends_with(&format!("/console/invite/{token}")), "{v}");
    token
}

/// Accepts an invitation: the member's browser, signed in.
async fn accept(app: &App, token: &str, password: &str) -> Result<Console, (StatusCode, Value)> {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = http.post(app.url(&format!("/herald/v1/console/invitations/{token}/accept"))).json(&json!({"password": password})).send().await.unwrap();
    Console::from_answer(http, r).await
}

/// A path for a route template, with made-up ids.
fn path_of(appid: &str, rest: &str) -> String {
    format!("/herald/v1/accounts/{appid}{}", rest.replace("{job}", "1").replace("{openid}", "o_x").replace("{id}", "100").replace("{user}", "u_x"))
}

/// Every route under `/herald/v1/accounts/{appid}` called by `who` (with the CSRF token): those
/// whose area its role does not reach answer 403 with `code`; the others do not. Returns how
/// many were refused.
async fn routes_follow_the_role(app: &App, who: &Console, appid: &str, may: impl Fn(Area, bool) -> bool, code: &str) -> usize {
    let mut refused = 0;
    for (method, template) in herald_server::routes::ROUTES {
        let Some(rest) = template.strip_prefix("/herald/v1/accounts/{appid}") else { continue };
        if rest == "/verify" {
            continue; // the operator's alone
        }
        let area = area_of(rest).unwrap_or_else(|| panic!("{template} is in no area"));
        let write = *method != "GET";
        let body = write.then(|| json!({"button": [{"type": "click", "name": "x", "key": "k"}], "intro": "changed by a member", "domain": "member.example.com", "list": ["10.0.0.1"]}));
        let (s, v) = who.call(app, method, &path_of(appid, rest), body, true).await;
        if may(area, write) {
            assert_ne!(s, StatusCode::FORBIDDEN, "{method} {template} ({area:?}) is the role's: {v}");
        } else {
            assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some(code)), "{method} {template} ({area:?}) is not the role's: {v}");
            refused += 1;
        }
    }
    refused
}

#[tokio::test]
async fn members_are_invited_with_roles_that_limit_them() {
    for app in apps().await {
        let (acc, owner_email) = owner_with_account(&app, "org").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &owner_email, "correct horse").await.unwrap();
        let fan = app.user("Member Fan").await;
        let openid = app.follow(&fan, &acc).await;

        // An invitation: shown, accepted once with a real password, then spent.
        let ed_email = format!("ed{}@example.com", suffix());
        let token = invite(&app, &owner, &ed_email, "editor").await;
        let r = app.http.get(app.url(&format!("/herald/v1/console/invitations/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let inv: Value = r.json().await.unwrap();
        assert_eq!((inv["email"].as_str(), inv["role"].as_str(), inv["owner_name"].as_str()), (Some(ed_email.as_str()), Some("editor"), Some("Owner")));
        assert_eq!(accept(&app, &token, "short").await.err().unwrap().0, StatusCode::BAD_REQUEST);
        assert_eq!(accept(&app, "hi_not-a-token", "long enough").await.err().unwrap().0, StatusCode::NOT_FOUND);
        let editor = accept(&app, &token, "editor pass").await.unwrap();
        assert_eq!(accept(&app, &token, "editor pass").await.err().unwrap().0, StatusCode::NOT_FOUND, "spent");
        let r = app.http.get(app.url(&format!("/herald/v1/console/invitations/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let (_, me) = editor.call(&app, "GET", "/herald/v1/console/me", None, false).await;
        assert_eq!((me["role"].as_str(), me["email"].as_str(), me["owner"]["id"].clone()), (Some("editor"), Some(ed_email.as_str()), acc["owner"]["id"].clone()));
        assert_eq!(me["writes"], json!(["content"]));
        assert_eq!(me["reads"], json!(["overview", "content"]));
        assert_eq!(me["manages_members"], false);
        // The member signs in with its own email and password from then on.
        let editor2 = Console::signin(&app, &ed_email, "editor pass").await.unwrap();

        // Bad invitations change nothing.
        for bad in [json!({"email": "x@example.com", "role": "owner"}), json!({"email": "x@example.com", "role": "viewer"}), json!({"email": "nope", "role": "agent"})] {
            let (s, _) = owner.call(&app, "POST", "/herald/v1/console/members", Some(bad.clone()), true).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        }
        let (s, _) = owner.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": owner_email, "role": "agent"})), true).await;
        assert_eq!(s, StatusCode::CONFLICT, "an owner's email");
        let (s, _) = owner.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": ed_email, "role": "agent"})), true).await;
        assert_eq!(s, StatusCode::CONFLICT, "a member's email");
        let (s, _) = owner.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": "y@example.com", "role": "agent"})), false).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");
        let (s, _) = app.op("PUT", &format!("/herald/v1/owners/{}/login", acc["owner"]["id"].as_str().unwrap()), Some(json!({"email": ed_email, "password": "correct horse"}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "an owner cannot take a member's email");
        assert_eq!(owner.call(&app, "GET", "/herald/v1/console/members", None, false).await.1["members"].as_array().unwrap().len(), 1);

        // The editor: content only. It sees the account, but not its developer settings.
        let refused = routes_follow_the_role(&app, &editor, appid, |a, w| a == Area::Content || (!w && a == Area::Overview), "forbidden").await;
        assert!(refused > 20, "{refused}");
        let (s, a) = editor.call(&app, "GET", &format!("/herald/v1/accounts/{appid}"), None, false).await;
        assert_eq!(s, StatusCode::OK);
        assert!(a["app_secret"].as_str().unwrap().chars().all(|c| c == '*'), "{a}");
        let (s, v) = editor.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/drafts"), Some(json!({"articles": [{"title": "By the editor", "content": "<p>Hello</p>", "thumb_media_id": ""}]})), true).await;
        assert_ne!(s, StatusCode::FORBIDDEN, "{v}");
        // Nothing the editor was refused changed.
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}/menu"), None).await.1["menu"], Value::Null);
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1["intro"], acc["intro"]);
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1["app_secret"], acc["app_secret"]);

        // An agent answers followers and reads them, changes nothing else.
        let ag_email = format!("ag{}@example.com", suffix());
        let agent = accept(&app, &invite(&app, &owner, &ag_email, "agent").await, "agent pass").await.unwrap();
        routes_follow_the_role(&app, &agent, appid, |a, w| a == Area::Messages || (!w && matches!(a, Area::Overview | Area::Followers)), "forbidden").await;
        let (s, _) = agent.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/followers/{openid}"), None, false).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = agent.call(&app, "PUT", &format!("/herald/v1/accounts/{appid}/followers/{openid}"), Some(json!({"remark": "by the agent"})), true).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // An operator member runs the account but not its developer settings or members.
        let op_email = format!("op{}@example.com", suffix());
        let operator = accept(&app, &invite(&app, &owner, &op_email, "operator").await, "operator pass").await.unwrap();
        let (s, v) = operator.call(&app, "PUT", &format!("/herald/v1/accounts/{appid}/menu"), Some(json!({"button": [{"type": "click", "name": "Hi", "key": "hi"}]})), true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = operator.call(&app, "POST", &format!("/herald/v1/accounts/{appid}/reset_secret"), None, true).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = operator.call(&app, "GET", "/herald/v1/console/members", None, false).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = operator.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": "z@example.com", "role": "admin"})), true).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "an operator cannot invite (or raise itself to admin)");

        // An admin manages members.
        let ad_email = format!("ad{}@example.com", suffix());
        let admin = accept(&app, &invite(&app, &owner, &ad_email, "admin").await, "admin pass").await.unwrap();
        let (_, list) = admin.call(&app, "GET", "/herald/v1/console/members", None, false).await;
        let members = list["members"].as_array().unwrap();
        assert_eq!(members.len(), 4);
        assert!(members.iter().all(|m| m["accepted"] == true), "{list}");
        let ed_id = members.iter().find(|m| m["email"] == ed_email.as_str()).unwrap()["id"].as_str().unwrap().to_string();

        // A role change reaches the member's open sessions at once.
        let (s, v) = admin.call(&app, "PUT", &format!("/herald/v1/console/members/{ed_id}"), Some(json!({"role": "agent"})), true).await;
        assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("agent")));
        assert_eq!(editor.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/inbox"), None, false).await.0, StatusCode::OK);
        assert_eq!(editor.call(&app, "GET", &format!("/herald/v1/accounts/{appid}/drafts"), None, false).await.0, StatusCode::FORBIDDEN);

        // A member's own sessions and password are its own.
        let (_, sessions) = editor.call(&app, "GET", "/herald/v1/console/sessions", None, false).await;
        assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2, "the two of the member's, none of the owner's: {sessions}");
        let (s, _) = editor.call(&app, "PUT", "/herald/v1/console/password", Some(json!({"current": "editor pass", "password": "editor pass 2"})), true).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(editor2.call(&app, "GET", "/herald/v1/console/me", None, false).await.0, StatusCode::UNAUTHORIZED, "its other session ended");
        assert_eq!(owner.call(&app, "GET", "/herald/v1/console/me", None, false).await.0, StatusCode::OK, "the owner's did not");
        assert!(Console::signin(&app, &ed_email, "editor pass 2").await.is_ok());

        // Another organisation's owner neither sees nor changes these members; nor do they see its account.
        let (rival_acc, rival_email) = owner_with_account(&app, "rival").await;
        let rival = Console::signin(&app, &rival_email, "correct horse").await.unwrap();
        let (s, _) = rival.call(&app, "PUT", &format!("/herald/v1/console/members/{ed_id}"), Some(json!({"role": "admin"})), true).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = rival.call(&app, "DELETE", &format!("/herald/v1/console/members/{ed_id}"), None, true).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(rival.call(&app, "GET", "/herald/v1/console/members", None, false).await.1["members"].as_array().unwrap().is_empty());
        let (s, _) = admin.call(&app, "GET", &format!("/herald/v1/accounts/{}", rival_acc["appid"].as_str().unwrap()), None, false).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, mine) = admin.call(&app, "GET", "/herald/v1/accounts", None, false).await;
        assert_eq!(mine["accounts"].as_array().unwrap().iter().map(|a| a["appid"].clone()).collect::<Vec<_>>(), vec![acc["appid"].clone()]);
        let (s, _) = rival.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": op_email, "role": "agent"})), true).await;
        assert_eq!(s, StatusCode::CONFLICT, "another organisation's member");

        // Removed: its sessions end and it can no longer sign in.
        let (s, _) = owner.call(&app, "DELETE", &format!("/herald/v1/console/members/{ed_id}"), None, true).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(editor.call(&app, "GET", "/herald/v1/console/me", None, false).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(Console::signin(&app, &ed_email, "editor pass 2").await.err(), Some(StatusCode::UNAUTHORIZED));

        // Individuals have no members.
        let solo = app.account("subscription", "individual", false).await;
        let solo_email = format!("solo{}@example.com", suffix());
        app.op("PUT", &format!("/herald/v1/owners/{}/login", solo["owner"]["id"].as_str().unwrap()), Some(json!({"email": solo_email, "password": "correct horse"}))).await;
        let solo = Console::signin(&app, &solo_email, "correct horse").await.unwrap();
        let (s, v) = solo.call(&app, "POST", "/herald/v1/console/members", Some(json!({"email": "helper@example.com", "role": "editor"})), true).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn a_second_factor_guards_the_sign_in() {
    for app in apps().await {
        app.freeze().await;
        let (_, email) = owner_with_account(&app, "totp").await;
        let owner = Console::signin(&app, &email, "correct horse").await.unwrap();
        let (s, v) = owner.call(&app, "POST", "/herald/v1/console/totp/confirm", Some(json!({"code": "123456"})), true).await;
        assert_eq!(s, StatusCode::CONFLICT, "nothing pending: {v}");
        let (s, setup) = owner.call(&app, "POST", "/herald/v1/console/totp", None, true).await;
        assert_eq!(s, StatusCode::OK);
        let secret = setup["secret"].as_str().unwrap().to_string();
        assert!(setup["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/Herald:"), "{setup}");
        // Not on until confirmed: sign-in still takes the password alone.
        assert!(Console::signin(&app, &email, "correct horse").await.is_ok());
        let wrong = if totp::code(&secret, now()).unwrap() == "000000" { "111111" } else { "000000" };
        let (s, v) = owner.call(&app, "POST", "/herald/v1/console/totp/confirm", Some(json!({"code": wrong})), true).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("wrong_totp")));
        let (s, v) = owner.call(&app, "POST", "/herald/v1/console/totp/confirm", Some(json!({"code": totp::code(&secret, now()).unwrap()})), true).await;
        assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        assert_eq!(owner.call(&app, "GET", "/herald/v1/console/me", None, false).await.1["totp_enabled"], true);

        // Sign-in now needs the code.
        let (s, v) = Console::signin_with(&app, json!({"email": email, "password": "correct horse"})).await.err().unwrap();
        assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("totp_required")));
        let (s, v) = Console::signin_with(&app, json!({"email": email, "password": "correct horse", "totp": wrong})).await.err().unwrap();
        assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("wrong_totp")));
        let (s, v) = Console::signin_with(&app, json!({"email": email, "password": "wrong password", "totp": totp::code(&secret, now()).unwrap()})).await.err().unwrap();
        assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("wrong_credentials")), "a right code does not stand in for the password");
        assert!(Console::signin_with(&app, json!({"email": email, "password": "correct horse", "totp": totp::code(&secret, now()).unwrap()})).await.is_ok());
        // Wrong codes are limited on their own count, even with the right password.
        for _ in 0..5 {
            let (s, _) = Console::signin_with(&app, json!({"email": email, "password": "correct horse", "totp": wrong})).await.err().unwrap();
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, _) = Console::signin_with(&app, json!({"email": email, "password": "correct horse", "totp": totp::code(&secret, now()).unwrap()})).await.err().unwrap();
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        app.advance(15 * 60 + 1).await;

        // Turned off with a code: the password alone again.
        let (s, _) = owner.call(&app, "POST", "/herald/v1/console/totp/disable", Some(json!({"code": wrong})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, v) = owner.call(&app, "POST", "/herald/v1/console/totp/disable", Some(json!({"code": totp::code(&secret, now()).unwrap()})), true).await;
        assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(false)));
        assert!(Console::signin(&app, &email, "correct horse").await.is_ok());
    }
}

#[tokio::test]
async fn the_operator_opens_an_owners_console_read_only() {
    for app in apps().await {
        let (acc, _) = owner_with_account(&app, "viewed").await;
        let (other, _) = owner_with_account(&app, "unviewed").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner_id = acc["owner"]["id"].as_str().unwrap();
        // Only the operator opens it.
        let r = app.http.post(app.url(&format!("/herald/v1/owners/{owner_id}/console_view"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = http.post(app.url(&format!("/herald/v1/owners/{owner_id}/console_view"))).bearer_auth(crate::OPERATOR).send().await.unwrap();
        let viewer = Console::from_answer(http, r).await.unwrap();
        let (_, me) = viewer.call(&app, "GET", "/herald/v1/console/me", None, false).await;
        assert_eq!((me["role"].as_str(), me["owner"]["id"].as_str(), me["writes"].clone()), (Some("viewer"), Some(owner_id), json!([])), "{me}");
        // It sees the owner's accounts and nothing else; it reads every area and changes none.
        let (_, list) = viewer.call(&app, "GET", "/herald/v1/accounts", None, false).await;
        assert_eq!(list["accounts"].as_array().unwrap().iter().map(|a| a["appid"].clone()).collect::<Vec<_>>(), vec![acc["appid"].clone()]);
        assert_eq!(viewer.call(&app, "GET", &format!("/herald/v1/accounts/{}", other["appid"].as_str().unwrap()), None, false).await.0, StatusCode::NOT_FOUND);
        let refused = routes_follow_the_role(&app, &viewer, appid, |_, w| !w, "read_only").await;
        assert!(refused >= 25, "every write: {refused}");
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{appid}"), None).await.1["app_secret"], acc["app_secret"]);
        // Nor does it act as a login: no password, no second factor, no members.
        for (method, path, body) in [
            ("PUT", "/herald/v1/console/password", json!({"current": "x", "password": "yyyyyyyy"})),
            ("POST", "/herald/v1/console/totp", json!({})),
            ("POST", "/herald/v1/console/members", json!({"email": "v@example.com", "role": "admin"})),
        ] {
            let (s, v) = viewer.call(&app, method, path, Some(body), true).await;
            assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("read_only")), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn agents_keep_quick_replies() {
    for app in apps().await {
        let (acc, owner_email) = owner_with_account(&app, "quick").await;
        let appid = acc["appid"].as_str().unwrap();
        let owner = Console::signin(&app, &owner_email, "correct horse").await.unwrap();
        let agent = accept(&app, &invite(&app, &owner, &format!("ag{}@example.com", suffix()), "agent").await, "agent pass").await.unwrap();
        let editor = accept(&app, &invite(&app, &owner, &format!("ed{}@example.com", suffix()), "editor").await, "editor pass").await.unwrap();
        let path = format!("/herald/v1/accounts/{appid}/quick_replies");
        assert_eq!(agent.call(&app, "GET", &path, None, false).await.1, json!({"replies": []}));
        // The agent sets them: trimmed, blank ones dropped, order kept.
        let (s, v) = agent.call(&app, "PUT", &path, Some(json!({"replies": ["  Thanks for writing! ", "", "我们会尽快回复您。"]})), true).await;
        assert_eq!((s, v.clone()), (StatusCode::OK, json!({"replies": ["Thanks for writing!", "我们会尽快回复您。"]})));
        assert_eq!(owner.call(&app, "GET", &path, None, false).await.1, v);
        // Too many, or too long: refused, nothing changes.
        let (s, _) = agent.call(&app, "PUT", &path, Some(json!({"replies": vec!["x"; 51]})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = agent.call(&app, "PUT", &path, Some(json!({"replies": ["y".repeat(601)]})), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(app.op("GET", &path, None).await.1, v);
        // An editor neither reads nor changes them; another account has its own.
        assert_eq!(editor.call(&app, "GET", &path, None, false).await.0, StatusCode::FORBIDDEN);
        assert_eq!(editor.call(&app, "PUT", &path, Some(json!({"replies": ["hijack"]})), true).await.0, StatusCode::FORBIDDEN);
        let other = app.account("service", "organisation", true).await;
        assert_eq!(app.op("GET", &format!("/herald/v1/accounts/{}/quick_replies", other["appid"].as_str().unwrap()), None).await.1, json!({"replies": []}));
        // Emptied.
        let (s, v) = owner.call(&app, "PUT", &path, Some(json!({"replies": []})), true).await;
        assert_eq!((s, v), (StatusCode::OK, json!({"replies": []})));
    }
}
