//! One storage story, run against every backend: SQLite always, PostgreSQL whenever
//! `HERALD_TEST_PG` (default `postgres://127.0.0.1:5432/test`) is reachable. The payment
//! stories are in pay_stories.rs.

mod common;

use common::*;
use herald_domain::account::{AccountType, OwnerKind};
use herald_domain::time::ClockState;
use herald_domain::token::{IssuedToken, TokenKind};
use herald_store::*;
use herald_wire::{AppId, ErrCode, OpenId, UnionId, UserId};

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

    // A worker's round: finishing and claiming in one transaction hands the conversation on
    // at once (the next job is claimed in the same call); a stale entry still changes nothing.
    let (_, job4) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 6_300).await.unwrap();
    let (_, job5) = s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 6_300).await.unwrap();
    let (job4, job5) = (job4.unwrap(), job5.unwrap());
    let (applied, got) = s.finish_and_claim(&[], "w", 6_300, 30_000, 10).await.unwrap();
    assert!(applied.is_empty());
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job4], "one at a time");
    let (applied, got) = s.finish_and_claim(&[fin(job4, "w"), fin(job2, "nobody")], "w", 6_400, 30_000, 10).await.unwrap();
    assert_eq!(applied, vec![true, false]);
    assert_eq!(got.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), vec![(job5, 1)]);
    let (applied, got) = s.finish_and_claim(&[fin(job5, "w")], "w", 6_500, 30_000, 0).await.unwrap();
    assert_eq!((applied, got.len()), (vec![true], 0));
    assert_eq!(s.job(job5).await.unwrap().unwrap().state, "done");

    // Three queued behind one another leave strictly in the order they came.
    let mut queued = Vec::new();
    for _ in 0..3 {
        queued.push(s.record_inbound(&msg(appid, user, &openid, Direction::In, "user", "text"), true, true, Some(&build), 6_600).await.unwrap().1.unwrap());
    }
    let (_, mut got) = s.finish_and_claim(&[], "w", 6_600, 30_000, 10).await.unwrap();
    for (i, want) in queued.iter().enumerate() {
        assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![*want], "job {i} of the three");
        got = s.finish_and_claim(&[fin(*want, "w")], "w", 6_700, 30_000, 10).await.unwrap().1;
    }
    assert!(got.is_empty());

    let conv = s.conversation(appid, user, 0, 100, false).await.unwrap();
    let sources: Vec<&str> = conv.iter().map(|m| m.message.source.as_str()).collect();
    assert_eq!(sources, ["user", "passive_reply", "user", "user", "user", "notice", "passive_reply", "user", "user", "user", "user", "user", "user"]);
    assert_eq!(s.conversation(appid, user, 0, 100, true).await.unwrap().len(), 14, "with the event");
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
    assert_eq!(s.take_code(&c.code, "signin", None, 11).await.unwrap(), CodeTake::Missing);
    // Another app's attempt finds nothing and burns nothing.
    assert_eq!(s.take_code(&c.code, "oauth", Some(&AppId("wx_other".into())), 11).await.unwrap(), CodeTake::Missing);
    assert!(matches!(s.take_code(&c.code, "oauth", Some(&acc.appid), 11).await.unwrap(), CodeTake::Taken(k) if k.used_at == Some(11)));
    assert_eq!(s.take_code(&c.code, "oauth", Some(&AppId("wx_other".into())), 12).await.unwrap(), CodeTake::Missing, "used or not, another app learns nothing");
    assert!(matches!(s.take_code(&c.code, "oauth", None, 12).await.unwrap(), CodeTake::Used(k) if k.used_at == Some(11)));

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
