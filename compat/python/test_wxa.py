"""wechatpy 1.8.18's mini-program client (`client.wxa`) and `WeChatWxaCrypto` against the real
binary, as a developer server uses them: jscode2session with a wx.login code, user data opened
with the session key, subscribe messages, a wxacode decoded by zxing-cpp (a decoder independent
of Herald's), the phone-number API and the text check."""

import hashlib
import io
import json
import uuid
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import zxingcpp
from PIL import Image
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import InvalidAppIdException, WeChatClientException


def mini_program(herald):
    return herald.op("POST", "/herald/v1/accounts", {
        "name": "Mini %s" % uuid.uuid4().hex[:6], "type": "miniprogram",
        "owner": {"kind": "organisation", "name": "Shop"}, "verified": True}, expect=201)


def wxa(herald, mp):
    """The mini program's wechatpy client with nothing changed but its base URLs."""
    client = herald.wechatpy(mp)
    client.wxa.API_BASE_URL = herald.base + "/"
    return client


def bridge(herald, user, mp, what, body=None):
    return herald.op("POST", "/herald/v1/users/%s/miniprograms/%s/%s" % (user, mp["appid"], what), body or {}, expect=200)


def test_login_and_user_data_open_with_wechatpy(herald):
    mp = mini_program(herald)
    client = wxa(herald, mp)
    user = herald.user("小程序用户")
    code = bridge(herald, user, mp, "login")["code"]
    session = client.wxa.code_to_session(code)
    assert session["openid"] and session["session_key"]
    with pytest.raises(WeChatClientException) as e:
        client.wxa.code_to_session(code)
    assert e.value.errcode == 40163

    profile = bridge(herald, user, mp, "user_profile")
    key = session["session_key"]
    assert profile["signature"] == hashlib.sha1((profile["rawData"] + key).encode()).hexdigest()
    data = WeChatWxaCrypto(key, profile["iv"], mp["appid"]).decrypt_message(profile["encryptedData"])
    assert data["nickName"] == "小程序用户"
    assert data["openId"] == session["openid"]
    assert data["watermark"]["appid"] == mp["appid"]
    with pytest.raises(InvalidAppIdException):
        WeChatWxaCrypto(key, profile["iv"], "wx0000000000000000").decrypt_message(profile["encryptedData"])

    phone = bridge(herald, user, mp, "phone_code", {"phone": "13800138000"})["code"]
    info = client.wxa._post("wxa/business/getuserphonenumber", data={"code": phone})
    assert info["phone_info"]["purePhoneNumber"] == "13800138000"


def test_subscribe_messages_with_wechatpy(herald):
    mp = mini_program(herald)
    client = wxa(herald, mp)
    user = herald.user("subscriber")
    openid = client.wxa.code_to_session(bridge(herald, user, mp, "login")["code"])["openid"]
    added = client.wxa._post("wxaapi/newtmpl/addtemplate", data={"tid": "1211", "kidList": [1, 2, 3], "sceneDesc": "支付"})
    tmpl = added["priTmplId"]
    data = {"amount1": {"value": "¥12.50"}, "thing2": {"value": "会员月卡"}, "time3": {"value": "2026-12-07 15:01"}}
    with pytest.raises(WeChatClientException) as e:
        client.wxa.send_subscribe_message(openid, tmpl, data, page="pages/index/index")
    assert e.value.errcode == 43101
    assert bridge(herald, user, mp, "subscriptions", {"tmplIds": [tmpl], "accept": [tmpl]})[tmpl] == "accept"
    assert client.wxa.send_subscribe_message(openid, tmpl, data, page="pages/index/index")["errcode"] == 0
    msgs = herald.op("GET", "/herald/v1/users/%s/conversations/%s" % (user, mp["appid"]))["messages"]
    assert [m["body"]["title"] for m in msgs if m["msgtype"] == "subscribe"] == ["支付成功通知"]


def test_a_wxacode_holds_the_page_and_scene(herald):
    mp = mini_program(herald)
    client = wxa(herald, mp)
    res = client.wxa.get_wxa_code_unlimited("order=9&ch=qr", page="pages/order/order", width=280)
    assert res.headers["Content-Type"] == "image/png"
    text = zxingcpp.read_barcodes(Image.open(io.BytesIO(res.content)))[0].text
    u = urlparse(text)
    assert u.path == "/mp/%s/pages/order/order" % mp["appid"]
    assert parse_qs(u.query)["scene"] == ["order=9&ch=qr"]
    # The follower app scanning it opens that page, the scene URL-encoded as onLoad receives it.
    user = herald.user("scanner")
    opened = herald.op("POST", "/herald/v1/users/%s/scan" % user, {"url": text}, expect=200)
    assert opened["kind"] == "miniprogram" and opened["path"] == "pages/order/order"
    assert unquote(opened["query"]["scene"]) == "order=9&ch=qr"
    with pytest.raises(WeChatClientException) as e:
        client.wxa.get_wxa_code_unlimited("x" * 33)
    assert e.value.errcode == 40169


def test_text_check_and_official_tokens_refused(herald):
    mp = mini_program(herald)
    client = wxa(herald, mp)
    assert client.wxa.check_text_security("hello")["errcode"] == 0
    with pytest.raises(WeChatClientException) as e:
        client.wxa.check_text_security("特3456书yuuo莞6543李zxcz蒜7782法fgnv级")
    assert e.value.errcode == 87014
    # An official account's token is refused on the mini-program API with 48001.
    svc = herald.account()
    svc_client = wxa(herald, svc)
    with pytest.raises(WeChatClientException) as e:
        svc_client.wxa.check_text_security("hello")
    assert e.value.errcode == 48001
