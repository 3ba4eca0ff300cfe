//! A property test of the console's aggregates (issue 27): random sequences of follows,
//! unfollows, refollows, messages received and sent, and events, over several accounts and days,
//! on every backend; after them, each account's `account_daily` rows equal a full recount of
//! what happened, day by day, and the follows less the unfollows equal the followers now. The
//! seeds are printed; `DAILY_SEEDS=a,b` reruns.

mod common;

use std::collections::BTreeMap;

use common::*;
use herald_domain::account::{AccountType, OwnerKind};
use herald_domain::console::cst_day;
use herald_store::*;
use herald_wire::{AppId, UserId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STEPS: usize = 250;
const USERS: usize = 6;
const ACCOUNTS: usize = 2;

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Day {
    follows: i64,
    unfollows: i64,
    received: i64,
    sent: i64,
}

async fn run(name: &str, s: &dyn Store, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let org = owner(OwnerKind::Organisation);
    s.insert_owner(&org).await.unwrap();
    let mut accounts: Vec<AppId> = Vec::new();
    for _ in 0..ACCOUNTS {
        let a = account(&org, AccountType::Service);
        s.insert_account(&a).await.unwrap();
        accounts.push(a.appid);
    }
    let mut users: Vec<UserId> = Vec::new();
    for i in 0..USERS {
        let u = User { id: UserId(format!("u_d{i}_{}", rand_suffix())), nickname: format!("User {i}"), created_at: 1, profile: Default::default() };
        s.insert_user(&u).await.unwrap();
        users.push(u.id);
    }
    // The recount: what happened, per account and CST day; and who follows now.
    let mut model: BTreeMap<(usize, i64), Day> = BTreeMap::new();
    let mut following: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    // 2026-01-01T00:00:00+08:00, then time moves on by up to a few hours a step, over days.
    let mut now: i64 = 1_767_196_800;
    for _ in 0..STEPS {
        now += rng.gen_range(0..4 * 3600);
        let (a, u) = (rng.gen_range(0..ACCOUNTS), rng.gen_range(0..USERS));
        let day = model.entry((a, cst_day(now))).or_default();
        match rng.gen_range(0..10) {
            0..=3 => {
                let (_, changed) = s.follow(&accounts[a], &users[u], &FollowHow::default(), &FreshIds::random(), now).await.unwrap();
                let was = following.insert((a, u), true).unwrap_or(false);
                assert_eq!(changed, !was, "{name}: follow changes only a non-follower");
                if changed {
                    day.follows += 1;
                }
            }
            4..=5 => {
                let changed = s.unfollow(&accounts[a], &users[u], now).await.unwrap().is_some_and(|(_, c)| c);
                let was = following.insert((a, u), false).unwrap_or(false);
                assert_eq!(changed, was, "{name}: unfollow changes only a follower");
                if changed {
                    day.unfollows += 1;
                }
            }
            k => {
                let Some(f) = s.follower_by_user(&accounts[a], &users[u]).await.unwrap() else { continue };
                let (direction, msg_type) = match k {
                    6 | 7 => (Direction::In, "text"),
                    8 => (Direction::Out, "text"),
                    _ => (Direction::In, "event"),
                };
                let m = NewMessage {
                    appid: accounts[a].clone(),
                    user_id: users[u].clone(),
                    openid: f.openid,
                    direction,
                    source: if direction == Direction::In { "user".into() } else { "custom".into() },
                    msg_type: msg_type.into(),
                    body: "{}".into(),
                    created_at: now,
                };
                s.append_outbound(&m).await.unwrap();
                match (direction, msg_type) {
                    (_, "event") => {}
                    (Direction::In, _) => day.received += 1,
                    (Direction::Out, _) => day.sent += 1,
                }
            }
        }
    }
    // Folding in the background (as the worker does) changes no figure.
    let folded = s.fold_daily().await.unwrap();
    assert_eq!(folded > 0, name == "postgres", "{name}: PostgreSQL logs what the triggers count ({folded} rows), SQLite keeps no log");
    assert_eq!(s.fold_daily().await.unwrap(), 0, "{name}: nothing left to fold");
    for (a, appid) in accounts.iter().enumerate() {
        let stored = s.account_daily(appid, 0, cst_day(now) + 1).await.unwrap();
        let got: BTreeMap<i64, Day> = stored.iter().map(|r| (r.day, Day { follows: r.follows, unfollows: r.unfollows, received: r.received, sent: r.sent })).collect();
        let want: BTreeMap<i64, Day> = model.iter().filter(|((x, _), d)| *x == a && **d != Day::default()).map(|((_, day), d)| (*day, *d)).collect();
        assert_eq!(got, want, "{name} (seed {seed}): account {a}'s days");
        let net: i64 = stored.iter().map(|r| r.follows - r.unfollows).sum();
        let now_following = following.iter().filter(|((x, _), f)| *x == a && **f).count() as i64;
        assert_eq!(net, now_following, "{name} (seed {seed}): follows less unfollows are the followers now");
        assert_eq!(s.subscribed_page(appid, None, 1).await.unwrap().total as i64, now_following);
    }
}

#[tokio::test]
async fn the_daily_aggregates_equal_a_full_recount() {
    let seeds: Vec<u64> = match std::env::var("DAILY_SEEDS") {
        Ok(v) => v.split(',').map(|x| x.trim().parse().unwrap()).collect(),
        Err(_) => (0..3).map(|_| rand::random::<u64>()).collect(),
    };
    eprintln!("DAILY_SEEDS={}", seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(","));
    for (name, s) in backends().await {
        for &seed in &seeds {
            run(name, s.as_ref(), seed).await;
        }
    }
}
