"""Money survives SIGKILL: customers order (wechatpayv3), pay from their wallets, get partial
refunds and red packets (wechatpy v2) while the server is killed again and again and started
on the same database. Every client retries with the same idempotency keys (out_trade_no,
out_refund_no, mch_billno, the payment itself), as real clients do. Afterwards every wallet
and the merchant hold exactly what the flows say (nothing lost, nothing paid twice), every
paid order was notified, every refund settled, and the ledger balances."""

import json
import random
import threading
import time
import uuid

import requests
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay

from test_pay import Receiver, public_key_client

FLOWS_PER_CUSTOMER = 4
CUSTOMERS = 3
KILLS = 6


def retry(herald, fn, what, deadline_s=60):
    """Calls fn() until it answers, across the server's deaths (the base URL changes)."""
    deadline = time.time() + deadline_s
    while True:
        try:
            return fn()
        except (requests.ConnectionError, requests.Timeout, ConnectionError, OSError) as e:
            if time.time() > deadline:
                raise AssertionError("%s never answered: %s" % (what, e))
            time.sleep(0.05)


def test_kill_at_every_step_loses_no_money_and_pays_nothing_twice(herald):
    account = herald.account()
    appid = account["appid"]
    rx = Receiver()
    m = herald.op("POST", "/herald/v1/merchants", {"name": "Crash Tea", "appids": [appid]}, expect=201)
    mchid = m["mchid"]
    herald.op("POST", "/herald/v1/merchants/%s/topup" % mchid, {"amount": 100_000, "request_id": "seed"}, expect=201)
    customers = []
    for i in range(CUSTOMERS):
        u = herald.user("c%d" % i)
        customers.append((u, herald.follow(u, account)))
        herald.op("POST", "/herald/v1/users/%s/wallet/topup" % u, {"amount": 50_000, "request_id": "seed"}, expect=201)

    def v3():
        return public_key_client(herald, m, appid, rx.url)

    def v2():
        c = WeChatPay(appid=appid, api_key=m["api_key"], mch_id=mchid)
        c.API_BASE_URL = herald.base + "/"
        return c

    expected = {u: 50_000 for u, _ in customers}
    merchant_expected = [100_000]
    orders, refunds, errors = [], [], []
    lock = threading.Lock()

    def flow(user, openid, n):
        total = random.randint(100, 900)
        refund = random.randint(1, total)
        packet = random.randint(100, 300)
        no, rno, billno = "K%s" % uuid.uuid4().hex[:20], "KR%s" % uuid.uuid4().hex[:18], "%s%s" % (mchid, uuid.uuid4().int % 10**14)
        # Order (the same out_trade_no with the same request answers the same order).
        code, text = retry(herald, lambda: v3().pay(description="Tea %d" % n, out_trade_no=no, amount={"total": total}), "order")
        assert code == 200, text
        code_url = json.loads(text)["code_url"]

        # Pay: a retry after a kill finds the order paid (409 ORDERPAID) if the first went through.
        def pay():
            r = requests.post(herald.base + "/herald/v1/users/%s/payments" % user, json={"code_url": code_url},
                              headers={"Authorization": herald.http.headers["Authorization"]}, timeout=10)
            assert r.status_code == 200 or (r.status_code == 409 and r.json()["code"] == "ORDERPAID"), r.text
        retry(herald, pay, "payment")
        state = json.loads(retry(herald, lambda: v3().query(out_trade_no=no), "query")[1])["trade_state"]
        assert state == "SUCCESS", state

        # A partial refund, idempotent on out_refund_no.
        code, text = retry(herald, lambda: v3().refund(out_refund_no=rno, amount={"refund": refund, "total": total, "currency": "CNY"}, out_trade_no=no), "refund")
        assert code == 200, text

        # A red packet, re-entrant on mch_billno, then opened (again on retry: the same share).
        def send():
            try:
                return v2().redpack.send(openid, packet, "Crash Tea", "Thanks", "Thanks", "r", client_ip="127.0.0.1", out_trade_no=billno)
            except WeChatPayException as e:
                raise AssertionError("red packet refused: %s" % e)
        sent = retry(herald, send, "red packet")

        def open_it():
            r = requests.post(herald.base + "/herald/v1/users/%s/redpacks/%s/open" % (user, sent["send_listid"]),
                              headers={"Authorization": herald.http.headers["Authorization"]}, timeout=10)
            assert r.status_code in (200, 201), r.text
        retry(herald, open_it, "open")
        with lock:
            expected[user] += -total + refund + packet
            merchant_expected[0] += total - refund - packet
            orders.append(no)
            refunds.append(rno)

    def customer(user, openid):
        try:
            for n in range(FLOWS_PER_CUSTOMER):
                flow(user, openid, n)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=customer, args=c) for c in customers]
    for t in threads:
        t.start()
    for _ in range(KILLS):
        time.sleep(random.uniform(0.05, 0.4))
        herald.kill_and_restart()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    assert len(orders) == CUSTOMERS * FLOWS_PER_CUSTOMER

    # Every refund settles (its job survives the kills), then the books are exact.
    deadline = time.time() + 30
    for rno in refunds:
        while True:
            status = json.loads(v3().query_refund(out_refund_no=rno)[1])["status"]
            if status == "SUCCESS" or time.time() > deadline:
                break
            time.sleep(0.1)
        assert status == "SUCCESS", (rno, status)
    for user, _ in customers:
        assert herald.wallet(user) == expected[user], user
    assert herald.merchant_balance(mchid) == merchant_expected[0]
    audit = herald.op("GET", "/herald/v1/ledger")
    assert (audit["total"], audit["negative_books"]) == (0, 0)

    # Each order was paid once (one pay:<transaction_id> per order in the wallets) and notified.
    pays = []
    for user, _ in customers:
        pays += [e["reason"] for e in herald.op("GET", "/herald/v1/users/%s/wallet" % user)["entries"] if e["reason"].startswith("pay:")]
    assert len(pays) == len(orders) == len(set(pays))
    deadline = time.time() + 30
    notified = set()
    while time.time() < deadline:
        notified = {n["subject"] for n in herald.op("GET", "/herald/v1/merchants/%s/notifications?limit=500" % mchid)["notifications"]
                    if n["event_type"] == "TRANSACTION.SUCCESS" and n["state"] == "done"}
        if notified >= set(orders):
            break
        time.sleep(0.2)
    assert notified >= set(orders), set(orders) - notified
    rx.close()
