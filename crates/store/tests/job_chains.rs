//! A queue's pending jobs form a chain (migration 0015): the migration builds the chains of
//! queues left pending by an older version, and a redelivered job joins its conversation's
//! chain at the tail. A job pulled forward while in flight keeps the pull in its retry
//! (migration 0016). SQLite always, PostgreSQL whenever `HERALD_TEST_PG` is reachable.

mod common;

use common::*;
use herald_domain::account::{AccountType, OwnerKind};
use herald_store::*;
use herald_wire::{OpenId, UnionId, UserId};

/// Pending queues as the older version left them (`blocked` only), as (id, user, state, blocked):
/// conversation a runs 2 with 3 and 4 waiting; b runs 6 with 5, an older job redelivered, waiting;
/// c has only waiting jobs (a state the old promotion would have repaired); 10 belongs to no queue.
const OLD_JOBS: &[(i64, Option<&str>, &str, i64)] = &[
    (1, Some("a"), "done", 0),
    (2, Some("a"), "pending", 0),
    (3, Some("a"), "pending", 1),
    (4, Some("a"), "pending", 1),
    (5, Some("b"), "pending", 1),
    (6, Some("b"), "pending", 0),
    (7, Some("b"), "failed", 0),
    (8, Some("c"), "pending", 1),
    (9, Some("c"), "pending", 1),
    (10, None, "pending", 0),
];

/// (id, next_id, blocked) after the migration.
const CHAINED: &[(i64, Option<i64>, i64)] = &[
    (1, None, 0),
    (2, Some(3), 0),
    (3, Some(4), 1),
    (4, None, 1),
    (5, None, 1),
    (6, Some(5), 0),
    (7, None, 0),
    (8, Some(9), 0),
    (9, None, 1),
    (10, None, 0),
];

const INSERT_OLD: &str = "INSERT INTO jobs (id, kind, appid, user_id, state, attempts, run_at, created_at, blocked) \
                          VALUES ($1, 'callback', 'wxchains', $2, $3, 0, 0, 0, $4)";

#[test]
fn the_migration_chains_pending_queues_on_sqlite() {
    let path = std::env::temp_dir().join(format!("herald-chains-{}.db", rand_suffix()));
    let c = rusqlite::Connection::open(&path).unwrap();
    for sql in migrations_before("sqlite", "0015") {
        c.execute_batch(&sql).unwrap();
    }
    for &(id, user, state, blocked) in OLD_JOBS {
        c.execute(&INSERT_OLD.replace('$', "?"), rusqlite::params![id, user, state, blocked]).unwrap();
    }
    c.execute_batch(&migration("sqlite", "0015_job_chains.sql")).unwrap();
    let mut st = c.prepare("SELECT id, next_id, blocked FROM jobs ORDER BY id").unwrap();
    let got: Vec<(i64, Option<i64>, i64)> = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(got, CHAINED);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn the_migration_chains_pending_queues_on_postgres() {
    let Some(pool) = postgres_before("0015").await else { return };
    for &(id, user, state, blocked) in OLD_JOBS {
        sqlx::query(INSERT_OLD).bind(id).bind(user).bind(state).bind(blocked as i16).execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(&migration("postgres", "0015_job_chains.sql")).execute(&pool).await.unwrap();
    let got: Vec<(i64, Option<i64>, i16)> = sqlx::query_as("SELECT id, next_id, blocked FROM jobs ORDER BY id").fetch_all(&pool).await.unwrap();
    let got: Vec<(i64, Option<i64>, i64)> = got.into_iter().map(|(a, b, c)| (a, b, i64::from(c))).collect();
    assert_eq!(got, CHAINED);
    pool.close().await;
}

/// A service account followed by a new user, and a text message from that user.
async fn conversation(s: &dyn Store) -> (Account, NewMessage) {
    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let acc = account(&org, AccountType::Service);
    s.insert_account(&acc).await.unwrap();
    let user = User { id: UserId(format!("u_{}", rand_suffix())), nickname: "U".into(), created_at: 1, profile: Default::default() };
    s.insert_user(&user).await.unwrap();
    let ids = FreshIds { openid: OpenId(format!("o{}", rand_suffix())), unionid: UnionId(format!("u{}", rand_suffix())) };
    let (f, _) = s.follow(&acc.appid, &user.id, &FollowHow::default(), &ids, 100).await.unwrap();
    let inbound = NewMessage {
        appid: acc.appid.clone(),
        user_id: user.id.clone(),
        openid: f.openid.clone(),
        direction: Direction::In,
        source: "user".into(),
        msg_type: "text".into(),
        body: "{}".into(),
        created_at: 1_000,
    };
    (acc, inbound)
}

/// A callback's payload naming its MsgId.
fn callback_xml(id: Option<i64>) -> String {
    format!("<xml><MsgId>{}</MsgId></xml>", id.unwrap_or(0))
}

/// Queues a callback for the user's message; the job's id.
async fn queue(s: &dyn Store, inbound: &NewMessage) -> i64 {
    s.record_inbound(inbound, true, true, Some(&callback_xml), 1_000).await.unwrap().1.unwrap()
}

/// An attempt at `job` that got no answer; tests change what they need.
fn attempt(acc: &Account, job: i64) -> Attempt {
    Attempt {
        id: 0,
        job_id: job,
        appid: acc.appid.clone(),
        attempt: 1,
        url: "http://dev/wx".into(),
        request: "<xml/>".into(),
        status: None,
        response: None,
        latency_ms: 1,
        error: Some("down".into()),
        at: 1_000,
    }
}

/// The ids of the jobs worker "w" claims at `now`.
async fn claim(s: &dyn Store, now: i64) -> Vec<i64> {
    s.claim_jobs("w", now, 30_000, 10).await.unwrap().iter().map(|j| j.id).collect()
}

#[tokio::test]
async fn a_redelivered_job_waits_behind_its_conversation_on_every_backend() {
    for (name, s) in backends().await {
        eprintln!("chains on {name}");
        let s = s.as_ref();
        let (acc, inbound) = conversation(s).await;
        let queue = || queue(s, &inbound);
        let attempt = |job: i64| attempt(&acc, job);
        let claim = |now: i64| claim(s, now);
        let done = |job: i64, now: i64| async move {
            assert!(s.finish_job(job, "w", &attempt(job), &JobOutcome::Done { reply: None }, now).await.unwrap());
        };

        let a = queue().await;
        assert_eq!(claim(1_000).await, vec![a]);
        let failed = JobOutcome::Failed { error: "down".into(), notice: None };
        assert!(s.finish_job(a, "w", &attempt(a), &failed, 1_000).await.unwrap());
        // Two more messages: b runs, c waits. a, redelivered now, goes out after both.
        let (b, c) = (queue().await, queue().await);
        assert_eq!(claim(1_100).await, vec![b]);
        assert!(s.requeue(a, 1_100).await.unwrap());
        assert!(claim(1_100).await.is_empty(), "{name}: one at a time");
        done(b, 1_200).await;
        assert_eq!(claim(1_200).await, vec![c], "{name}");
        done(c, 1_300).await;
        assert_eq!(claim(1_300).await, vec![a], "{name}: the redelivery last");
        // With the conversation empty, redelivering all that failed starts it at once; the
        // next message waits behind it.
        assert!(s.finish_job(a, "w", &attempt(a), &failed, 1_400).await.unwrap());
        assert_eq!(s.requeue_failed(&acc.appid, 1_500).await.unwrap(), 1);
        let d = queue().await;
        assert_eq!(claim(1_500).await, vec![a], "{name}");
        done(a, 1_600).await;
        assert_eq!(claim(1_600).await, vec![d], "{name}");
        done(d, 1_700).await;
        assert!(claim(1_700).await.is_empty());
    }
}

#[tokio::test]
async fn an_advance_while_a_job_is_in_flight_counts_for_its_retry_on_every_backend() {
    for (name, s) in backends().await {
        let s = s.as_ref();
        let (acc, inbound) = conversation(s).await;
        let job = queue(s, &inbound).await;
        let attempt = Attempt { status: Some(500), error: Some("HTTP 500".into()), ..attempt(&acc, job) };
        let retry = |run_at: i64| JobOutcome::Retry { run_at, error: "HTTP 500".into() };
        let claimed = |now: i64| claim(s, now);

        // In flight, the clock moves 10 s on; the attempt asks for a retry 15 s after it began.
        assert_eq!(claimed(1_000).await, vec![job], "{name}");
        assert_eq!(s.pull_jobs_forward("callback", 10_000).await.unwrap(), 1);
        assert!(s.finish_job(job, "w", &attempt, &retry(16_000), 1_100).await.unwrap());
        assert!(claimed(5_999).await.is_empty(), "{name}: not due before 15 s of clock time");
        assert_eq!(claimed(6_000).await, vec![job], "{name}: due 5 s of real time later");
        // A pull before the claim is not counted again.
        assert!(s.finish_job(job, "w", &attempt, &retry(26_000), 6_100).await.unwrap());
        assert!(claimed(25_999).await.is_empty(), "{name}: the earlier pull is not applied twice");
        assert_eq!(claimed(26_000).await, vec![job], "{name}");
    }
}

/// One round's finished jobs applied together (PostgreSQL does it in a few statements over
/// arrays): each as it would be alone, a job reported twice once, a job leased to another
/// worker not at all.
#[tokio::test]
async fn a_round_applies_each_finished_job_once_on_every_backend() {
    for (name, s) in backends().await {
        let s = s.as_ref();
        let mut convs = Vec::new();
        for _ in 0..4 {
            let (acc, inbound) = conversation(s).await;
            let job = queue(s, &inbound).await;
            convs.push((acc, inbound, job));
        }
        // The first conversation has a second message waiting behind its first.
        let waiting = queue(s, &convs[0].1).await;
        let ids: Vec<i64> = convs.iter().map(|c| c.2).collect();
        assert_eq!(claim(s, 1_000).await, ids, "{name}");
        let reply = |i: usize, text: &str| NewMessage {
            direction: Direction::Out,
            source: "passive_reply".into(),
            body: format!("{{\"content\":\"{text}\"}}"),
            created_at: 1_100,
            ..convs[i].1.clone()
        };
        let finished = |i: usize, worker: &str, outcome: JobOutcome| Finished {
            job_id: ids[i],
            worker: worker.into(),
            attempt: Attempt {
                request: format!("<xml>{i}</xml>"),
                status: Some(200),
                response: Some("success".into()),
                latency_ms: 3,
                error: None,
                at: 1_100,
                ..attempt(&convs[i].0, ids[i])
            },
            outcome,
        };
        let done = vec![
            finished(3, "other", JobOutcome::Done { reply: None }),
            finished(2, "w", JobOutcome::Retry { run_at: 90_000, error: "HTTP 500".into() }),
            finished(0, "w", JobOutcome::Done { reply: Some(reply(0, "first")) }),
            finished(1, "w", JobOutcome::Failed { error: "down".into(), notice: Some(reply(1, "notice")) }),
            finished(0, "w", JobOutcome::Done { reply: Some(reply(0, "again")) }),
        ];
        let (applied, next) = s.finish_and_claim(&done, "w", 1_200, 30_000, 10).await.unwrap();
        assert_eq!(applied, vec![false, true, true, true, false], "{name}");
        assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), vec![waiting], "{name}: the next in the first conversation");
        let state = |id: i64| async move { s.job(id).await.unwrap().unwrap() };
        assert_eq!(state(ids[0]).await.state, "done", "{name}");
        assert_eq!(state(ids[1]).await.state, "failed", "{name}");
        assert_eq!(state(ids[1]).await.last_error.as_deref(), Some("down"), "{name}");
        let retried = state(ids[2]).await;
        assert_eq!((retried.state.as_str(), retried.run_at, retried.last_error.as_deref()), ("pending", 90_000, Some("HTTP 500")), "{name}");
        assert_eq!(state(ids[3]).await.state, "pending", "{name}: still leased to w");
        for (i, n) in [(0, 1), (1, 1), (2, 1), (3, 0)] {
            let attempts = s.attempts(ids[i]).await.unwrap();
            assert_eq!(attempts.len(), n, "{name}: attempts of job {i}");
            if let Some(a) = attempts.first() {
                assert_eq!((a.request.as_str(), a.status, a.response.as_deref()), (format!("<xml>{i}</xml>").as_str(), Some(200), Some("success")), "{name}");
            }
        }
        let convs = &convs;
        let said = |i: usize| async move {
            let (acc, m, _) = &convs[i];
            let msgs = s.conversation(&acc.appid, &m.user_id, 0, 50, true).await.unwrap();
            msgs.iter().filter(|m| m.message.direction == Direction::Out).map(|m| (m.message.body.clone(), m.reply_for)).collect::<Vec<_>>()
        };
        assert_eq!(said(0).await, vec![("{\"content\":\"first\"}".to_string(), Some(ids[0]))], "{name}: one reply, the first reported");
        assert_eq!(said(1).await, vec![("{\"content\":\"notice\"}".to_string(), Some(ids[1]))], "{name}");
        assert!(said(2).await.is_empty() && said(3).await.is_empty(), "{name}");
    }
}
