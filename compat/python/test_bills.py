"""Bills through wechatpayv3 2.0.4: trade bills (ALL, SUCCESS, REFUND; gzip or plain), the
fund flow bill of the basic account, a coupon stock's use flow and refund flow, each downloaded with
download_bill and checked against its hash_value; a day with nothing, today's and a bad date
are refused with NO_STATEMENT_EXIST or PARAM_ERROR; another merchant cannot download the file;
the stock's merchants and items lists."""

import gzip
import hashlib
import json
import time
import uuid

from test_coupons import stock_body
from test_pay import merchant, public_key_client, signed_get, topup


def rows(csv_text, summary=True):
    """The data rows of a bill (between its header and its summary, if it has one), as lists
    of values, and its last line."""
    lines = csv_text.strip("\r\n").split("\r\n")
    body = lines[1:-2] if summary else lines[1:]
    return [[v.lstrip("`") for v in line.split(",")] for line in body], lines[-1]


def download(wx, answer, url_field="download_url"):
    code, content = wx.download_bill(answer[url_field])
    assert code == 200, content
    return content


def test_trade_fund_and_coupon_bills(herald):
    account = herald.account()
    appid = account["appid"]
    alice = herald.user("alice")
    oa = herald.follow(alice, account)
    m = merchant(herald, account)
    mchid = m["mchid"]
    wx = public_key_client(herald, m, appid, "https://shop.example/notify")
    topup(herald, alice, 10_000)
    herald.fund_merchant(mchid, 1_000)

    def pay(total, **extra):
        no = "B" + uuid.uuid4().hex[:20]
        code, text = wx.pay(description="Tea, green", out_trade_no=no, amount={"total": total}, **extra)
        assert code == 200, text
        herald.op("POST", "/herald/v1/users/%s/payments" % alice, {"code_url": json.loads(text)["code_url"]}, expect=200)
        return json.loads(wx.query(out_trade_no=no)[1])

    # A cash coupon stock (its budget leaves the merchant's balance), one coupon for Alice.
    code, text = wx.marketing_favor_stock_create(**stock_body(mchid, "BILL-STOCK", amount=50, minimum=100, max_coupons=1))
    assert code == 200, text
    stock_id = json.loads(text)["stock_id"]
    assert wx.marketing_favor_stock_start(mchid, stock_id)[0] == 200
    coupon = json.loads(wx.marketing_favor_stock_send(stock_id, oa, "BILL-SEND", mchid)[1])["coupon_id"]

    first = pay(300)  # uses the coupon: 50 from the stock, 250 from Alice
    second = pay(120)
    code, text = wx.refund(out_refund_no="R" + uuid.uuid4().hex[:20], amount={"refund": 20, "total": 120, "currency": "CNY"}, out_trade_no=second["out_trade_no"])
    assert code == 200, text
    refund_id = json.loads(text)["refund_id"]
    assert first["promotion_detail"][0]["coupon_id"] == coupon

    # Today's bill does not exist yet; a malformed date is a parameter error.
    day = first["success_time"][:10]
    code, text = wx.trade_bill(day)
    assert code == 400 and json.loads(text)["code"] == "NO_STATEMENT_EXIST", text
    code, text = wx.trade_bill("2026/01/01")
    assert code == 400 and json.loads(text)["code"] == "PARAM_ERROR", text

    # The coupon's use flow is there at once.
    code, text = wx.marketing_favor_use_flow(stock_id)
    assert code == 200, text
    flow = json.loads(text)
    assert flow["hash_type"] == "SHA1"
    content = download(wx, flow, "url")
    assert hashlib.sha1(content).hexdigest() == flow["hash_value"]
    used, _ = rows(content.decode(), summary=False)
    assert len(used) == 1 and used[0][:4] == [stock_id, coupon, "预充值", "0.50"] and used[0][6] == first["transaction_id"], used

    # Where and on what the coupons may be used.
    code, text = wx.marketing_favor_stock_merchant(mchid, stock_id)
    assert code == 200 and json.loads(text)["mchid_list"] == [mchid] and json.loads(text)["total_count"] == 1, text
    code, text = wx.marketing_favor_stock_item(mchid, stock_id)
    assert code == 200 and json.loads(text)["data"] == [] and json.loads(text)["total_count"] == 0, text

    # The next day, yesterday's bills exist.
    herald.advance(86_400)
    code, text = wx.trade_bill(day)
    assert code == 200, text
    bill = json.loads(text)
    assert bill["hash_type"] == "SHA1" and "/v3/billdownload/file?token=" in bill["download_url"]
    plain = gzip.decompress(download(wx, bill))  # tar_type GZIP, wechatpayv3's default
    assert hashlib.sha1(plain).hexdigest() == bill["hash_value"], "hash_value is the uncompressed file's"
    data, summary = rows(plain.decode())
    assert [r[9] for r in data] == ["SUCCESS", "SUCCESS", "REFUND"], data
    # Rows come in time order; the two payments may share a second, so find the first by its id.
    paid_first = next(r for r in data[:2] if r[5] == first["transaction_id"])
    assert paid_first[12:14] == ["3.00", "0.50"], paid_first
    assert paid_first[20] == "Tea， green", "a comma inside a value does not split the columns"
    assert data[2][14] == refund_id and data[2][16] == "0.20", data[2]
    assert summary == "`3,`4.20,`0.20,`0.00,`0.00,`4.20,`0.20", summary

    code, text = wx.trade_bill(day, bill_type="REFUND", tar_type="")
    refunds = json.loads(text)
    content = download(wx, refunds)
    assert hashlib.sha1(content).hexdigest() == refunds["hash_value"]
    data, _ = rows(content.decode())
    assert len(data) == 1 and data[0][14] == refund_id, "plain CSV when no tar_type is asked for"

    # The fund flow of the basic account: top-up, the stock's budget, two payments, a refund.
    code, text = wx.fundflow_bill(day, tar_type="")
    assert code == 200, text
    flow = json.loads(text)
    content = download(wx, flow)
    assert hashlib.sha1(content).hexdigest() == flow["hash_value"]
    data, summary = rows(content.decode())
    assert [(r[3], r[5], r[6]) for r in data] == [
        ("充值", "收入", "10.00"), ("代金券", "支出", "0.50"), ("交易", "收入", "3.00"), ("交易", "收入", "1.20"), ("退款", "支出", "0.20")], data
    assert data[-1][7] == "13.50", "the balance after the last movement"
    assert summary == "`5,`3,`14.20,`2,`0.70", summary
    code, text = wx.fundflow_bill(day, account_type="OPERATION")
    assert code == 400 and json.loads(text)["code"] == "NO_STATEMENT_EXIST"

    # A day with nothing in it has no bill.
    empty_day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(day, "%Y-%m-%d")) - 86_400 + 12 * 3600))
    code, text = wx.trade_bill(empty_day)
    assert code == 400 and json.loads(text)["code"] == "NO_STATEMENT_EXIST", text

    # Another merchant cannot use the first one's download URL; a forged token is refused.
    other = merchant(herald, account)
    path = bill["download_url"][len(herald.base):]
    r = signed_get(herald, other, path, uuid.uuid4().hex)
    assert r.status_code == 403 and r.json()["code"] == "NO_AUTH", r.text
    r = signed_get(herald, m, path[:-4] + "0000", uuid.uuid4().hex)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_REQUEST", r.text

    # The stock's refund flow lists the coupon's part of each refund of an order it paid for:
    # none yet (the refund so far was of an order without a coupon); then 120 of the first
    # order's 300, of which the coupon paid 50, gives 20 back to the coupon.
    def refund_flow():
        code, text = wx.marketing_favor_refund_flow(stock_id)
        assert code == 200, text
        answer = json.loads(text)
        assert answer["hash_type"] == "SHA1"
        content = download(wx, answer, "url")
        assert hashlib.sha1(content).hexdigest() == answer["hash_value"]
        return rows(content.decode(), summary=False)[0]

    assert refund_flow() == []
    out_refund_no = "R" + uuid.uuid4().hex[:20]
    code, text = wx.refund(out_refund_no=out_refund_no, amount={"refund": 120, "total": 300, "currency": "CNY"}, out_trade_no=first["out_trade_no"])
    assert code == 200, text
    coupon_refund = json.loads(text)["refund_id"]
    for _ in range(100):
        if json.loads(wx.query_refund(out_refund_no=out_refund_no)[1])["status"] == "SUCCESS":
            break
        time.sleep(0.05)
    flow = refund_flow()
    assert len(flow) == 1, flow
    assert flow[0][:8] == [stock_id, coupon, "预充值", "0.20", "3.00", "NATIVE", first["transaction_id"], coupon_refund], flow[0]
    assert flow[0][9] == mchid, flow[0]
    # Only the stock's creator reads it.
    r = signed_get(herald, other, "/v3/marketing/favor/stocks/%s/refund-flow" % stock_id, uuid.uuid4().hex)
    assert r.status_code == 404 and r.json()["code"] == "RESOURCE_NOT_EXISTS", r.text
