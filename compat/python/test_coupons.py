"""Coupon stocks (v3 favor, 代金券) through wechatpayv3 2.0.4: create a stock, start it (a
cash stock's budget leaves the merchant balance), send coupons to followers, read them,
use one at payment (promotion_detail and payer_total in the order and its notification, and
the COUPON.USE notification to the URL set with the favor callbacks API),
refund an order paid partly by a coupon, pause, restart and stop the stock (what is left
goes back), and the ledger's audit."""

import json
import time
import uuid

from test_pay import Receiver, merchant, public_key_client, topup


def stock_body(mchid, out_request_no, amount=50, minimum=100, max_coupons=2, per_user=1, no_cash=False, goods_tag=None):
    rule = {"fixed_normal_coupon": {"coupon_amount": amount, "transaction_minimum": minimum}}
    if goods_tag:
        rule["goods_tag"] = goods_tag
    now = time.time()
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000+08:00", time.gmtime(t + 8 * 3600))
    return dict(
        stock_name="Tea %d off" % amount, belong_merchant=mchid, comment="for regulars",
        available_begin_time=fmt(now - 3600), available_end_time=fmt(now + 7 * 86400),
        stock_use_rule={"max_coupons": max_coupons, "max_amount": max_coupons * amount, "max_amount_by_day": max_coupons * amount,
                        "max_coupons_per_user": per_user, "natural_person_limit": False, "prevent_api_abuse": False},
        coupon_use_rule=rule, out_request_no=out_request_no, no_cash=no_cash,
        pattern_info={"description": "Tea", "merchant_name": "Tea House", "background_color": "COLOR010"},
    )


def test_a_cash_stock_from_creation_to_stop(herald):
    account = herald.account()
    appid = account["appid"]
    alice, bob, carol = herald.user("alice"), herald.user("bob"), herald.user("carol")
    oa, ob, oc = (herald.follow(u, account) for u in (alice, bob, carol))
    m = merchant(herald, account)
    rx, coupons_rx = Receiver(), Receiver()
    try:
        wx = public_key_client(herald, m, appid, rx.url)
        mchid = m["mchid"]
        # Where COUPON.USE notifications go; a bad URL is refused and changes nothing.
        code, text = wx.marketing_favor_callback_update(notify_url="not a url")
        assert code == 400 and json.loads(text)["code"] == "PARAM_ERROR", text
        code, text = wx.marketing_favor_callback_update(notify_url=coupons_rx.url)
        assert code == 200 and json.loads(text)["notify_url"] == coupons_rx.url and json.loads(text)["update_time"], text

        # One body for both calls: stock_body reads the clock, and a second boundary between two
        # calls would make the retry a different request (and rightly refused).
        body = stock_body(mchid, "STOCK-1")
        code, text = wx.marketing_favor_stock_create(**body)
        assert code == 200, text
        stock = json.loads(text)
        stock_id = stock["stock_id"]
        again = json.loads(wx.marketing_favor_stock_create(**body)[1])
        assert again["stock_id"] == stock_id, "the same out_request_no answers the same stock"
        code, text = wx.marketing_favor_stock_create(**stock_body(mchid, "STOCK-1", amount=60, minimum=120))
        assert code == 400 and json.loads(text)["code"] == "INVALID_REQUEST"

        # Not running yet: nothing can be sent. Starting a cash stock needs its budget.
        code, text = wx.marketing_favor_stock_send(stock_id, oa, "SEND-0", mchid)
        assert code == 400, text
        code, text = wx.marketing_favor_stock_start(mchid, stock_id)
        assert code == 403 and json.loads(text)["code"] == "NOT_ENOUGH", text
        herald.fund_merchant(mchid, 500)
        code, text = wx.marketing_favor_stock_start(mchid, stock_id)
        assert code == 200 and json.loads(text)["stock_id"] == stock_id and "start_time" in json.loads(text), text
        assert herald.merchant_balance(mchid) == 400, "the budget (2 × 50) left the merchant balance"
        detail = json.loads(wx.marketing_favor_stock_detail(mchid, stock_id)[1])
        assert (detail["status"], detail["distributed_coupons"], detail["no_cash"]) == ("running", 0, False)

        # Sending: idempotent on out_request_no, one per user, two in all.
        code, text = wx.marketing_favor_stock_send(stock_id, oa, "SEND-1", mchid)
        assert code == 200, text
        coupon_a = json.loads(text)["coupon_id"]
        assert json.loads(wx.marketing_favor_stock_send(stock_id, oa, "SEND-1", mchid)[1])["coupon_id"] == coupon_a
        code, text = wx.marketing_favor_stock_send(stock_id, oa, "SEND-2", mchid)
        assert code == 403 and json.loads(text)["code"] == "RULE_LIMIT", text
        assert wx.marketing_favor_stock_send(stock_id, ob, "SEND-3", mchid)[0] == 200
        code, text = wx.marketing_favor_stock_send(stock_id, oc, "SEND-4", mchid)
        assert code == 403 and json.loads(text)["code"] == "RULE_LIMIT", "the stock is all sent"

        c = json.loads(wx.marketing_favor_coupon_detail(coupon_a, oa)[1])
        assert (c["status"], c["stock_id"], c["normal_coupon_information"]) == ("SENDED", stock_id, {"coupon_amount": 50, "transaction_minimum": 100})
        mine = json.loads(wx.marketing_favor_user_coupon(oa, stock_id=stock_id)[1])
        assert [x["coupon_id"] for x in mine["data"]] == [coupon_a] and mine["total_count"] == 1
        listed = json.loads(wx.marketing_favor_stock_list(mchid, status="running")[1])
        assert listed["total_count"] == 1 and listed["data"][0]["distributed_coupons"] == 2

        # Alice pays 300 for an order of 300: the coupon pays 50, her wallet 250.
        no = "C" + uuid.uuid4().hex[:20]
        code, text = wx.pay(description="Oolong", out_trade_no=no, amount={"total": 300})
        assert code == 200, text
        topup(herald, alice, 260)
        paid = herald.op("POST", "/herald/v1/users/%s/payments" % alice, {"code_url": json.loads(text)["code_url"]}, expect=200)
        assert (paid["amount"], paid["discount"], paid["payer_total"], paid["balance"]) == (300, 50, 250, 10)
        c = json.loads(wx.marketing_favor_coupon_detail(coupon_a, oa)[1])
        assert c["status"] == "USED"
        order = json.loads(wx.query(out_trade_no=no)[1])
        assert order["amount"]["payer_total"] == 250 and order["amount"]["total"] == 300
        promo = order["promotion_detail"]
        assert len(promo) == 1 and promo[0]["coupon_id"] == coupon_a and promo[0]["amount"] == 50 and promo[0]["type"] == "CASH"
        headers, body = rx.wait(1)
        note = wx.callback(headers, body)
        assert note["resource"]["promotion_detail"][0]["coupon_id"] == coupon_a
        assert note["resource"]["amount"]["payer_total"] == 250
        assert herald.merchant_balance(mchid) == 700
        # The stock creator hears that the coupon was used, signed and encrypted like any notification.
        headers, body = coupons_rx.wait(1)
        used = wx.callback(headers, body)
        assert used is not None, "the COUPON.USE notification verifies and decrypts"
        assert (used["event_type"], used["summary"], json.loads(body)["resource"]["original_type"]) == ("COUPON.USE", "代金券核销通知", "coupon")
        r = used["resource"]
        assert (r["coupon_id"], r["stock_id"], r["status"], r["stock_creator_mchid"]) == (coupon_a, stock_id, "USED", mchid)
        assert r["consume_information"]["transaction_id"] == order["transaction_id"]
        assert r["consume_information"]["consume_mchid"] == mchid
        c = json.loads(wx.marketing_favor_coupon_detail(coupon_a, oa)[1])
        assert c["consume_information"]["transaction_id"] == order["transaction_id"], "the query shows where it was used"

        # Bob pays without his coupon when asked not to use one.
        no2 = "C" + uuid.uuid4().hex[:20]
        code, text = wx.pay(description="Green", out_trade_no=no2, amount={"total": 200})
        topup(herald, bob, 200)
        paid = herald.op("POST", "/herald/v1/users/%s/payments" % bob, {"code_url": json.loads(text)["code_url"], "coupon_id": "none"}, expect=200)
        assert (paid["discount"], paid["balance"]) == (0, 0)
        assert len(coupons_rx.got) == 1, "no COUPON.USE for a payment without a coupon"

        # A full refund of Alice's order: she gets back the 250 she paid.
        code, text = wx.refund(out_refund_no="R" + uuid.uuid4().hex[:20], amount={"refund": 300, "total": 300, "currency": "CNY"}, out_trade_no=no)
        assert code == 200, text
        r = json.loads(text)
        assert (r["amount"]["payer_refund"], r["amount"]["discount_refund"]) == (250, 50)
        deadline = time.time() + 10
        while herald.wallet(alice) != 260 and time.time() < deadline:
            time.sleep(0.05)
        assert herald.wallet(alice) == 260

        # Pause, restart, stop: stopping returns the unused budget (Bob's coupon, 50).
        assert wx.marketing_favor_stock_pause(mchid, stock_id)[0] == 200
        code, text = wx.marketing_favor_stock_pause(mchid, stock_id)
        assert code == 400, "a paused stock cannot be paused again"
        assert wx.marketing_favor_stock_restart(mchid, stock_id)[0] == 200
        before = herald.merchant_balance(mchid)
        code, text = wx._core.request("/v3/marketing/favor/stocks/%s/stop" % stock_id, method=__import__("wechatpayv3").core.RequestType.POST, data={"stock_creator_mchid": mchid})
        assert code == 200 and "stop_time" in json.loads(text), text
        assert herald.merchant_balance(mchid) == before + 50
        assert json.loads(wx.marketing_favor_stock_detail(mchid, stock_id)[1])["status"] == "stoped"

        audit = herald.op("GET", "/herald/v1/ledger")
        assert (audit["total"], audit["negative_books"]) == (0, 0)
    finally:
        rx.close()
        coupons_rx.close()


def test_no_cash_stock_and_goods_tag(herald):
    account = herald.account()
    appid = account["appid"]
    user = herald.user("dora")
    openid = herald.follow(user, account)
    m = merchant(herald, account)
    wx = public_key_client(herald, m, appid, "https://shop.example/notify")
    mchid = m["mchid"]
    # COUPON.USE notifications switched off: none is sent when the coupon is used below.
    coupons_rx = Receiver()
    code, text = wx.marketing_favor_callback_update(notify_url=coupons_rx.url, switch=False)
    assert code == 200, text
    code, text = wx.marketing_favor_stock_create(**stock_body(mchid, "NC-1", amount=30, minimum=100, no_cash=True, goods_tag=["tea"]))
    assert code == 200, text
    stock_id = json.loads(text)["stock_id"]
    assert wx.marketing_favor_stock_start(mchid, stock_id)[0] == 200, "a no-cash stock needs no budget"
    assert herald.merchant_balance(mchid) == 0
    coupon = json.loads(wx.marketing_favor_stock_send(stock_id, openid, "NC-SEND-1", mchid)[1])["coupon_id"]
    topup(herald, user, 1000)

    # An order without the goods_tag: the coupon does not apply; naming it is refused.
    code, text = wx.pay(description="Cake", out_trade_no="N" + uuid.uuid4().hex[:20], amount={"total": 150})
    url = json.loads(text)["code_url"]
    r = herald.http.post(herald.base + "/herald/v1/users/%s/payments" % user, json={"code_url": url, "coupon_id": coupon})
    assert r.status_code == 409, r.text
    paid = herald.op("POST", "/herald/v1/users/%s/payments" % user, {"code_url": url}, expect=200)
    assert paid["discount"] == 0

    # With the tag: the merchant receives 120 of 150, the payer pays 120.
    no = "N" + uuid.uuid4().hex[:20]
    code, text = wx.pay(description="Tea", out_trade_no=no, amount={"total": 150}, goods_tag="tea")
    assert code == 200, text
    paid = herald.op("POST", "/herald/v1/users/%s/payments" % user, {"code_url": json.loads(text)["code_url"]}, expect=200)
    assert (paid["discount"], paid["payer_total"]) == (30, 120)
    assert herald.merchant_balance(mchid) == 150 + 120
    order = json.loads(wx.query(out_trade_no=no)[1])
    assert order["promotion_detail"][0]["type"] == "NOCASH"
    time.sleep(1)
    assert coupons_rx.got == [], "switched off"
    coupons_rx.close()
    audit = herald.op("GET", "/herald/v1/ledger")
    assert (audit["total"], audit["negative_books"]) == (0, 0)
