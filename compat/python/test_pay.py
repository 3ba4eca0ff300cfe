"""WeChat Pay APIv3 through wechatpayv3 2.0.4, unchanged but for its gateway (reference §2.1):
certificate mode (the platform certificate downloaded from Herald inside the constructor)
and public-key mode; orders, idempotent re-orders, queries, close, paying from a wallet with
a checked paySign, notifications verified and decrypted by the SDK (with a retry), refunds,
replayed and forged requests, and the ledger's audit."""

import base64
import http.server
import json
import threading
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import wechatpayv3.core
from wechatpayv3 import WeChatPay, WeChatPayType


class Receiver:
    """A merchant's notify_url: records each notification; answers `fail_first` failures first."""

    def __init__(self, fail_first=0):
        self.got = []
        self.fail_left = fail_first
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.got.append((dict(self.headers.items()), body))
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b'{"code":"FAIL","message":"busy"}')
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/notify" % self.server.server_address[1]

    def wait(self, n, timeout=15):
        deadline = time.time() + timeout
        while len(self.got) < n and time.time() < deadline:
            time.sleep(0.05)
        assert len(self.got) >= n, "expected %d notifications, got %d" % (n, len(self.got))
        return self.got[n - 1]

    def close(self):
        self.server.shutdown()


def cert_mode_client(herald, m, appid, notify_url, tmp_path):
    """Certificate mode: the constructor downloads /v3/certificates, so the gateway is set on
    the Core class before construction (reference §2.1, recipe 2)."""
    base = herald.base
    original = wechatpayv3.core.Core

    class HeraldCore(original):
        _gate_way = property(lambda self: base, lambda self, v: None)

    wechatpayv3.core.Core = HeraldCore
    try:
        return WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=m["mchid"], private_key=m["private_key"],
                         cert_serial_no=m["serial_no"], appid=appid, apiv3_key=m["apiv3_key"],
                         notify_url=notify_url, cert_dir=str(tmp_path))
    finally:
        wechatpayv3.core.Core = original


def public_key_client(herald, m, appid, notify_url):
    wx = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=m["mchid"], private_key=m["private_key"],
                   cert_serial_no=m["serial_no"], appid=appid, apiv3_key=m["apiv3_key"], notify_url=notify_url,
                   public_key=m["public_key"], public_key_id=m["public_key_id"])
    wx._core._gate_way = herald.base
    return wx


def merchant(herald, account):
    return herald.op("POST", "/herald/v1/merchants", {"name": "Tea House", "appids": [account["appid"]]}, expect=201)


def topup(herald, user, fen):
    herald.op("POST", "/herald/v1/users/%s/wallet/topup" % user, {"amount": fen}, expect=201)


def signed_get(herald, m, path, nonce, ts=None):
    """A request signed by hand, as any client signs it (for replay and forgery checks)."""
    key = serialization.load_pem_private_key(m["private_key"].encode(), password=None)
    ts = str(int(time.time())) if ts is None else ts
    msg = "GET\n%s\n%s\n%s\n\n" % (path, ts, nonce)
    sig = base64.b64encode(key.sign(msg.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    auth = 'WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"' % (
        m["mchid"], nonce, sig, ts, m["serial_no"].lower())
    return requests.get(herald.base + path, headers={"Authorization": auth, "Accept": "application/json"})


def test_orders_payments_notifications_and_refunds(herald, tmp_path):
    account = herald.account()
    appid = account["appid"]
    user = herald.user("payer")
    openid = herald.follow(user, account)
    m = merchant(herald, account)
    rx = Receiver(fail_first=1)
    try:
        wx = cert_mode_client(herald, m, appid, rx.url, tmp_path)
        assert list(tmp_path.glob("*.pem")), "the platform certificate was downloaded and kept"

        no = "T" + uuid.uuid4().hex[:20]
        code, text = wx.pay(description="Green tea", out_trade_no=no, amount={"total": 120}, payer={"openid": openid})
        assert code == 200, text
        prepay_id = json.loads(text)["prepay_id"]
        assert prepay_id.startswith("wx") and len(prepay_id) == 36
        # The same request again: the same prepay_id; a changed one: refused.
        code, text = wx.pay(description="Green tea", out_trade_no=no, amount={"total": 120}, payer={"openid": openid})
        assert (code, json.loads(text)["prepay_id"]) == (200, prepay_id)
        code, text = wx.pay(description="Green tea", out_trade_no=no, amount={"total": 999}, payer={"openid": openid})
        assert (code, json.loads(text)["code"]) == (400, "INVALID_REQUEST")
        # An openid the account never met is refused.
        code, text = wx.pay(description="Tea", out_trade_no="N" + uuid.uuid4().hex[:12], amount={"total": 1}, payer={"openid": "o-stranger"})
        assert code == 400 and json.loads(text)["code"] == "PARAM_ERROR"

        code, text = wx.query(out_trade_no=no)
        assert code == 200 and json.loads(text)["trade_state"] == "NOTPAY"
        code, text = wx.query(transaction_id="4200000000000000000000000000")
        assert (code, json.loads(text)["code"]) == (404, "ORDER_NOT_EXIST")

        # The payer's client: paySign made with the merchant key (wechatpayv3's own sign()).
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        pkg = "prepay_id=" + prepay_id
        pay_sign = wx.sign([appid, ts, nonce, pkg])
        params = {"appId": appid, "timeStamp": ts, "nonceStr": nonce, "package": pkg, "signType": "RSA", "paySign": pay_sign}
        forged = dict(params, paySign=base64.b64encode(b"x" * 256).decode())
        r = herald.http.post(herald.base + "/herald/v1/users/%s/payments" % user, json=forged)
        assert r.status_code == 400 and r.json()["code"] == "bad_sign"
        r = herald.http.post(herald.base + "/herald/v1/users/%s/payments" % user, json=params)
        assert r.status_code == 402, "the wallet is empty: " + r.text
        code, text = wx.query(out_trade_no=no)
        assert json.loads(text)["trade_state"] == "PAYERROR"
        topup(herald, user, 500)
        paid = herald.op("POST", "/herald/v1/users/%s/payments" % user, params, expect=200)
        assert paid["err_msg"] == "get_brand_wcpay_request:ok" and paid["balance"] == 380
        r = herald.http.post(herald.base + "/herald/v1/users/%s/payments" % user, json=params)
        assert r.status_code == 409 and r.json()["code"] == "ORDERPAID", "paid once only"

        # TRANSACTION.SUCCESS: first answered 500, retried after 15 s of (simulated) time.
        rx.wait(1)
        herald.advance(16)
        headers, body = rx.wait(2)
        assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
        event = wx.callback(headers, body)
        assert event is not None, "the SDK verified the signature"
        assert event["event_type"] == "TRANSACTION.SUCCESS"
        tx = event["resource"]
        assert (tx["out_trade_no"], tx["trade_state"], tx["amount"]["total"], tx["payer"]["openid"]) == (no, "SUCCESS", 120, openid)
        assert wx.callback(dict(headers, **{"Wechatpay-Signature": base64.b64encode(b"y" * 256).decode()}), body) is None

        code, text = wx.query(out_trade_no=no)
        q = json.loads(text)
        assert q["trade_state"] == "SUCCESS" and q["transaction_id"] == paid["transaction_id"]
        code, text = wx.query(transaction_id=paid["transaction_id"])
        assert code == 200 and json.loads(text)["out_trade_no"] == no
        code, text = wx.close(out_trade_no=no)
        assert code == 403 and json.loads(text)["code"] == "ORDERPAID"

        # Refunds: partial, idempotent on out_refund_no, never more than was paid.
        rno = "R" + uuid.uuid4().hex[:16]
        code, text = wx.refund(out_refund_no=rno, amount={"refund": 50, "total": 120, "currency": "CNY"},
                               out_trade_no=no, notify_url=rx.url)
        assert code == 200, text
        refund = json.loads(text)
        assert refund["status"] in ("PROCESSING", "SUCCESS") and refund["amount"]["refund"] == 50
        code, text = wx.refund(out_refund_no=rno, amount={"refund": 50, "total": 120, "currency": "CNY"}, out_trade_no=no, notify_url=rx.url)
        assert json.loads(text)["refund_id"] == refund["refund_id"], "same out_refund_no, same refund"
        code, text = wx.refund(out_refund_no="R" + uuid.uuid4().hex[:16], amount={"refund": 71, "total": 120, "currency": "CNY"},
                               transaction_id=paid["transaction_id"])
        assert (code, json.loads(text)["code"]) == (400, "INVALID_REQUEST")
        headers, body = rx.wait(3)
        event = wx.callback(headers, body)
        assert event["event_type"] == "REFUND.SUCCESS" and event["resource"]["refund_status"] == "SUCCESS"
        code, text = wx.query_refund(out_refund_no=rno)
        assert json.loads(text)["status"] == "SUCCESS"
        code, text = wx.query_refund(out_refund_no="R-unknown-1")
        assert (code, json.loads(text)["code"]) == (404, "RESOURCE_NOT_EXISTS")
        code, text = wx.query(out_trade_no=no)
        assert json.loads(text)["trade_state"] == "REFUND"
        wallet = herald.op("GET", "/herald/v1/users/%s/wallet" % user)
        assert wallet["balance"] == 430

        # Every attempt is recorded.
        log = herald.op("GET", "/herald/v1/merchants/%s/notifications" % m["mchid"])["notifications"]
        first = [n for n in log if n["event_type"] == "TRANSACTION.SUCCESS"][0]
        assert [a["status"] for a in first["attempts"]] == [500, 204] and first["state"] == "done"
        merchant_now = herald.op("GET", "/herald/v1/merchants/%s" % m["mchid"])
        assert merchant_now["balance"] == 70
        audit = herald.op("GET", "/herald/v1/ledger")
        assert audit["total"] == 0 and audit["negative_books"] == 0, audit
    finally:
        rx.close()


def test_native_close_and_public_key_mode(herald):
    account = herald.account()
    m = merchant(herald, account)
    wx = public_key_client(herald, m, account["appid"], "https://shop.example/notify")
    no = "N" + uuid.uuid4().hex[:20]
    code, text = wx.pay(description="Oolong", out_trade_no=no, amount={"total": 300})
    assert code == 200, text
    code_url = json.loads(text)["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    # The SDK verified the response with the public key, named by its id.
    r = signed_get(herald, m, "/v3/pay/transactions/out-trade-no/%s?mchid=%s" % (no, m["mchid"]), uuid.uuid4().hex)
    assert r.status_code == 200 and r.headers["Wechatpay-Serial"] == m["public_key_id"]
    code, text = wx.close(out_trade_no=no)
    assert code == 204 and not text
    code, _ = wx.close(out_trade_no=no)
    assert code == 204, "closing again is fine"
    code, text = wx.query(out_trade_no=no)
    assert json.loads(text)["trade_state"] == "CLOSED"
    user = herald.user("late")
    topup(herald, user, 1000)
    r = herald.http.post(herald.base + "/herald/v1/users/%s/payments" % user, json={"code_url": code_url})
    assert r.status_code == 409 and r.json()["code"] == "ORDER_CLOSED"

    # A Native code paid by scanning it.
    no2 = "N" + uuid.uuid4().hex[:20]
    code, text = wx.pay(description="Pu-erh", out_trade_no=no2, amount={"total": 250})
    paid = herald.op("POST", "/herald/v1/users/%s/payments" % user, {"code_url": json.loads(text)["code_url"]}, expect=200)
    assert paid["balance"] == 750
    code, text = wx.query(out_trade_no=no2)
    assert json.loads(text)["trade_state"] == "SUCCESS" and json.loads(text)["trade_type"] == "NATIVE"


def test_requests_are_authenticated(herald):
    account = herald.account()
    m = merchant(herald, account)
    path = "/v3/certificates"
    nonce = uuid.uuid4().hex
    assert signed_get(herald, m, path, nonce).status_code == 200
    r = signed_get(herald, m, path, nonce)
    assert (r.status_code, r.json()["code"]) == (401, "SIGN_ERROR"), "a replayed nonce"
    r = signed_get(herald, m, path, uuid.uuid4().hex, ts=str(int(time.time()) - 3600))
    assert r.status_code == 401, "an old timestamp"
    r = requests.get(herald.base + path)
    assert (r.status_code, r.json()["code"]) == (401, "SIGN_ERROR")
    other = merchant(herald, herald.account())
    forged = dict(m, private_key=other["private_key"])
    assert signed_get(herald, forged, path, uuid.uuid4().hex).status_code == 401, "signed with another key"
    # Only verified service accounts take payments.
    sub = herald.account(type_="subscription")
    r = herald.http.post(herald.base + "/herald/v1/merchants", json={"name": "X", "appids": [sub["appid"]]})
    assert r.status_code == 409


def test_held_refunds_close_or_fail_with_their_notifications(herald):
    """A merchant whose refunds are on hold sees them stay PROCESSING until the operator
    settles them: CLOSED and ABNORMAL return the money to the merchant and reach notify_url
    as REFUND.CLOSED and REFUND.ABNORMAL, verified and decrypted by the SDK."""
    account = herald.account()
    appid = account["appid"]
    user = herald.user("payer")
    herald.follow(user, account)
    m = merchant(herald, account)
    rx = Receiver()
    try:
        wx = public_key_client(herald, m, appid, rx.url)
        herald.op("PUT", "/herald/v1/merchants/%s/refund_mode" % m["mchid"], {"mode": "hold"}, expect=200)
        no = "H" + uuid.uuid4().hex[:20]
        code, text = wx.pay(description="Tea", out_trade_no=no, amount={"total": 300})
        topup(herald, user, 300)
        herald.op("POST", "/herald/v1/users/%s/payments" % user, {"code_url": json.loads(text)["code_url"]}, expect=200)
        rx.wait(1)

        def refund(amount):
            rno = "HR" + uuid.uuid4().hex[:18]
            code, text = wx.refund(out_refund_no=rno, amount={"refund": amount, "total": 300, "currency": "CNY"},
                                   out_trade_no=no, notify_url=rx.url)
            assert code == 200 and json.loads(text)["status"] == "PROCESSING", text
            return rno

        closed, abnormal, ok = refund(100), refund(50), refund(30)
        time.sleep(0.5)
        assert json.loads(wx.query_refund(out_refund_no=closed)[1])["status"] == "PROCESSING", "held"
        assert herald.merchant_balance(m["mchid"]) == 120

        for rno, status, n in [(closed, "CLOSED", 2), (abnormal, "ABNORMAL", 3), (ok, "SUCCESS", 4)]:
            r = herald.op("POST", "/herald/v1/merchants/%s/refunds/%s/settle" % (m["mchid"], rno), {"status": status}, expect=200)
            assert r["status"] == status
            event = wx.callback(*rx.wait(n))
            assert event["event_type"] == "REFUND." + status
            assert event["resource"]["out_refund_no"] == rno and event["resource"]["refund_status"] == status
            assert json.loads(wx.query_refund(out_refund_no=rno)[1])["status"] == status
        r = herald.http.post(herald.base + "/herald/v1/merchants/%s/refunds/%s/settle" % (m["mchid"], ok), json={"status": "CLOSED"})
        assert r.status_code == 409, "settled once"
        # Closed and failed refunds went back to the merchant; only the successful one left it.
        assert herald.merchant_balance(m["mchid"]) == 270
        assert herald.wallet(user) == 30
        # The order can be refunded again up to what the closed ones freed.
        code, text = wx.refund(out_refund_no="HR" + uuid.uuid4().hex[:18], amount={"refund": 270, "total": 300, "currency": "CNY"}, out_trade_no=no)
        assert code == 200, text
    finally:
        rx.close()
