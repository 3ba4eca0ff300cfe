"""Cash red packets through wechatpy 1.8.18's v2 pay module, unchanged but for its base URL
(reference §2.2, §7.1, §8): sendredpack, sendgroupredpack and gethbinfo, MD5 and
HMAC-SHA256 signatures, the v2 sandbox (sandboxnew/ with the key from getsignkey), the
money in the ledger, followers opening packets, and the 24-hour return."""

import time
import uuid

import pytest
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay

from conftest import conversation


def v2_client(herald, m, appid, api_key=None, sandbox=False):
    c = WeChatPay(appid=appid, api_key=api_key or m["api_key"], mch_id=m["mchid"], sandbox=sandbox)
    c.API_BASE_URL = herald.base + "/"
    return c


def setup(herald, fund=1000):
    account = herald.account()
    user = herald.user("lucky")
    openid = herald.follow(user, account)
    m = herald.op("POST", "/herald/v1/merchants", {"name": "Tea House", "appids": [account["appid"]]}, expect=201)
    if fund:
        r = herald.op("POST", "/herald/v1/merchants/%s/topup" % m["mchid"], {"amount": fund, "request_id": "fund-1"}, expect=201)
        assert r["balance"] == fund
        again = herald.op("POST", "/herald/v1/merchants/%s/topup" % m["mchid"], {"amount": fund, "request_id": "fund-1"}, expect=200)
        assert again["balance"] == fund and again["replayed"], "a replayed top-up adds nothing"
    return account, user, openid, m


def billno(m):
    return "%s%s%04d" % (m["mchid"], time.strftime("%Y%m%d"), uuid.uuid4().int % 10000)


def test_normal_packet_send_query_open(herald):
    account, user, openid, m = setup(herald)
    pay = v2_client(herald, m, account["appid"])
    no = billno(m)
    sent = pay.redpack.send(openid, 300, "Tea House", "New year", "Happy new year", "Open it", client_ip="127.0.0.1", out_trade_no=no)
    assert sent["result_code"] == "SUCCESS" and sent["return_code"] == "SUCCESS"
    assert sent["mch_billno"] == no and sent["re_openid"] == openid and sent["total_amount"] == "300"
    assert len(sent["send_listid"]) == 31
    assert herald.merchant_balance(m["mchid"]) == 700

    # Re-entrant on mch_billno: the same packet, paid once; different fields are refused.
    again = pay.redpack.send(openid, 300, "Tea House", "New year", "Happy new year", "Open it", client_ip="127.0.0.1", out_trade_no=no)
    assert again["send_listid"] == sent["send_listid"]
    assert herald.merchant_balance(m["mchid"]) == 700
    with pytest.raises(WeChatPayException) as e:
        pay.redpack.send(openid, 400, "Tea House", "New year", "Happy new year", "Open it", client_ip="127.0.0.1", out_trade_no=no)
    assert e.value.errcode == "FATAL_ERROR" and e.value.result_code == "FAIL"

    info = pay.redpack.query(no)
    assert (info["status"], info["hb_type"], info["total_num"], info["total_amount"]) == ("SENT", "NORMAL", "1", "300")
    assert info["detail_id"] == sent["send_listid"] and info["act_name"] == "New year"
    assert "hblist" not in info

    # The packet shows in the follower's chat; only they can open it, once.
    msgs = conversation(herald, user, account, 1)
    packet_msgs = [x for x in msgs if x["msgtype"] == "redpacket"]
    assert len(packet_msgs) == 1 and packet_msgs[0]["body"]["send_listid"] == sent["send_listid"], msgs
    stranger = herald.user("stranger")
    herald.op("POST", "/herald/v1/users/%s/redpacks/%s/open" % (stranger, sent["send_listid"]), expect=409)
    opened = herald.op("POST", "/herald/v1/users/%s/redpacks/%s/open" % (user, sent["send_listid"]), expect=201)
    assert (opened["amount"], opened["balance"], opened["status"]) == (300, 300, "RECEIVED")
    twice = herald.op("POST", "/herald/v1/users/%s/redpacks/%s/open" % (user, sent["send_listid"]), expect=200)
    assert twice["replayed"] and twice["balance"] == 300
    listed = herald.op("GET", "/herald/v1/users/%s/redpacks" % user)["redpacks"]
    assert [p["send_listid"] for p in listed] == [sent["send_listid"]] and listed[0]["opened_amount"] == 300

    # gethbinfo signed with HMAC-SHA256 (sign_type in the body) reports who opened it.
    info = pay.post("mmpaymkttransfers/gethbinfo", data={"mch_billno": no, "bill_type": "MCHT", "appid": account["appid"], "sign_type": "HMAC-SHA256"})
    assert info["status"] == "RECEIVED"
    assert info["hblist"]["hbinfo"]["openid"] == openid and info["hblist"]["hbinfo"]["amount"] == "300"

    audit = herald.op("GET", "/herald/v1/ledger")
    assert (audit["total"], audit["negative_books"]) == (0, 0)


def test_refusals_change_nothing(herald):
    account, user, openid, m = setup(herald, fund=500)
    pay = v2_client(herald, m, account["appid"])
    cases = [
        (dict(total_amount=600), "NOTENOUGH"),
        (dict(total_amount=50), "MONEY_LIMIT"),
        (dict(user_id="o-not-a-follower"), "OPENID_ERROR"),
    ]
    for override, code in cases:
        args = dict(user_id=openid, total_amount=200, send_name="Tea", act_name="A", wishing="W", remark="R", client_ip="127.0.0.1", out_trade_no=billno(m))
        args.update(override)
        with pytest.raises(WeChatPayException) as e:
            pay.redpack.send(**args)
        assert e.value.errcode == code, (override, e.value)
        assert e.value.return_code == "SUCCESS", "a business refusal is result_code FAIL only"
    # A scene widens the range below 1 yuan.
    ok = pay.redpack.send(openid, 50, "Tea", "A", "W", "R", client_ip="127.0.0.1", out_trade_no=billno(m), scene_id="PRODUCT_2")
    assert ok["result_code"] == "SUCCESS"
    assert herald.merchant_balance(m["mchid"]) == 450

    # A wrong key: the signature fails before the business, and nothing is sent.
    forged = v2_client(herald, m, account["appid"], api_key="x" * 32)
    with pytest.raises(WeChatPayException) as e:
        forged.redpack.send(openid, 200, "Tea", "A", "W", "R", client_ip="127.0.0.1", out_trade_no=billno(m))
    assert (e.value.return_code, e.value.errcode) == ("FAIL", "SIGN_ERROR")
    # An account the merchant is not bound to.
    other = herald.account()
    with pytest.raises(WeChatPayException) as e:
        v2_client(herald, m, other["appid"]).redpack.send(openid, 200, "Tea", "A", "W", "R", client_ip="127.0.0.1", out_trade_no=billno(m))
    assert e.value.errcode == "ILLEGAL_APPID"
    with pytest.raises(WeChatPayException) as e:
        pay.redpack.query("NOSUCHBILL")
    assert e.value.errcode == "NOT_FOUND"
    assert herald.merchant_balance(m["mchid"]) == 450


def test_group_packet_in_the_sandbox_and_the_24_hour_return(herald):
    account, user, openid, m = setup(herald, fund=2000)
    pay = v2_client(herald, m, account["appid"], sandbox=True)
    assert pay.sandbox_api_key and pay.sandbox_api_key != m["api_key"], "getsignkey answered a sandbox key"
    no = billno(m)
    sent = pay.redpack.send_group(openid, 900, "Tea House", "Share it", "Happy", "Open it", 3, out_trade_no=no)
    assert sent["result_code"] == "SUCCESS"
    # The real key does not sign sandbox requests.
    real_key_in_sandbox = v2_client(herald, m, account["appid"])
    real_key_in_sandbox.API_BASE_URL = herald.base + "/sandboxnew/"
    with pytest.raises(WeChatPayException) as e:
        real_key_in_sandbox.redpack.query(no)
    assert e.value.errcode == "SIGN_ERROR"

    friend = herald.user("friend")
    a = herald.op("POST", "/herald/v1/users/%s/redpacks/%s/open" % (user, sent["send_listid"]), expect=201)["amount"]
    b = herald.op("POST", "/herald/v1/users/%s/redpacks/%s/open" % (friend, sent["send_listid"]), expect=201)["amount"]
    assert a >= 100 and b >= 100 and a + b <= 800
    info = pay.redpack.query(no)
    assert (info["status"], info["hb_type"], info["total_num"]) == ("SENT", "GROUP", "3")
    assert len(info["hblist"]["hbinfo"]) == 2

    # A day later: the last share is not opened; it goes back to the merchant.
    herald.advance(24 * 3600)
    late = herald.user("late")
    r = herald.http.post(herald.base + "/herald/v1/users/%s/redpacks/%s/open" % (late, sent["send_listid"]))
    assert r.status_code == 409 and r.json()["code"] == "expired"
    deadline = time.time() + 15
    while True:
        info = pay.redpack.query(no)
        if info["status"] == "REFUND" or time.time() > deadline:
            break
        assert info["status"] == "RFUND_ING"
        time.sleep(0.1)
    assert info["status"] == "REFUND" and int(info["refund_amount"]) == 900 - a - b
    assert herald.merchant_balance(m["mchid"]) == 2000 - a - b
    assert herald.wallet(user) == a and herald.wallet(friend) == b
    audit = herald.op("GET", "/herald/v1/ledger")
    assert (audit["total"], audit["negative_books"]) == (0, 0)
