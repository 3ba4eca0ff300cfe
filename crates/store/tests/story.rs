//! One storage story, run against every backend: SQLite always, PostgreSQL whenever
//! `HERALD_TEST_PG` (default `postgres://127.0.0.1:5432/test`) is reachable.

use std::sync::Arc;

use herald_domain::account::{AccountType, OwnerKind};
use herald_domain::time::ClockState;
use herald_domain::token::{IssuedToken, TokenKind};
use herald_store::*;
use herald_wire::{AppId, ErrCode, OpenId, OwnerId, UnionId, UserId};
use rand::distributions::{Alphanumeric, DistString};

fn rand_suffix() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 10).to_lowercase()
}

async fn backends() -> Vec<(&'static str, Arc<dyn Store>)> {
    let path = std::env::temp_dir().join(format!("herald-story-{}.db", rand_suffix()));
    let mut out = vec![
        ("sqlite", open(&format!("sqlite://{}", path.display()), true).await.unwrap()),
        ("sqlite in memory", open("sqlite::memory:", true).await.unwrap()),
    ];
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    match tokio::time::timeout(std::time::Duration::from_secs(3), sqlx_probe(&base)).await {
        Ok(true) => {
            let url = format!("{}/herald_t_story_{}", base.rsplit_once('/').unwrap().0, rand_suffix());
            out.push(("postgres", open(&url, true).await.unwrap()));
        }
        _ => eprintln!("PostgreSQL not reachable at {base}: the story runs on SQLite only"),
    }
    out
}

async fn sqlx_probe(url: &str) -> bool {
    PgStore::connect(url).await.is_ok()
}

fn owner(kind: OwnerKind) -> Owner {
    Owner { id: OwnerId(format!("org_{}", rand_suffix())), kind, name: "Acme".into(), created_at: 1 }
}

fn account(owner: &Owner, ty: AccountType) -> Account {
    Account {
        appid: AppId(format!("wx{}", rand_suffix())),
        original_id: format!("gh_{}", rand_suffix()),
        owner_id: owner.id.clone(),
        owner_kind: owner.kind,
        name: "Acme Service".into(),
        ty,
        verified: true,
        app_secret: "s".repeat(32),
        server: ServerSettings::default(),
        created_at: 1,
    }
}

fn fresh() -> FreshIds {
    FreshIds { openid: OpenId(format!("o{}", rand_suffix())), unionid: UnionId(format!("u{}", rand_suffix())) }
}

#[track_caller]
fn rejected<T: std::fmt::Debug>(r: Result<T>) -> ErrCode {
    match r {
        Err(StoreError::Rejected(c)) => c,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn story_on_every_backend() {
    for (name, store) in backends().await {
        eprintln!("story on {name}");
        story(store.as_ref()).await;
    }
}

async fn story(s: &dyn Store) {
    // Settings and clock.
    assert_eq!(s.setting("operator_token").await.unwrap(), None);
    assert_eq!(s.setting_or_insert("operator_token", "a").await.unwrap(), "a");
    assert_eq!(s.setting_or_insert("operator_token", "b").await.unwrap(), "a");
    assert_eq!(s.clock().await.unwrap(), None);
    let sim = ClockState::Simulated { offset: 3600, frozen_at: Some(99) };
    s.set_clock(sim).await.unwrap();
    assert_eq!(s.clock().await.unwrap(), Some(sim));

    // Owners, accounts.
    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    assert_eq!(s.owner(&org.id).await.unwrap().unwrap(), org);
    let mut acc = account(&org, AccountType::Subscription);
    s.insert_account(&acc).await.unwrap();
    let other = account(&org, AccountType::Service);
    s.insert_account(&other).await.unwrap();
    assert_eq!(s.account(acc.appid.as_str()).await.unwrap().unwrap(), acc);
    assert_eq!(s.accounts().await.unwrap().len(), 2);
    acc.ty = AccountType::Service;
    acc.server.url = Some("http://127.0.0.1:1/wx".into());
    s.update_account(&acc).await.unwrap();
    assert_eq!(s.account(acc.appid.as_str()).await.unwrap().unwrap(), acc);
    assert!(matches!(s.insert_account(&acc).await, Err(StoreError::Conflict(_))));

    // Users and follows: OpenIDs are stable per account, UnionIDs per owner.
    let mut users = Vec::new();
    for i in 0..5 {
        let u = User { id: UserId(format!("u_{i}_{}", rand_suffix())), nickname: format!("User {i}"), created_at: 1, profile: Default::default() };
        s.insert_user(&u).await.unwrap();
        users.push(u);
    }
    let (f0, changed) = s.follow(&acc.appid, &users[0].id, &FollowHow::default(), &fresh(), 100).await.unwrap();
    assert!(changed && f0.subscribed);
    assert_eq!(f0.subscribe_time, Some(100));
    let (again, changed) = s.follow(&acc.appid, &users[0].id, &FollowHow::default(), &fresh(), 200).await.unwrap();
    assert!(!changed);
    assert_eq!(again.openid, f0.openid);
    let (g0, _) = s.follow(&other.appid, &users[0].id, &FollowHow::default(), &fresh(), 100).await.unwrap();
    assert_ne!(g0.openid, f0.openid, "one openid per account");
    assert_eq!(g0.unionid, f0.unionid, "one unionid per owner");
    for u in &users[1..] {
        s.follow(&acc.appid, &u.id, &FollowHow::default(), &fresh(), 150).await.unwrap();
    }
    let page = s.subscribed_page(&acc.appid, None, 3).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.openids.len(), 3);
    assert_eq!(page.openids[0], f0.openid);
    let rest = s.subscribed_page(&acc.appid, Some(page.openids[2].as_str()), 3).await.unwrap();
    assert_eq!(rest.openids.len(), 2);
    let end = s.subscribed_page(&acc.appid, Some(rest.openids[1].as_str()), 3).await.unwrap();
    assert!(end.openids.is_empty());
    assert_eq!(rejected(s.subscribed_page(&acc.appid, Some("nobody"), 3).await), ErrCode::InvalidOpenid);

    // Unfollow and re-follow keep the openid; the user moves to the end of the list.
    let (gone, changed) = s.unfollow(&acc.appid, &users[0].id, 300).await.unwrap().unwrap();
    assert!(changed && !gone.subscribed && gone.unsubscribe_time == Some(300));
    assert!(!s.unfollow(&acc.appid, &users[0].id, 301).await.unwrap().unwrap().1);
    assert_eq!(s.subscribed_page(&acc.appid, None, 10).await.unwrap().total, 4);
    let (back, _) = s.follow(&acc.appid, &users[0].id, &FollowHow::default(), &fresh(), 400).await.unwrap();
    assert_eq!(back.openid, f0.openid);
    assert_eq!(s.subscribed_page(&acc.appid, None, 10).await.unwrap().openids.last(), Some(&f0.openid));
    assert_eq!(s.relations_of_user(&users[0].id).await.unwrap().len(), 2);

    // Remarks.
    s.set_remark(&acc.appid, f0.openid.as_str(), "VIP").await.unwrap();
    assert_eq!(s.follower_by_openid(&acc.appid, f0.openid.as_str()).await.unwrap().unwrap().remark, "VIP");
    assert_eq!(rejected(s.set_remark(&acc.appid, g0.openid.as_str(), "x").await), ErrCode::InvalidOpenid);
    assert!(s.follower_by_openid(&acc.appid, g0.openid.as_str()).await.unwrap().is_none(), "openids are per account");

    // Tags.
    let t1 = s.create_tag(&acc.appid, "广东", 1).await.unwrap();
    assert_eq!(t1.id, 100);
    let t2 = s.create_tag(&acc.appid, "VIP", 1).await.unwrap();
    assert_eq!(t2.id, 101);
    assert_eq!(rejected(s.create_tag(&acc.appid, "广东", 1).await), ErrCode::InvalidTagName);
    s.rename_tag(&acc.appid, t2.id, "Gold").await.unwrap();
    assert_eq!(rejected(s.rename_tag(&acc.appid, 2, "x").await), ErrCode::SystemTagImmutable);
    assert_eq!(rejected(s.rename_tag(&acc.appid, 999, "x").await), ErrCode::InvalidTagId);
    let all: Vec<String> = s.subscribed_page(&acc.appid, None, 10).await.unwrap().openids.into_iter().map(|o| o.0).collect();
    s.set_tagged(&acc.appid, t1.id, &all[..3], true).await.unwrap();
    s.set_tagged(&acc.appid, t1.id, &all[..1], true).await.unwrap(); // tagging twice is harmless
    assert_eq!(rejected(s.set_tagged(&acc.appid, t1.id, &[all[3].clone(), "nobody".into()], true).await), ErrCode::InvalidOpenid);
    assert_eq!(s.tag_page(&acc.appid, t1.id, None, 10).await.unwrap().total, 3, "a failed batch changes nothing");
    s.set_tagged(&acc.appid, 2, &all[..1], true).await.unwrap();
    let tags = s.tags(&acc.appid).await.unwrap();
    assert_eq!(tags.iter().map(|t| (t.id, t.count)).collect::<Vec<_>>(), vec![(2, 1), (100, 3), (101, 0)]);
    assert_eq!(tags[2].name, "Gold");
    let f = s.follower_by_openid(&acc.appid, &all[0]).await.unwrap().unwrap();
    assert_eq!(f.tag_ids, vec![2, 100]);
    let tp = s.tag_page(&acc.appid, t1.id, None, 2).await.unwrap();
    assert_eq!(tp.openids.len(), 2);
    let tp2 = s.tag_page(&acc.appid, t1.id, Some(tp.openids[1].as_str()), 2).await.unwrap();
    assert_eq!(tp2.openids.len(), 1);
    s.set_tagged(&acc.appid, t1.id, &all[..1], false).await.unwrap();
    assert_eq!(s.tag_page(&acc.appid, t1.id, None, 10).await.unwrap().total, 2);
    // At most 20 tags per follower (the star tag counts).
    for i in 0..20 {
        let t = s.create_tag(&acc.appid, &format!("t{i}"), 1).await.unwrap();
        let r = s.set_tagged(&acc.appid, t.id, &all[..1], true).await;
        if i < 19 {
            r.unwrap();
        } else {
            assert_eq!(rejected(r), ErrCode::UserTooManyTags);
        }
    }
    s.delete_tag(&acc.appid, t1.id).await.unwrap();
    assert_eq!(rejected(s.delete_tag(&acc.appid, t1.id).await), ErrCode::InvalidTagId);
    assert!(!s.follower_by_openid(&acc.appid, &all[1]).await.unwrap().unwrap().tag_ids.contains(&t1.id));

    // Blacklist.
    s.set_blacklisted(&acc.appid, &all[1..3], true).await.unwrap();
    assert_eq!(rejected(s.set_blacklisted(&acc.appid, &["nobody".into()], true).await), ErrCode::InvalidOpenid);
    let bl = s.blacklist_page(&acc.appid, None, 10).await.unwrap();
    assert_eq!(bl.total, 2);
    assert_eq!(bl.openids.iter().map(|o| o.0.clone()).collect::<Vec<_>>(), all[1..3].to_vec());
    s.set_blacklisted(&acc.appid, &all[1..2], false).await.unwrap();
    assert_eq!(s.blacklist_page(&acc.appid, None, 10).await.unwrap().openids, vec![OpenId(all[2].clone())]);

    // Tokens.
    let tok = |t: &str, kind, at: i64, forced| IssuedToken {
        token: format!("{t}-{}", rand_suffix()),
        kind,
        issued_at: at,
        expires_at: at + 7200,
        revoked_at: None,
        forced,
    };
    let a = tok("a", TokenKind::Client, 1000, false);
    s.issue_client_token(&acc.appid, &a, 1300).await.unwrap();
    let b = tok("b", TokenKind::Client, 2000, false);
    s.issue_client_token(&acc.appid, &b, 2300).await.unwrap();
    let (ra, auth) = s.token_account(&a.token).await.unwrap().unwrap();
    assert_eq!(ra.revoked_at, Some(2300));
    assert_eq!(auth.appid, acc.appid);
    assert_eq!(auth.kind.ty, AccountType::Service);
    assert_eq!(s.token_account(&b.token).await.unwrap().unwrap().0.revoked_at, None);
    assert!(s.token_account("nope").await.unwrap().is_none());
    let st1 = tok("s1", TokenKind::Stable, 1000, false);
    s.issue_stable_token(&acc.appid, &st1, false).await.unwrap();
    let st2 = tok("s2", TokenKind::Stable, 1500, true);
    s.issue_stable_token(&acc.appid, &st2, true).await.unwrap();
    let hist = s.stable_tokens(&acc.appid, 0).await.unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[0].token, st2.token);
    assert_eq!(hist[1].revoked_at, Some(1500));
    assert_eq!(s.token_account(&b.token).await.unwrap().unwrap().0.revoked_at, None, "families are independent");

    conversations_and_jobs(s, &acc.appid, &users[1].id).await;
}

fn msg(appid: &AppId, user: &UserId, openid: &OpenId, direction: Direction, source: &str, ty: &str) -> NewMessage {
    NewMessage {
        appid: appid.clone(),
        user_id: user.clone(),
        openid: openid.clone(),
        direction,
        source: source.into(),
        msg_type: ty.into(),
        body: format!("{{\"source\":\"{source}\"}}"),
        created_at: 5000,
    }
}

async fn conversations_and_jobs(s: &dyn Store, appid: &AppId, user: &UserId) {
    let f = s.follower_by_user(appid, user).await.unwrap().unwrap();
    let openid = f.openid.clone();
    // An inbound message, its window and its delivery job: one transaction.
    let build = |id: Option<i64>| format!("<xml><MsgId>{}</MsgId></xml>", id.unwrap_or(0));
    let (m, job) = s
        .record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 1_000)
        .await
        .unwrap();
    let job = job.unwrap();
    let msg_id = m.msg_id.unwrap();
    assert!(msg_id > herald_domain::conversation::MSG_ID_BASE);
    assert_eq!(s.follower_by_user(appid, user).await.unwrap().unwrap().last_interaction_at, Some(5000));
    let (ev, no_job) = s
        .record_inbound(&msg(appid, user, &openid, Direction::In, "event", "event"), false, false, None, 1_000)
        .await
        .unwrap();
    assert!(no_job.is_none() && ev.msg_id.is_none());

    // Claiming leases the job; nobody else gets it until the lease ends.
    let claimed = s.claim_jobs("w1", 2_000, 30_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].attempts), (job, 1));
    assert_eq!(claimed[0].payload, format!("<xml><MsgId>{msg_id}</MsgId></xml>"));
    assert!(s.claim_jobs("w2", 2_001, 30_000, 10).await.unwrap().is_empty());
    let attempt = |n: i64, err: Option<&str>| Attempt {
        id: 0,
        job_id: job,
        appid: appid.clone(),
        attempt: n,
        url: "http://dev/wx".into(),
        request: "<xml/>".into(),
        status: err.is_none().then_some(200),
        response: None,
        latency_ms: 3,
        error: err.map(str::to_string),
        at: 2_000,
    };
    assert!(!s.finish_job(job, "w2", &attempt(1, None), &JobOutcome::Done { reply: None }, 2_000).await.unwrap(), "not w2's job");
    assert!(s.finish_job(job, "w1", &attempt(1, Some("timeout")), &JobOutcome::Retry { run_at: 2_500, error: "timeout".into() }, 2_000).await.unwrap());
    assert!(s.claim_jobs("w2", 2_400, 30_000, 10).await.unwrap().is_empty(), "not due yet");
    let again = s.claim_jobs("w2", 2_500, 30_000, 10).await.unwrap();
    assert_eq!(again[0].attempts, 2);
    let reply = msg(appid, user, &openid, Direction::Out, "passive_reply", "text");
    assert!(s.finish_job(job, "w2", &attempt(2, None), &JobOutcome::Done { reply: Some(reply.clone()) }, 2_600).await.unwrap());
    assert!(!s.finish_job(job, "w2", &attempt(2, None), &JobOutcome::Done { reply: Some(reply.clone()) }, 2_600).await.unwrap(), "finished once");
    assert_eq!(s.job(job).await.unwrap().unwrap().state, "done");
    assert_eq!(s.attempts(job).await.unwrap().len(), 2);

    // One conversation's jobs go out in order: the second waits for the first.
    let (_, first) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 2_700).await.unwrap();
    let (_, second) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 2_700).await.unwrap();
    let got = s.claim_jobs("w", 2_700, 30_000, 10).await.unwrap();
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![first.unwrap()]);
    assert!(s.finish_job(first.unwrap(), "w", &attempt(1, None), &JobOutcome::Done { reply: None }, 2_700).await.unwrap());
    let got = s.claim_jobs("w", 2_700, 30_000, 10).await.unwrap();
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![second.unwrap()]);
    assert!(s.finish_job(second.unwrap(), "w", &attempt(1, None), &JobOutcome::Done { reply: None }, 2_700).await.unwrap());

    // An expired lease makes a job claimable by another worker.
    let (_, job2) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 3_000).await.unwrap();
    let job2 = job2.unwrap();
    assert_eq!(s.claim_jobs("dead", 3_000, 1_000, 10).await.unwrap().len(), 1);
    let taken = s.claim_jobs("alive", 4_001, 30_000, 10).await.unwrap();
    assert_eq!((taken[0].id, taken[0].attempts), (job2, 2));
    let notice = msg(appid, user, &openid, Direction::Out, "notice", "text");
    assert!(s.finish_job(job2, "alive", &attempt(2, Some("x")), &JobOutcome::Failed { error: "x".into(), notice: Some(notice.clone()) }, 4_100).await.unwrap());
    assert!(!s.finish_job(job2, "dead", &attempt(1, None), &JobOutcome::Done { reply: Some(reply.clone()) }, 4_200).await.unwrap());
    assert_eq!(s.jobs(appid, Some("failed"), 10).await.unwrap().len(), 1);

    // Redelivery is a new round: its reply joins the conversation too.
    assert_eq!(s.requeue_failed(appid, 5_000).await.unwrap(), 1);
    assert!(!s.requeue(job2, 5_000).await.unwrap(), "already pending");
    let round2 = s.claim_jobs("w", 5_000, 30_000, 10).await.unwrap();
    assert_eq!(round2[0].attempts, 1);
    assert!(s.finish_job(job2, "w", &attempt(1, None), &JobOutcome::Done { reply: Some(reply.clone()) }, 5_100).await.unwrap());
    assert!(s.requeue(job, 6_000).await.unwrap());

    // A message queued behind a redelivered job waits for it; finishing in a batch hands the
    // conversation on, and a batch entry that is no longer the worker's changes nothing.
    let (_, job3) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 6_000).await.unwrap();
    let job3 = job3.unwrap();
    let got = s.claim_jobs("w", 6_000, 30_000, 10).await.unwrap();
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job], "the redelivery first, alone");
    let fin = |id: i64, worker: &str| Finished { job_id: id, worker: worker.into(), attempt: Attempt { job_id: id, ..attempt(1, None) }, outcome: JobOutcome::Done { reply: None } };
    assert_eq!(s.finish_jobs(&[fin(job, "w"), fin(job2, "nobody")], 6_100).await.unwrap(), vec![true, false]);
    let got = s.claim_jobs("w", 6_100, 30_000, 10).await.unwrap();
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job3]);
    assert_eq!(s.finish_jobs(&[fin(job3, "w")], 6_200).await.unwrap(), vec![true]);
    assert_eq!(s.attempts(job2).await.unwrap().len(), 2, "the stale entry added no attempt");

    let conv = s.conversation(appid, user, 0, 100, false).await.unwrap();
    let sources: Vec<&str> = conv.iter().map(|m| m.message.source.as_str()).collect();
    assert_eq!(sources, ["user", "passive_reply", "user", "user", "user", "notice", "passive_reply", "user"]);
    assert_eq!(s.conversation(appid, user, 0, 100, true).await.unwrap().len(), 9, "with the event");
    let out = s.append_outbound(&msg(appid, user, &openid, Direction::Out, "custom", "text")).await.unwrap();
    assert_eq!(s.conversation(appid, user, conv.last().unwrap().seq, 10, false).await.unwrap()[0].seq, out.seq);

    assert_eq!(s.auto_replies(appid).await.unwrap(), None);
    s.set_auto_replies(appid, "{\"a\":1}").await.unwrap();
    s.set_auto_replies(appid, "{\"a\":2}").await.unwrap();
    assert_eq!(s.auto_replies(appid).await.unwrap().as_deref(), Some("{\"a\":2}"));
}

#[tokio::test]
async fn web_story_on_every_backend() {
    for (name, store) in backends().await {
        eprintln!("web story on {name}");
        web_story(store.as_ref()).await;
    }
}

async fn web_story(s: &dyn Store) {
    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let mut user = User { id: UserId(format!("u_w_{}", rand_suffix())), nickname: "Web".into(), created_at: 1, profile: Default::default() };
    s.insert_user(&user).await.unwrap();

    // Profiles round-trip.
    user.profile.sex = 2;
    user.profile.platform = "ios".into();
    assert!(s.set_user_profile(&user.id, &user.profile.to_json()).await.unwrap());
    assert_eq!(s.user(&user.id).await.unwrap().unwrap(), user);

    // Meeting an account (web OAuth) fixes the openid without following; a later follow keeps it.
    let met = s.meet(&acc.appid, &user.id, &fresh()).await.unwrap();
    assert!(!met.subscribed && met.subscribe_time.is_none());
    assert_eq!(s.meet(&acc.appid, &user.id, &fresh()).await.unwrap().openid, met.openid);
    let (followed, changed) = s.follow(&acc.appid, &user.id, &FollowHow::default(), &fresh(), 50).await.unwrap();
    assert!(changed && followed.subscribed);
    assert_eq!(followed.openid, met.openid);

    // QR codes: a permanent scene gives the same code twice; the limit counts permanent codes.
    let code = |ticket: &str, permanent: bool, scene_id: i64| QrCode {
        ticket: ticket.into(),
        url_key: format!("k{ticket}"),
        appid: acc.appid.clone(),
        action: if permanent { "QR_LIMIT_SCENE" } else { "QR_SCENE" }.into(),
        scene_id,
        scene_str: String::new(),
        permanent,
        created_at: 10,
        expires_at: (!permanent).then_some(70),
    };
    let p1 = s.create_qrcode(&code(&format!("p1{}", rand_suffix()), true, 1), 2).await.unwrap();
    let again = s.create_qrcode(&code(&format!("p1b{}", rand_suffix()), true, 1), 2).await.unwrap();
    assert_eq!(again.ticket, p1.ticket);
    s.create_qrcode(&code(&format!("p2{}", rand_suffix()), true, 2), 2).await.unwrap();
    assert_eq!(rejected(s.create_qrcode(&code(&format!("p3{}", rand_suffix()), true, 3), 2).await), ErrCode::InvalidActionInfo);
    let t = s.create_qrcode(&code(&format!("t{}", rand_suffix()), false, 9), 2).await.unwrap();
    assert_eq!(s.qrcode(&t.ticket).await.unwrap().unwrap(), t);
    assert_eq!(s.qrcode_by_key(&t.url_key).await.unwrap().unwrap(), t);
    assert_eq!(s.qrcode("nope").await.unwrap(), None);

    // Short keys belong to their account.
    s.put_short_key("sk1", &acc.appid, "{\"a\":1}", 5, 100).await.unwrap();
    assert_eq!(s.short_key(&acc.appid, "sk1").await.unwrap(), Some(("{\"a\":1}".into(), 5, 100)));
    assert_eq!(s.short_key(&AppId("wxother".into()), "sk1").await.unwrap(), None);

    // Menus: conditional menus need a default one; deleting all removes both kinds.
    assert_eq!(rejected(s.add_conditional_menu(&acc.appid, "[]", "{}", 1, 5).await), ErrCode::NoDefaultMenu);
    let d1 = s.set_default_menu(&acc.appid, "[1]", 1).await.unwrap();
    let c1 = s.add_conditional_menu(&acc.appid, "[2]", "{\"tag_id\":2}", 2, 1).await.unwrap();
    assert_eq!(rejected(s.add_conditional_menu(&acc.appid, "[3]", "{}", 3, 1).await), ErrCode::MenuCountLimit);
    let d2 = s.set_default_menu(&acc.appid, "[4]", 4).await.unwrap();
    assert!(d2 > c1 && c1 > d1);
    let menus = s.menus(&acc.appid).await.unwrap();
    assert_eq!(menus.iter().map(|m| (m.menuid, m.buttons.as_str())).collect::<Vec<_>>(), vec![(c1, "[2]"), (d2, "[4]")]);
    assert!(!s.delete_conditional_menu(&acc.appid, d2).await.unwrap(), "the default menu is not conditional");
    assert!(s.delete_conditional_menu(&acc.appid, c1).await.unwrap());
    assert!(s.delete_menus(&acc.appid).await.unwrap());
    assert!(s.menus(&acc.appid).await.unwrap().is_empty());
    assert!(!s.delete_menus(&acc.appid).await.unwrap());

    // One-time codes are taken once.
    let c = OneTimeCode {
        code: format!("c{}", rand_suffix()),
        purpose: "oauth".into(),
        appid: Some(acc.appid.clone()),
        user_id: user.id.clone(),
        scope: "snsapi_base".into(),
        created_at: 10,
        expires_at: 310,
        used_at: None,
    };
    s.put_code(&c).await.unwrap();
    assert_eq!(s.take_code(&c.code, "signin", 11).await.unwrap(), CodeTake::Missing);
    assert!(matches!(s.take_code(&c.code, "oauth", 11).await.unwrap(), CodeTake::Taken(k) if k.used_at == Some(11)));
    assert!(matches!(s.take_code(&c.code, "oauth", 12).await.unwrap(), CodeTake::Used(k) if k.used_at == Some(11)));

    // Grants renew by refresh token.
    let g = Grant {
        access_token: format!("a{}", rand_suffix()),
        refresh_token: format!("r{}", rand_suffix()),
        appid: acc.appid.clone(),
        user_id: user.id.clone(),
        openid: "o1".into(),
        scope: "snsapi_userinfo".into(),
        access_expires_at: 7210,
        refresh_expires_at: 99,
        created_at: 10,
    };
    s.put_grant(&g).await.unwrap();
    assert_eq!(s.grant(&g.access_token).await.unwrap().unwrap(), g);
    let renewed = s.renew_grant(&g.refresh_token, "a-new", 9000).await.unwrap().unwrap();
    assert_eq!((renewed.access_token.as_str(), renewed.access_expires_at), ("a-new", 9000));
    assert_eq!(s.grant(&g.access_token).await.unwrap(), None);
    assert_eq!(s.grant_by_refresh(&g.refresh_token).await.unwrap().unwrap().access_token, "a-new");

    // JS-SDK tickets: the live one is kept, an expired one replaced.
    assert_eq!(s.live_js_ticket(&acc.appid, "jsapi", 100).await.unwrap(), None);
    assert_eq!(s.js_ticket(&acc.appid, "jsapi", "T1", 100, 7200).await.unwrap(), ("T1".into(), 7300));
    assert_eq!(s.live_js_ticket(&acc.appid, "jsapi", 7299).await.unwrap().as_deref(), Some("T1"));
    assert_eq!(s.live_js_ticket(&acc.appid, "jsapi", 7300).await.unwrap(), None);
    assert_eq!(s.js_ticket(&acc.appid, "jsapi", "T2", 200, 7200).await.unwrap(), ("T1".into(), 7300));
    assert_eq!(s.js_ticket(&acc.appid, "wx_card", "C1", 200, 7200).await.unwrap(), ("C1".into(), 7400));
    assert_eq!(s.js_ticket(&acc.appid, "jsapi", "T3", 7300, 7200).await.unwrap(), ("T3".into(), 14500));

    // Sessions and the web domain.
    s.put_session("h1", &user.id, 1, 50).await.unwrap();
    assert_eq!(s.session("h1").await.unwrap(), Some((user.id.clone(), 50)));
    s.delete_session("h1").await.unwrap();
    assert_eq!(s.session("h1").await.unwrap(), None);
    assert_eq!(s.web_domain(&acc.appid).await.unwrap(), None);
    assert!(s.set_web_domain(&acc.appid, Some("shop.example")).await.unwrap());
    assert_eq!(s.web_domain(&acc.appid).await.unwrap().as_deref(), Some("shop.example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ledger_story_on_every_backend() {
    use herald_domain::ledger::{Book, Txn};
    for (name, s) in backends().await {
        eprintln!("ledger story on {name}");
        let u = format!("u{}", rand_suffix());
        let wallet = Book::Wallet(u.clone());
        let topup = Txn::transfer(format!("topup:{u}:1"), Book::World, wallet.clone(), 1_000).unwrap();
        let Posted::New(id) = s.post(&topup, 5).await.unwrap() else { panic!("not posted") };
        assert_eq!(s.post(&topup, 6).await.unwrap(), Posted::Duplicate(id), "the same reason moves nothing twice");
        assert_eq!(s.balance(&wallet).await.unwrap(), 1_000);
        let m = format!("m{}", rand_suffix());
        let too_much = Txn::payment(format!("pay:{m}:1"), &u, &m, 1_500, None).unwrap();
        assert_eq!(s.post(&too_much, 7).await.unwrap(), Posted::Insufficient(wallet.clone(), 1_000));
        assert_eq!(s.balance(&Book::Merchant(m.clone())).await.unwrap(), 0, "a refused payment moves nothing");
        let pay = Txn::payment(format!("pay:{m}:2"), &u, &m, 600, None).unwrap();
        assert!(matches!(s.post(&pay, 8).await.unwrap(), Posted::New(_)));
        assert_eq!((s.balance(&wallet).await.unwrap(), s.balance(&Book::Merchant(m.clone())).await.unwrap()), (400, 600));
        let history = s.entries(&wallet, 10).await.unwrap();
        assert_eq!(history.iter().map(|e| (e.delta, e.balance_after)).collect::<Vec<_>>(), vec![(-600, 400), (1_000, 1_000)]);
        assert_eq!(history[0].reason, format!("pay:{m}:2"));
        // Concurrent payments from one wallet never overdraw it: 400 fen pays for two of ten.
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let (s, u, m) = (s.clone(), u.clone(), m.clone());
                tokio::spawn(async move { s.post(&Txn::payment(format!("pay:{m}:c{i}"), &u, &m, 200, None).unwrap(), 9).await.unwrap() })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += matches!(t.await.unwrap(), Posted::New(_)) as i32;
        }
        assert_eq!((ok, s.balance(&wallet).await.unwrap()), (2, 0), "{name}");
        let (total, _, negative) = s.ledger_audit().await.unwrap();
        assert_eq!((total, negative), (0, 0));
    }
}

#[tokio::test]
async fn pay_story_on_every_backend() {
    for (name, s) in backends().await {
        eprintln!("pay story on {name}");
        pay_story(s).await;
    }
}

async fn pay_story(s: Arc<dyn Store>) {
    use herald_domain::ledger::{Book, Txn};
    use herald_domain::pay::{RefundStatus, TradeState, TradeType};
    use herald_store::pay::*;

    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let mchid = format!("19{}", rand_suffix());
    let m = Merchant {
        mchid: mchid.clone(),
        name: "Tea".into(),
        apiv3_key: "k".repeat(32),
        api_key: "a".repeat(32),
        mch_serial: "ABC".into(),
        mch_public_key: "pem".into(),
        mch_certificate: None,
        platform_serial: "DEF".into(),
        platform_certificate: "cert".into(),
        platform_not_before: 0,
        platform_not_after: 10,
        public_key_id: format!("PUB_KEY_ID_{}", rand_suffix()),
        key_mode: "certificate".into(),
        created_at: 1,
        refund_mode: "auto".into(),
        appids: vec![acc.appid.0.clone()],
    };
    assert!(s.create_merchant(&m).await.unwrap());
    assert!(!s.create_merchant(&m).await.unwrap(), "the mchid is taken");
    assert_eq!(s.merchant(&mchid).await.unwrap().unwrap(), m);
    s.set_merchant_key_mode(&mchid, "public_key").await.unwrap();
    assert_eq!(s.merchant(&mchid).await.unwrap().unwrap().key_mode, "public_key");

    // Nonces: a replay is seen.
    assert!(s.use_pay_nonce(&mchid, "n1", 100, 0).await.unwrap());
    assert!(!s.use_pay_nonce(&mchid, "n1", 101, 0).await.unwrap());
    assert!(s.use_pay_nonce(&format!("{mchid}x"), "n1", 101, 0).await.unwrap(), "nonces are per merchant");

    let tid = format!("4200{}", rand_suffix());
    let order = Order {
        transaction_id: tid.clone(),
        mchid: mchid.clone(),
        out_trade_no: "T0001".into(),
        appid: acc.appid.0.clone(),
        trade_type: TradeType::Native,
        description: "Tea".into(),
        attach: None,
        notify_url: "https://shop.example/n".into(),
        goods_tag: None,
        total: 300,
        currency: "CNY".into(),
        payer_openid: None,
        scene_info: None,
        fingerprint: "f1".into(),
        prepay_id: format!("wx{}", rand_suffix()),
        prepay_expires_at: 7200,
        code_key: Some(format!("k{}", rand_suffix())),
        state: TradeState::NotPay,
        expires_at: 10_000,
        created_at: 1,
        success_time: None,
        payer_user: None,
        refunded: 0,
        discount: 0,
        promotion: None,
    };
    assert_eq!(s.place_order(&order).await.unwrap(), Placed::New);
    let again = Order { transaction_id: format!("4200{}", rand_suffix()), prepay_id: format!("wx{}", rand_suffix()), code_key: None, ..order.clone() };
    assert_eq!(s.place_order(&again).await.unwrap(), Placed::Existing(Box::new(order.clone())), "one order per out_trade_no");
    let by_code = OrderKey::CodeKey(order.code_key.clone().unwrap());
    assert_eq!(s.order(&by_code).await.unwrap().unwrap().transaction_id, tid);

    // Paying: the wallet is short, then enough; the notification is queued with the payment.
    let user = format!("u{}", rand_suffix());
    let notify = |o: &Order, m: &Merchant| {
        Some(NewNotification { appid: o.appid.clone(), mchid: m.mchid.clone(), event_type: "TRANSACTION.SUCCESS".into(), subject: o.out_trade_no.clone(), payload: "{}".into() })
    };
    let pay = Payment { key: by_code.clone(), coupon: None, user: user.clone(), openid: "o1".into(), now: 50, now_ms: 50_000 };
    let ok = |_: &Order| Ok(());
    assert_eq!(s.pay_order(&pay, &ok, &notify).await.unwrap(), PayResult::Insufficient(0));
    assert_eq!(s.order(&by_code).await.unwrap().unwrap().state, TradeState::PayError);
    assert!(s.pay_notifications(&mchid, 10).await.unwrap().is_empty(), "no notification for a failed payment");
    s.post(&Txn::transfer(format!("topup:{user}"), Book::World, Book::Wallet(user.clone()), 1_000).unwrap(), 40).await.unwrap();
    let PayResult::Paid(paid) = s.pay_order(&pay, &ok, &notify).await.unwrap() else { panic!("not paid") };
    assert_eq!((paid.state, paid.success_time, paid.payer_user.as_deref()), (TradeState::Success, Some(50), Some(user.as_str())));
    let refuse = |o: &Order| if o.state.paid() { Err((herald_wire::pay::PayCode::OrderPaid, "paid".to_string())) } else { Ok(()) };
    assert!(matches!(s.pay_order(&pay, &refuse, &notify).await.unwrap(), PayResult::Refused(_)));
    assert_eq!(s.balance(&Book::Wallet(user.clone())).await.unwrap(), 700);
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 300);
    let notes = s.pay_notifications(&mchid, 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].job.kind.as_str(), notes[0].job.state.as_str(), notes[0].job.run_at), ("pay_notify", "pending", 50_000));

    // Closing: only unpaid orders close.
    assert_eq!(s.close_order(&mchid, "T0001").await.unwrap().unwrap().state, TradeState::Success);
    assert_eq!(s.close_order(&mchid, "nope").await.unwrap(), None);

    // Refunds: escrow, idempotent on out_refund_no, then settled into the wallet once.
    let new_refund = |no: &str, amount: i64| NewRefund {
        refund_id: format!("5000{}", rand_suffix()),
        mchid: mchid.clone(),
        out_refund_no: no.into(),
        order: OrderKey::OutTradeNo(mchid.clone(), "T0001".into()),
        amount,
        total: 300,
        reason: None,
        notify_url: Some("https://shop.example/r".into()),
        fingerprint: format!("r{amount}"),
        now: 60,
        now_ms: 60_000,
    };
    let RefundResult::Created(r1) = s.create_refund(&new_refund("R0001", 100), &ok).await.unwrap() else { panic!("no refund") };
    assert_eq!(r1.status, RefundStatus::Processing);
    assert!(matches!(s.create_refund(&new_refund("R0001", 100), &ok).await.unwrap(), RefundResult::Existing(e) if e.refund_id == r1.refund_id));
    assert_eq!(s.balance(&Book::Refund(r1.refund_id.clone())).await.unwrap(), 100);
    assert_eq!(s.order(&by_code).await.unwrap().unwrap().refunded, 100);
    assert_eq!(s.create_refund(&new_refund("R0002", 250), &ok).await.unwrap(), RefundResult::NotEnough(200), "the merchant holds 200");
    let missing = NewRefund { order: OrderKey::OutTradeNo(mchid.clone(), "nope".into()), ..new_refund("R0003", 1) };
    assert_eq!(s.create_refund(&missing, &ok).await.unwrap(), RefundResult::OrderMissing);
    let rnotify = |r: &Refund, m: &Merchant| {
        Some(NewNotification { appid: acc.appid.0.clone(), mchid: m.mchid.clone(), event_type: "REFUND.SUCCESS".into(), subject: r.out_refund_no.clone(), payload: "{}".into() })
    };
    let settled = s.settle_refund(&r1.refund_id, RefundStatus::Success, 70, 70_000, None, &rnotify).await.unwrap().unwrap();
    assert_eq!((settled.status, settled.success_time), (RefundStatus::Success, Some(70)));
    assert_eq!(s.settle_refund(&r1.refund_id, RefundStatus::Success, 71, 71_000, None, &rnotify).await.unwrap(), None, "settled once");
    assert_eq!(s.balance(&Book::Wallet(user.clone())).await.unwrap(), 800);
    assert_eq!(s.balance(&Book::Refund(r1.refund_id.clone())).await.unwrap(), 0);
    // A refund closed instead goes back to the merchant and frees the order's amount.
    let RefundResult::Created(r2) = s.create_refund(&new_refund("R0004", 50), &ok).await.unwrap() else { panic!("no refund") };
    s.settle_refund(&r2.refund_id, RefundStatus::Closed, 80, 80_000, None, &rnotify).await.unwrap().unwrap();
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 200);
    assert_eq!(s.order(&by_code).await.unwrap().unwrap().refunded, 100);
    assert_eq!(s.refunds_of(&tid).await.unwrap().len(), 2);
    assert_eq!(s.refund(&mchid, "R0004").await.unwrap().unwrap().status, RefundStatus::Closed);
    assert_eq!(s.pay_notifications(&mchid, 10).await.unwrap().len(), 3);
    // Pulling notification jobs forward (the simulated clock moved).
    assert!(s.pull_jobs_forward("pay_notify", 10_000).await.unwrap() >= 3);
    assert_eq!(s.pay_notifications(&mchid, 10).await.unwrap().last().unwrap().job.run_at, 40_000);
    let (total, _, negative) = s.ledger_audit().await.unwrap();
    assert_eq!((total, negative), (0, 0));
}

#[tokio::test]
async fn redpack_story_on_every_backend() {
    for (name, s) in backends().await {
        eprintln!("red packet story on {name}");
        redpack_story(s).await;
    }
}

async fn redpack_story(s: Arc<dyn Store>) {
    use herald_domain::ledger::{Book, Txn};
    use herald_domain::redpack::{HbType, OpenRefusal, RedPackStatus};
    use herald_store::pay::Merchant;
    use herald_store::redpack::*;

    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let mchid = format!("19{}", rand_suffix());
    let m = Merchant {
        mchid: mchid.clone(),
        name: "Tea".into(),
        apiv3_key: "k".repeat(32),
        api_key: "a".repeat(32),
        mch_serial: "ABC".into(),
        mch_public_key: "pem".into(),
        mch_certificate: None,
        platform_serial: "DEF".into(),
        platform_certificate: "cert".into(),
        platform_not_before: 0,
        platform_not_after: 10,
        public_key_id: format!("PUB_KEY_ID_{}", rand_suffix()),
        key_mode: "certificate".into(),
        created_at: 1,
        refund_mode: "auto".into(),
        appids: vec![acc.appid.0.clone()],
    };
    assert!(s.create_merchant(&m).await.unwrap());
    let (alice, bob, carol) = (format!("a{}", rand_suffix()), format!("b{}", rand_suffix()), format!("c{}", rand_suffix()));
    let packet = |billno: &str, hb_type: HbType, shares: &[i64]| RedPack {
        send_listid: format!("1000041701{}", rand_suffix()),
        mchid: mchid.clone(),
        mch_billno: billno.into(),
        wxappid: acc.appid.0.clone(),
        re_openid: "oA".into(),
        user_id: alice.clone(),
        hb_type,
        total_amount: shares.iter().sum(),
        total_num: shares.len() as i64,
        send_name: "Tea".into(),
        wishing: "Happy".into(),
        act_name: "New year".into(),
        remark: "r".into(),
        scene_id: None,
        fingerprint: format!("f{billno}"),
        status: RedPackStatus::Sent,
        send_time: 100,
        expires_at: 100 + 86_400,
        refund_time: None,
        refund_amount: None,
        shares: shares.iter().enumerate().map(|(i, a)| Share { idx: i as i64, amount: *a, user_id: None, openid: None, rcv_time: None }).collect(),
    };

    // The merchant is short, then funded; the same billno answers the first packet.
    let normal = packet("B1", HbType::Normal, &[500]);
    assert_eq!(s.send_redpack(&normal, 1_000).await.unwrap(), SendResult::NotEnough(0));
    assert_eq!(s.redpack(&mchid, "B1").await.unwrap(), None, "nothing was written");
    s.post(&Txn::transfer(format!("fund:{mchid}"), Book::World, Book::Merchant(mchid.clone()), 2_000).unwrap(), 1).await.unwrap();
    let SendResult::Sent(sent) = s.send_redpack(&normal, 1_000).await.unwrap() else { panic!("not sent") };
    assert_eq!((sent.status, sent.shares.len(), sent.shares_left()), (RedPackStatus::Sent, 1, 1));
    let again = RedPack { send_listid: format!("1000041701{}", rand_suffix()), ..normal.clone() };
    assert!(matches!(s.send_redpack(&again, 1_000).await.unwrap(), SendResult::Existing(e) if e.send_listid == normal.send_listid));
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 1_500);
    assert_eq!(s.balance(&Book::RedPacket(normal.send_listid.clone())).await.unwrap(), 500);

    // Only Alice opens a normal packet, once.
    assert_eq!(s.open_redpack(&normal.send_listid, &bob, "oB", 200).await.unwrap(), OpenResult::Refused(OpenRefusal::NotForYou));
    let OpenResult::Opened(opened, 500) = s.open_redpack(&normal.send_listid, &alice, "oA", 200).await.unwrap() else { panic!("not opened") };
    assert_eq!(opened.status, RedPackStatus::Received);
    assert_eq!(opened.shares[0].user_id.as_deref(), Some(alice.as_str()));
    assert!(matches!(s.open_redpack(&normal.send_listid, &alice, "oA", 201).await.unwrap(), OpenResult::Already(_, 500)));
    assert_eq!(s.balance(&Book::Wallet(alice.clone())).await.unwrap(), 500);
    assert_eq!(s.open_redpack("nope", &alice, "oA", 201).await.unwrap(), OpenResult::Missing);

    // A fission packet: Alice and Bob open a share each; Carol comes too late.
    let group = packet("B2", HbType::Group, &[300, 100, 200]);
    assert!(matches!(s.send_redpack(&group, 2_000).await.unwrap(), SendResult::Sent(_)));
    assert!(matches!(s.open_redpack(&group.send_listid, &alice, "oA", 300).await.unwrap(), OpenResult::Opened(_, 300)));
    assert!(matches!(s.open_redpack(&group.send_listid, &bob, "oB", 300).await.unwrap(), OpenResult::Opened(_, 100)));
    assert_eq!(s.redpacks_of_user(&bob, 10).await.unwrap().len(), 1);
    assert_eq!(s.redpacks_of_user(&alice, 10).await.unwrap().len(), 2);

    // The return job: not due before 24 hours (rescheduled), then what is left goes back once.
    let jobs = s.pull_jobs_forward(RETURN_JOB, 0).await.unwrap();
    assert!(jobs >= 2);
    assert_eq!(s.return_redpack(&group.send_listid, 1_000, 5_000, None).await.unwrap(), ReturnResult::NotDue);
    assert_eq!(s.open_redpack(&group.send_listid, &carol, "oC", group.expires_at).await.unwrap(), OpenResult::Refused(OpenRefusal::Expired));
    let ReturnResult::Returned(back) = s.return_redpack(&group.send_listid, group.expires_at, 9_000, None).await.unwrap() else { panic!("not returned") };
    assert_eq!((back.status, back.refund_amount, back.refund_time), (RedPackStatus::Refund, Some(200), Some(group.expires_at)));
    assert_eq!(s.return_redpack(&group.send_listid, group.expires_at + 1, 9_001, None).await.unwrap(), ReturnResult::Nothing);
    assert_eq!(s.return_redpack(&normal.send_listid, normal.expires_at, 9_002, None).await.unwrap(), ReturnResult::Nothing, "every share was opened");
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 2_000 - 500 - 600 + 200);
    assert_eq!(s.balance(&Book::RedPacket(group.send_listid.clone())).await.unwrap(), 0);
    let (total, _, negative) = s.ledger_audit().await.unwrap();
    assert_eq!((total, negative), (0, 0));
}

#[tokio::test]
async fn coupon_story_on_every_backend() {
    for (name, s) in backends().await {
        eprintln!("coupon story on {name}");
        coupon_story(s).await;
    }
}

async fn coupon_story(s: Arc<dyn Store>) {
    use herald_domain::coupon::{CouponStatus, StockAction, StockStatus};
    use herald_domain::ledger::{Book, Txn};
    use herald_domain::pay::{RefundStatus, TradeState, TradeType};
    use herald_store::coupon::*;
    use herald_store::pay::*;

    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let mchid = format!("19{}", rand_suffix());
    let m = Merchant {
        mchid: mchid.clone(),
        name: "Tea".into(),
        apiv3_key: "k".repeat(32),
        api_key: "a".repeat(32),
        mch_serial: "ABC".into(),
        mch_public_key: "pem".into(),
        mch_certificate: None,
        platform_serial: "DEF".into(),
        platform_certificate: "cert".into(),
        platform_not_before: 0,
        platform_not_after: 10,
        public_key_id: format!("PUB_KEY_ID_{}", rand_suffix()),
        key_mode: "certificate".into(),
        created_at: 1,
        refund_mode: "auto".into(),
        appids: vec![acc.appid.0.clone()],
    };
    assert!(s.create_merchant(&m).await.unwrap());
    let stock_id = format!("9{}", rand_suffix());
    let stock = Stock {
        stock_id: stock_id.clone(),
        mchid: mchid.clone(),
        out_request_no: "S1".into(),
        stock_name: "5 off".into(),
        comment: None,
        available_begin_time: 0,
        available_end_time: 1_000,
        max_coupons: 2,
        max_amount: 100,
        max_amount_by_day: 100,
        max_coupons_per_user: 1,
        coupon_amount: 50,
        transaction_minimum: 100,
        no_cash: false,
        status: StockStatus::Unactivated,
        distributed_coupons: 0,
        rules: "{}".into(),
        fingerprint: "f".into(),
        create_time: 10,
        start_time: None,
        stop_time: None,
    };
    assert!(matches!(s.create_stock(&stock).await.unwrap(), StockPlaced::New(_)));
    let other = Stock { stock_id: format!("8{}", rand_suffix()), ..stock.clone() };
    assert!(matches!(s.create_stock(&other).await.unwrap(), StockPlaced::Existing(e) if e.stock_id == stock_id), "one stock per out_request_no");

    // Starting a cash stock funds its budget from the merchant.
    assert_eq!(s.change_stock(&stock_id, StockAction::Start, 20).await.unwrap(), StockChange::NotEnough(0));
    s.post(&Txn::transfer(format!("fund:{mchid}"), Book::World, Book::Merchant(mchid.clone()), 1_000).unwrap(), 1).await.unwrap();
    let StockChange::Changed(started) = s.change_stock(&stock_id, StockAction::Start, 20).await.unwrap() else { panic!("not started") };
    assert_eq!((started.status, started.start_time), (StockStatus::Running, Some(20)));
    assert!(matches!(s.change_stock(&stock_id, StockAction::Start, 21).await.unwrap(), StockChange::Refused(_)));
    assert_eq!(s.balance(&Book::CouponStock(stock_id.clone())).await.unwrap(), 100);
    assert_eq!(s.change_stock("nope", StockAction::Start, 21).await.unwrap(), StockChange::Missing);

    // Sending: idempotent on out_request_no, one per user, two in all.
    let (alice, bob, carol) = (format!("a{}", rand_suffix()), format!("b{}", rand_suffix()), format!("c{}", rand_suffix()));
    let coupon = |user: &str, no: &str| Coupon {
        coupon_id: format!("7{}", rand_suffix()),
        stock_id: stock_id.clone(),
        appid: acc.appid.0.clone(),
        openid: format!("o{user}"),
        user_id: user.into(),
        out_request_no: no.into(),
        status: CouponStatus::Sended,
        create_time: 0,
        used_time: None,
        transaction_id: None,
    };
    let CouponSent::Sent(ca) = s.send_coupon(&coupon(&alice, "R1"), 30).await.unwrap() else { panic!("not sent") };
    assert!(matches!(s.send_coupon(&coupon(&alice, "R1"), 31).await.unwrap(), CouponSent::Existing(e) if e.coupon_id == ca.coupon_id));
    assert!(matches!(s.send_coupon(&coupon(&alice, "R2"), 31).await.unwrap(), CouponSent::Refused(_)), "one per user");
    assert!(matches!(s.send_coupon(&coupon(&bob, "R3"), 31).await.unwrap(), CouponSent::Sent(_)));
    assert!(matches!(s.send_coupon(&coupon(&carol, "R4"), 31).await.unwrap(), CouponSent::Refused(_)), "all sent");
    assert_eq!(s.stock(&stock_id).await.unwrap().unwrap().distributed_coupons, 2);
    assert_eq!(s.coupons_of(&format!("o{alice}")).await.unwrap().len(), 1);
    assert_eq!(s.usable_coupons(&alice).await.unwrap().len(), 1);

    // Paying 300 with Alice's coupon: 250 from her wallet, 50 from the stock.
    s.post(&Txn::transfer(format!("topup:{alice}"), Book::World, Book::Wallet(alice.clone()), 260).unwrap(), 1).await.unwrap();
    let tid = format!("4200{}", rand_suffix());
    let order = Order {
        transaction_id: tid.clone(),
        mchid: mchid.clone(),
        out_trade_no: "C1".into(),
        appid: acc.appid.0.clone(),
        trade_type: TradeType::Native,
        description: "Tea".into(),
        attach: None,
        notify_url: "https://shop.example/n".into(),
        goods_tag: None,
        total: 300,
        currency: "CNY".into(),
        payer_openid: None,
        scene_info: None,
        fingerprint: "f1".into(),
        prepay_id: format!("wx{}", rand_suffix()),
        prepay_expires_at: 7200,
        code_key: None,
        state: TradeState::NotPay,
        expires_at: 10_000,
        created_at: 1,
        success_time: None,
        payer_user: None,
        refunded: 0,
        discount: 0,
        promotion: None,
    };
    assert_eq!(s.place_order(&order).await.unwrap(), Placed::New);
    let key = OrderKey::OutTradeNo(mchid.clone(), "C1".into());
    let use_ca = CouponUse { coupon_id: ca.coupon_id.clone(), stock_id: stock_id.clone(), amount: 50, no_cash: false, promotion: "[]".into() };
    let ok = |_: &Order| Ok(());
    let none = |_: &Order, _: &Merchant| None;
    let pay = |user: &str, coupon: Option<CouponUse>| Payment { key: key.clone(), coupon, user: user.into(), openid: "o".into(), now: 40, now_ms: 40_000 };
    // Bob cannot use Alice's coupon; nothing moves.
    assert_eq!(s.pay_order(&pay(&bob, Some(use_ca.clone())), &ok, &none).await.unwrap(), PayResult::CouponGone);
    let PayResult::Paid(paid) = s.pay_order(&pay(&alice, Some(use_ca.clone())), &ok, &none).await.unwrap() else { panic!("not paid") };
    assert_eq!((paid.discount, paid.promotion.as_deref()), (50, Some("[]")));
    assert_eq!(s.balance(&Book::Wallet(alice.clone())).await.unwrap(), 10);
    assert_eq!(s.balance(&Book::CouponStock(stock_id.clone())).await.unwrap(), 50);
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 900 + 300);
    let used = s.coupon(&ca.coupon_id).await.unwrap().unwrap();
    assert_eq!((used.status, used.transaction_id.as_deref()), (CouponStatus::Used, Some(tid.as_str())));
    assert!(s.usable_coupons(&alice).await.unwrap().is_empty());

    // A full refund: the payer gets back what they paid, the coupon's part goes to the merchant.
    let r = NewRefund {
        refund_id: format!("5000{}", rand_suffix()),
        mchid: mchid.clone(),
        out_refund_no: "CR1".into(),
        order: key.clone(),
        amount: 300,
        total: 300,
        reason: None,
        notify_url: None,
        fingerprint: "rf".into(),
        now: 50,
        now_ms: 50_000,
    };
    let RefundResult::Created(rf) = s.create_refund(&r, &ok).await.unwrap() else { panic!("no refund") };
    let rnone = |_: &Refund, _: &Merchant| None;
    s.settle_refund(&rf.refund_id, RefundStatus::Success, 60, 60_000, None, &rnone).await.unwrap().unwrap();
    assert_eq!(s.balance(&Book::Wallet(alice.clone())).await.unwrap(), 260);
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 900 + 50);

    // Stopping returns what is left of the budget.
    assert!(matches!(s.change_stock(&stock_id, StockAction::Pause, 70).await.unwrap(), StockChange::Changed(x) if x.status == StockStatus::Paused));
    let StockChange::Changed(stopped) = s.change_stock(&stock_id, StockAction::Stop, 80).await.unwrap() else { panic!("not stopped") };
    assert_eq!((stopped.status, stopped.stop_time), (StockStatus::Stopped, Some(80)));
    assert_eq!(s.balance(&Book::CouponStock(stock_id.clone())).await.unwrap(), 0);
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 1_000);
    let (page, total) = s.stocks(&mchid, Some(StockStatus::Stopped), 0, 10).await.unwrap();
    assert_eq!((page.len(), total), (1, 1));
    assert_eq!(s.stocks(&mchid, Some(StockStatus::Running), 0, 10).await.unwrap().1, 0);
    let (sum, _, negative) = s.ledger_audit().await.unwrap();
    assert_eq!((sum, negative), (0, 0));
}
