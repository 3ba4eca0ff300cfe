//! The payment stories (orders, refunds, red packets, coupons), run against every backend
//! like story.rs.

mod common;

use std::sync::Arc;

use common::*;
use herald_store::*;

#[tokio::test]
async fn pay_story_on_every_backend() {
    for (name, s) in backends().await {
        eprintln!("pay story on {name}");
        pay_story(s).await;
    }
}

async fn pay_story(s: Arc<dyn Store>) {
    use herald_domain::ledger::{Book, Txn};
    use herald_domain::pay::{RefundStatus, TradeState};
    use herald_store::pay::*;

    let (acc, mchid, m) = merchant_setup(&*s).await;
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
    let order = Order { code_key: Some(format!("k{}", rand_suffix())), ..order_record(&tid, &mchid, &acc.appid.0, "T0001") };
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
    use herald_store::redpack::*;

    let (acc, mchid, m) = merchant_setup(&*s).await;
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
        shares: Share::drawn(shares),
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
    use herald_domain::pay::RefundStatus;
    use herald_store::coupon::*;
    use herald_store::pay::*;

    let (acc, mchid, m) = merchant_setup(&*s).await;
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
        used_mchid: None,
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
    let order = Order { code_key: None, ..order_record(&tid, &mchid, &acc.appid.0, "C1") };
    assert_eq!(s.place_order(&order).await.unwrap(), Placed::New);
    let key = OrderKey::OutTradeNo(mchid.clone(), "C1".into());
    // The stock creator's COUPON.USE notification is queued with the payment, not before.
    let coupon_note = NewNotification { appid: acc.appid.0.clone(), mchid: mchid.clone(), event_type: "COUPON.USE".into(), subject: ca.coupon_id.clone(), payload: "{}".into() };
    let use_ca = CouponUse { coupon_id: ca.coupon_id.clone(), stock_id: stock_id.clone(), amount: 50, no_cash: false, promotion: "[]".into(), notification: Some(coupon_note) };
    let coupon_notes = || async { s.pay_notifications(&mchid, 100).await.unwrap().into_iter().filter(|n| n.event_type == "COUPON.USE").count() };
    let ok = |_: &Order| Ok(());
    let none = |_: &Order, _: &Merchant| None;
    let pay = |user: &str, coupon: Option<CouponUse>| Payment { key: key.clone(), coupon, user: user.into(), openid: "o".into(), now: 40, now_ms: 40_000 };
    // Bob cannot use Alice's coupon; nothing moves.
    assert_eq!(s.pay_order(&pay(&bob, Some(use_ca.clone())), &ok, &none).await.unwrap(), PayResult::CouponGone);
    assert_eq!(coupon_notes().await, 0, "no notification when the coupon was not used");
    let PayResult::Paid(paid) = s.pay_order(&pay(&alice, Some(use_ca.clone())), &ok, &none).await.unwrap() else { panic!("not paid") };
    assert_eq!((paid.discount, paid.promotion.as_deref()), (50, Some("[]")));
    assert_eq!(s.balance(&Book::Wallet(alice.clone())).await.unwrap(), 10);
    assert_eq!(s.balance(&Book::CouponStock(stock_id.clone())).await.unwrap(), 50);
    assert_eq!(s.balance(&Book::Merchant(mchid.clone())).await.unwrap(), 900 + 300);
    let used = s.coupon(&ca.coupon_id).await.unwrap().unwrap();
    assert_eq!((used.status, used.transaction_id.as_deref()), (CouponStatus::Used, Some(tid.as_str())));
    assert_eq!(used.used_mchid.as_deref(), Some(mchid.as_str()), "the merchant whose order used it");
    assert_eq!(coupon_notes().await, 1);
    // Where the creator's COUPON.USE notifications go: set, replaced, switched off.
    assert_eq!(s.coupon_callback(&mchid).await.unwrap(), None);
    let cb = CouponCallback { mchid: mchid.clone(), notify_url: "https://m.example/coupon".into(), enabled: true, update_time: 41 };
    s.set_coupon_callback(&cb).await.unwrap();
    assert_eq!(s.coupon_callback(&mchid).await.unwrap(), Some(cb.clone()));
    let off = CouponCallback { notify_url: "https://m.example/c2".into(), enabled: false, update_time: 42, ..cb };
    s.set_coupon_callback(&off).await.unwrap();
    assert_eq!(s.coupon_callback(&mchid).await.unwrap(), Some(off));
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
