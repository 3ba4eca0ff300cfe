//! A property test of the money through storage: long random sequences of top-ups, orders,
//! payments (with and without coupons), closes, refunds and their settlement, red packets
//! (sent, opened, returned), coupon stocks (started, stopped), replayed requests and restarts
//! (the store closed and opened again on the same database), on SQLite and on PostgreSQL when
//! reachable. After every step the ledger balances (the sum of all books is 0, no book but
//! the outside world's below 0); every few steps, and at the end, every book holds exactly
//! what the outcomes the store reported imply. The seeds are printed; `MONEY_SEEDS=a,b` reruns.

use std::collections::BTreeMap;
use std::sync::Arc;

use herald_domain::account::{AccountType, OwnerKind};
use herald_domain::coupon::{refund_split, CouponStatus, StockAction, StockStatus};
use herald_domain::ledger::{Book, Fen, Txn};
use herald_domain::pay::{self as rules, RefundStatus, TradeState, TradeType};
use herald_domain::redpack::{self, HbType, RedPackStatus};
use herald_store::coupon::*;
use herald_store::pay::*;
use herald_store::redpack::*;
use herald_store::*;
use herald_wire::pay::PayCode;
use herald_wire::{AppId, OwnerId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STEPS: usize = 300;
const USERS: usize = 3;

struct World {
    url: String,
    store: Arc<dyn Store>,
    mchid: String,
    appid: String,
    users: Vec<String>,
    model: BTreeMap<Book, Fen>,
    orders: Vec<(String, Fen)>,
    refunds: Vec<(String, Fen)>,
    packets: Vec<String>,
    stocks: Vec<String>,
    coupons: Vec<(String, String, String)>,
    /// Replayable requests: the last of each kind.
    last_refund: Option<NewRefund>,
    last_packet: Option<RedPack>,
    now: i64,
    seq: u64,
}

impl World {
    fn id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}{}{:06}", &self.mchid[2..6], self.seq)
    }

    fn add(&mut self, b: Book, d: Fen) {
        *self.model.entry(b).or_insert(0) += d;
    }

    async fn check_books(&self, step: usize) {
        for (b, want) in &self.model {
            if *b == Book::World {
                continue;
            }
            assert_eq!(self.store.balance(b).await.unwrap(), *want, "step {step}: {b:?}");
        }
    }
}

fn merchant(mchid: &str, appid: &str) -> Merchant {
    Merchant {
        mchid: mchid.into(),
        name: "Prop".into(),
        apiv3_key: "k".repeat(32),
        api_key: "a".repeat(32),
        mch_serial: "A1".into(),
        mch_public_key: "pem".into(),
        mch_certificate: None,
        platform_serial: "B2".into(),
        platform_certificate: "cert".into(),
        platform_not_before: 0,
        platform_not_after: 1,
        public_key_id: format!("PUB_KEY_ID_{mchid}"),
        key_mode: "certificate".into(),
        created_at: 1,
        refund_mode: "auto".into(),
        h5_domain: String::new(),
        appids: vec![appid.into()],
    }
}

async fn setup(url: &str, seed: u64) -> World {
    let store = open(url, true).await.unwrap();
    let tag = format!("{seed:x}");
    let owner = Owner { id: OwnerId(format!("org_p{tag}")), kind: OwnerKind::Organisation, name: "P".into(), created_at: 1 };
    store.insert_owner(&owner).await.unwrap();
    let appid = format!("wxp{tag}");
    store
        .insert_account(&Account {
            appid: AppId(appid.clone()),
            original_id: format!("gh_p{tag}"),
            owner_id: owner.id.clone(),
            owner_kind: owner.kind,
            name: "P".into(),
            ty: AccountType::Service,
            verified: true,
            app_secret: "s".repeat(32),
            server: ServerSettings::default(),
            created_at: 1,
            intro: String::new(),
        })
        .await
        .unwrap();
    let mchid = format!("19{:08}", seed % 100_000_000);
    assert!(store.create_merchant(&merchant(&mchid, &appid)).await.unwrap());
    let users = (0..USERS).map(|i| format!("pu{tag}_{i}")).collect();
    World {
        url: url.into(),
        store,
        mchid,
        appid,
        users,
        model: BTreeMap::new(),
        orders: vec![],
        refunds: vec![],
        packets: vec![],
        stocks: vec![],
        coupons: vec![],
        last_refund: None,
        last_packet: None,
        now: 1_000,
        seq: 0,
    }
}

fn new_order(w: &mut World, total: Fen, goods_tag: Option<&str>) -> Order {
    let tid = w.id("4200");
    Order {
        transaction_id: tid.clone(),
        mchid: w.mchid.clone(),
        out_trade_no: w.id("T"),
        appid: w.appid.clone(),
        trade_type: TradeType::Native,
        description: "p".into(),
        attach: None,
        notify_url: "https://m.example/n".into(),
        goods_tag: goods_tag.map(str::to_string),
        total,
        currency: "CNY".into(),
        payer_openid: None,
        scene_info: None,
        fingerprint: tid.clone(),
        prepay_id: w.id("wx"),
        prepay_expires_at: w.now + 7200,
        code_key: None,
        state: TradeState::NotPay,
        expires_at: w.now + 100_000,
        created_at: w.now,
        success_time: None,
        payer_user: None,
        refunded: 0,
        discount: 0,
        promotion: None,
    }
}

async fn step(w: &mut World, rng: &mut StdRng, i: usize) {
    let s = w.store.clone();
    let user = w.users[rng.gen_range(0..USERS)].clone();
    w.now += rng.gen_range(0..600);
    let no_notify = |_: &Order, _: &Merchant| None;
    let no_rnotify = |_: &Refund, _: &Merchant| None;
    match rng.gen_range(0..14) {
        0 => {
            let amt = rng.gen_range(1..2_000);
            let t = Txn::transfer(w.id("topup:"), Book::World, Book::Wallet(user.clone()), amt).unwrap();
            assert!(matches!(s.post(&t, w.now).await.unwrap(), Posted::New(_)));
            w.add(Book::World, -amt);
            w.add(Book::Wallet(user), amt);
        }
        1 => {
            let amt = rng.gen_range(1..3_000);
            let t = Txn::transfer(w.id("fund:"), Book::World, Book::Merchant(w.mchid.clone()), amt).unwrap();
            s.post(&t, w.now).await.unwrap();
            w.add(Book::World, -amt);
            w.add(Book::Merchant(w.mchid.clone()), amt);
        }
        2 | 3 => {
            // Order and pay it (sometimes with a coupon of the user's).
            let o = new_order(w, rng.gen_range(1..1_500), None);
            assert_eq!(s.place_order(&o).await.unwrap(), Placed::New);
            let coupon = if rng.gen_bool(0.5) {
                let usable = s.usable_coupons(&user).await.unwrap();
                usable.into_iter().find(|(_, st)| o.total >= st.transaction_minimum && st.status == StockStatus::Running).map(|(c, st)| CouponUse {
                    coupon_id: c.coupon_id,
                    stock_id: st.stock_id,
                    amount: st.coupon_amount,
                    no_cash: st.no_cash,
                    promotion: "[]".into(),
                    notification: None,
                })
            } else {
                None
            };
            let key = OrderKey::OutTradeNo(w.mchid.clone(), o.out_trade_no.clone());
            let now = w.now;
            let check = move |o: &Order| rules::check_payable(o.state, o.expires_at, now);
            let p = Payment { key: key.clone(), coupon: coupon.clone(), user: user.clone(), openid: "o".into(), now, now_ms: now * 1000 };
            match s.pay_order(&p, &check, &no_notify).await.unwrap() {
                PayResult::Paid(paid) => {
                    let (d, no_cash) = coupon.as_ref().map(|c| (c.amount, c.no_cash)).unwrap_or((0, false));
                    assert_eq!(paid.discount, d);
                    w.add(Book::Wallet(user.clone()), -(o.total - d));
                    w.add(Book::Merchant(w.mchid.clone()), if no_cash { o.total - d } else { o.total });
                    if let Some(c) = coupon.as_ref().filter(|c| !c.no_cash) {
                        w.add(Book::CouponStock(c.stock_id.clone()), -c.amount);
                    }
                    w.orders.push((o.out_trade_no.clone(), o.total));
                    // Paying again (a replay) moves nothing.
                    assert!(matches!(s.pay_order(&p, &check, &no_notify).await.unwrap(), PayResult::Refused(_) | PayResult::CouponGone), "step {i}: paid twice");
                }
                PayResult::Insufficient(_) => {
                    assert_eq!(s.order(&key).await.unwrap().unwrap().state, TradeState::PayError);
                    if let Some(c) = coupon {
                        assert_eq!(s.coupon(&c.coupon_id).await.unwrap().unwrap().status, CouponStatus::Sended, "step {i}: a failed payment used the coupon");
                    }
                }
                other => panic!("step {i}: {other:?}"),
            }
        }
        4 => {
            // An order closed unpaid: no money; paying it afterwards is refused.
            let o = new_order(w, rng.gen_range(1..500), None);
            s.place_order(&o).await.unwrap();
            assert_eq!(s.close_order(&w.mchid, &o.out_trade_no).await.unwrap().unwrap().state, TradeState::Closed);
            let now = w.now;
            let check = move |o: &Order| rules::check_payable(o.state, o.expires_at, now);
            let p = Payment { key: OrderKey::OutTradeNo(w.mchid.clone(), o.out_trade_no.clone()), coupon: None, user, openid: "o".into(), now, now_ms: now * 1000 };
            assert!(matches!(s.pay_order(&p, &check, &no_notify).await.unwrap(), PayResult::Refused(_)));
        }
        5 | 6 if !w.orders.is_empty() => {
            let (no, _) = w.orders[rng.gen_range(0..w.orders.len())].clone();
            let key = OrderKey::OutTradeNo(w.mchid.clone(), no.clone());
            let o = s.order(&key).await.unwrap().unwrap();
            if o.refunded >= o.total {
                return;
            }
            let amount = rng.gen_range(1..=o.total - o.refunded);
            let r = NewRefund {
                refund_id: w.id("5000"),
                mchid: w.mchid.clone(),
                out_refund_no: w.id("R"),
                order: key,
                amount,
                total: o.total,
                reason: None,
                notify_url: None,
                fingerprint: "f".into(),
                now: w.now,
                now_ms: w.now * 1000,
            };
            let spec = rules::RefundSpec {
                transaction_id: None,
                out_trade_no: Some(no.clone()),
                out_refund_no: r.out_refund_no.clone(),
                reason: None,
                notify_url: None,
                refund: amount,
                total: o.total,
                fingerprint: "f".into(),
            };
            let now = w.now;
            let check = move |o: &Order| rules::check_refund_against(&spec, o.state, o.total, o.refunded, o.success_time, now);
            match s.create_refund(&r, &check).await.unwrap() {
                RefundResult::Created(rf) => {
                    w.add(Book::Merchant(w.mchid.clone()), -amount);
                    w.add(Book::Refund(rf.refund_id.clone()), amount);
                    w.refunds.push((rf.refund_id.clone(), amount));
                    w.last_refund = Some(r);
                }
                RefundResult::NotEnough(_) | RefundResult::Refused(_) => {}
                other => panic!("step {i}: {other:?}"),
            }
        }
        7 if !w.refunds.is_empty() => {
            let (rid, amount) = w.refunds.swap_remove(rng.gen_range(0..w.refunds.len()));
            let status = [RefundStatus::Success, RefundStatus::Success, RefundStatus::Closed, RefundStatus::Abnormal][rng.gen_range(0..4)];
            let rf = s.settle_refund(&rid, status, w.now, w.now * 1000, None, &no_rnotify).await.unwrap().expect("settles once");
            w.add(Book::Refund(rid.clone()), -amount);
            let (to_payer, to_merchant) = if status == RefundStatus::Success { refund_split(amount, rf.total, rf.discount) } else { (0, amount) };
            w.add(Book::Wallet(rf.payer_user.clone()), to_payer);
            w.add(Book::Merchant(w.mchid.clone()), to_merchant);
            assert_eq!(s.settle_refund(&rid, RefundStatus::Success, w.now, w.now * 1000, None, &no_rnotify).await.unwrap(), None, "step {i}: settled twice");
        }
        8 => {
            // A red packet, normal or fission.
            let group = rng.gen_bool(0.4);
            let (total, num) = if group { (rng.gen_range(300..1_500), 3) } else { (rng.gen_range(100..800), 1) };
            let shares = if group { redpack::split(total, num, rng) } else { vec![total] };
            let send_listid = w.id("1000041701");
            let p = RedPack {
                send_listid: send_listid.clone(),
                mchid: w.mchid.clone(),
                mch_billno: w.id("B"),
                wxappid: w.appid.clone(),
                re_openid: "o".into(),
                user_id: user.clone(),
                hb_type: if group { HbType::Group } else { HbType::Normal },
                total_amount: total,
                total_num: num,
                send_name: "p".into(),
                wishing: "w".into(),
                act_name: "a".into(),
                remark: "r".into(),
                scene_id: None,
                fingerprint: "f".into(),
                status: RedPackStatus::Sent,
                send_time: w.now,
                expires_at: w.now + redpack::REFUND_AFTER_SECS,
                refund_time: None,
                refund_amount: None,
                shares: Share::drawn(&shares),
            };
            match s.send_redpack(&p, 0).await.unwrap() {
                SendResult::Sent(_) => {
                    w.add(Book::Merchant(w.mchid.clone()), -total);
                    w.add(Book::RedPacket(send_listid.clone()), total);
                    w.packets.push(send_listid);
                    w.last_packet = Some(p);
                }
                SendResult::NotEnough(_) => {}
                other => panic!("step {i}: {other:?}"),
            }
        }
        9 if !w.packets.is_empty() => {
            let id = w.packets[rng.gen_range(0..w.packets.len())].clone();
            match s.open_redpack(&id, &user, "o", w.now).await.unwrap() {
                OpenResult::Opened(_, amt) => {
                    w.add(Book::RedPacket(id), -amt);
                    w.add(Book::Wallet(user), amt);
                }
                OpenResult::Already(..) | OpenResult::Refused(_) => {}
                OpenResult::Missing => panic!("step {i}: the packet vanished"),
            }
        }
        10 if !w.packets.is_empty() => {
            // A day passes for one packet: what is left goes back, once.
            let id = w.packets.swap_remove(rng.gen_range(0..w.packets.len()));
            let p = s.redpack_by_id(&id).await.unwrap().unwrap();
            if let ReturnResult::Returned(back) = s.return_redpack(&id, p.expires_at, 0, None).await.unwrap() {
                let left = back.refund_amount.unwrap();
                w.add(Book::RedPacket(id.clone()), -left);
                w.add(Book::Merchant(w.mchid.clone()), left);
            }
            assert_ne!(s.return_redpack(&id, p.expires_at + 1, 0, None).await.unwrap(), ReturnResult::NotDue);
            assert!(!matches!(s.return_redpack(&id, p.expires_at + 1, 0, None).await.unwrap(), ReturnResult::Returned(_)), "step {i}: returned twice");
        }
        11 => {
            // A coupon stock (cash or no-cash), started, and a coupon sent to someone.
            let amount = rng.gen_range(1..100);
            let no_cash = rng.gen_bool(0.3);
            let stock_id = w.id("9");
            let st = Stock {
                stock_id: stock_id.clone(),
                mchid: w.mchid.clone(),
                out_request_no: w.id("S"),
                stock_name: "c".into(),
                comment: None,
                available_begin_time: 0,
                available_end_time: i64::MAX / 2,
                max_coupons: 3,
                max_amount: 3 * amount,
                max_amount_by_day: 3 * amount,
                max_coupons_per_user: 1,
                coupon_amount: amount,
                transaction_minimum: amount + rng.gen_range(1..200),
                no_cash,
                status: StockStatus::Unactivated,
                distributed_coupons: 0,
                rules: "{}".into(),
                fingerprint: "f".into(),
                create_time: w.now,
                start_time: None,
                stop_time: None,
            };
            assert!(matches!(s.create_stock(&st).await.unwrap(), StockPlaced::New(_)));
            match s.change_stock(&stock_id, StockAction::Start, w.now).await.unwrap() {
                StockChange::Changed(_) => {
                    if !no_cash {
                        w.add(Book::Merchant(w.mchid.clone()), -3 * amount);
                        w.add(Book::CouponStock(stock_id.clone()), 3 * amount);
                    }
                    w.stocks.push(stock_id.clone());
                }
                StockChange::NotEnough(_) => return,
                other => panic!("step {i}: {other:?}"),
            }
            for u in w.users.clone() {
                let c = Coupon {
                    coupon_id: w.id("7"),
                    stock_id: stock_id.clone(),
                    appid: w.appid.clone(),
                    openid: format!("o{u}"),
                    user_id: u.clone(),
                    out_request_no: w.id("Q"),
                    status: CouponStatus::Sended,
                    create_time: w.now,
                    used_time: None,
                    transaction_id: None,
                    used_mchid: None,
                };
                if let CouponSent::Sent(c) = s.send_coupon(&c, w.now).await.unwrap() {
                    w.coupons.push((c.coupon_id, stock_id.clone(), u));
                }
            }
        }
        12 if !w.stocks.is_empty() => {
            let id = w.stocks.swap_remove(rng.gen_range(0..w.stocks.len()));
            let left = s.balance(&Book::CouponStock(id.clone())).await.unwrap();
            assert!(matches!(s.change_stock(&id, StockAction::Stop, w.now).await.unwrap(), StockChange::Changed(_)));
            w.add(Book::CouponStock(id.clone()), -left);
            w.add(Book::Merchant(w.mchid.clone()), left);
            assert!(matches!(s.change_stock(&id, StockAction::Stop, w.now).await.unwrap(), StockChange::Refused(_)), "step {i}: stopped twice");
        }
        13 => {
            // Replays of the last refund and red packet move nothing; then a restart.
            if let Some(r) = w.last_refund.clone() {
                let ok = |_: &Order| Ok::<(), (PayCode, String)>(());
                assert!(matches!(s.create_refund(&r, &ok).await.unwrap(), RefundResult::Existing(_)), "step {i}: refund replay");
            }
            if let Some(p) = w.last_packet.clone() {
                let replay = RedPack { send_listid: w.id("1000041701"), ..p };
                assert!(matches!(s.send_redpack(&replay, 0).await.unwrap(), SendResult::Existing(_)), "step {i}: red packet replay");
            }
            drop(s);
            w.store = open(&w.url, true).await.unwrap();
        }
        _ => {}
    }
    let (total, _, negative) = w.store.ledger_audit().await.unwrap();
    assert_eq!((total, negative), (0, 0), "step {i}: the ledger does not balance");
}

async fn run(url: &str, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = setup(url, seed).await;
    for i in 0..STEPS {
        step(&mut w, &mut rng, i).await;
        if i % 25 == 0 {
            w.check_books(i).await;
        }
    }
    w.check_books(STEPS).await;
    // Money only moved between books inside the platform: what came in is all still there.
    let inside: Fen = w.model.iter().filter(|(b, _)| **b != Book::World).map(|(_, v)| v).sum();
    assert_eq!(inside, -w.model.get(&Book::World).copied().unwrap_or(0));
}

#[tokio::test]
async fn money_survives_random_sequences_and_restarts() {
    let seeds: Vec<u64> = match std::env::var("MONEY_SEEDS") {
        Ok(s) => s.split(',').map(|x| x.trim().parse().unwrap()).collect(),
        Err(_) => (0..2).map(|_| rand::random::<u32>() as u64).collect(),
    };
    let base = std::env::var("HERALD_TEST_PG").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    let pg = matches!(tokio::time::timeout(std::time::Duration::from_secs(3), PgStore::connect(&base)).await, Ok(Ok(_)));
    for seed in seeds {
        eprintln!("money property: seed {seed} (MONEY_SEEDS={seed} reruns it)");
        let path = std::env::temp_dir().join(format!("herald-money-{seed}-{}.db", rand::random::<u32>()));
        run(&format!("sqlite://{}", path.display()), seed).await;
        if pg {
            run(&format!("{}/herald_t_money_{seed}_{}", base.rsplit_once('/').unwrap().0, rand::random::<u32>()), seed).await;
        }
    }
}
