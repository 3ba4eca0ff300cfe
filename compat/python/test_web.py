"""wechatpy 1.8.18 drives QR codes (`client.qrcode`), menus (`client.menu`), web OAuth
(`WeChatOAuth`) and JS-SDK tickets (`client.jsapi`) against the real binary. QR PNGs are
decoded with zxing-cpp, a decoder independent of Herald's."""

import hashlib
import io
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import zxingcpp
from PIL import Image
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException
from wechatpy.oauth import WeChatOAuth


def decode_qr(png_bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    assert results, "no QR code in the image"
    return results[0].text


def oauth_client(herald, account, redirect_uri, scope):
    """WeChatOAuth with nothing changed but its two base URLs."""
    class HeraldOAuth(WeChatOAuth):
        API_BASE_URL = herald.base + "/"
        OAUTH_BASE_URL = herald.base + "/connect/"
    return HeraldOAuth(account["appid"], account["app_secret"], redirect_uri, scope=scope, state="s1")


def sign_in(herald, user):
    """A browser session for `user`, signed in through an operator-minted link."""
    link = herald.op("POST", "/herald/v1/users/%s/signin_links" % user, {}, expect=201)["url"]
    browser = requests.Session()
    r = browser.get(link, allow_redirects=False)
    assert r.status_code == 303, r.text
    assert "herald_session" in browser.cookies
    return browser


def test_qrcodes_with_wechatpy(herald):
    herald.freeze()
    sub = herald.account("subscription")
    with pytest.raises(WeChatClientException) as e:
        herald.wechatpy(sub).qrcode.create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 1}}})
    assert e.value.errcode == 48001

    acct = herald.account("service")
    client = herald.wechatpy(acct)
    res = client.qrcode.create({"expire_seconds": 1800, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})
    assert res["expire_seconds"] == 1800 and res["url"].startswith(herald.base + "/q/")
    # wechatpy's get_url points at mp.weixin.qq.com; the same path and quoting on Herald's host.
    image_url = client.qrcode.get_url(res).replace("https://mp.weixin.qq.com", herald.base)
    png = requests.get(image_url)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert decode_qr(png.content) == res["url"]

    perm = client.qrcode.create({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "counter-3"}}})
    assert "expire_seconds" not in perm

    # A new user scans the temporary code: follows with qrscene_123, and user/info shows it.
    u = herald.user("scanner")
    r = herald.op("POST", "/herald/v1/users/%s/scan" % u, {"url": res["url"]}, expect=200)
    assert r["event"] == "subscribe"
    info = client.user.get(r["relation"]["openid"])
    assert info["subscribe_scene"] == "ADD_SCENE_QR_CODE" and info["qr_scene"] == 123
    # Scanning the permanent code as a follower raises SCAN.
    r = herald.op("POST", "/herald/v1/users/%s/scan" % u, {"ticket": perm["ticket"]}, expect=200)
    assert r["event"] == "SCAN" and r["scene"] == "counter-3"

    herald.advance(1801)
    assert requests.get(image_url).status_code == 404
    herald.op("POST", "/herald/v1/users/%s/scan" % u, {"url": res["url"]}, expect=410)

    # Short keys through client.post (wechatpy 1.8 has no helper).
    key = client.post("shorten/gen", data={"long_data": '{"cart": [1, 2]}'})["short_key"]
    got = client.post("shorten/fetch", data={"short_key": key})
    assert got["long_data"] == '{"cart": [1, 2]}' and got["expire_seconds"] == 2592000


MENU = {"button": [
    {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
    {"type": "click", "name": "歌手简介", "key": "V1001_TODAY_SINGER"},
    {"name": "菜单", "sub_button": [
        {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
        {"type": "view", "name": "视频", "url": "http://v.qq.com/"},
        {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"},
    ]},
]}


def test_menus_with_wechatpy(herald):
    acct = herald.account("service")
    client = herald.wechatpy(acct)
    assert client.menu.get() is None  # wechatpy maps 46003 to None
    with pytest.raises(WeChatClientException) as e:
        client.menu.create({"button": [{"type": "click", "name": "x" * 17, "key": "K"}]})
    assert e.value.errcode == 40018
    with pytest.raises(WeChatClientException) as e:
        client.menu.add_conditional(dict(MENU, matchrule={"client_platform_type": "2"}))
    assert e.value.errcode == 65303  # no default menu yet

    client.menu.create(MENU)
    got = client.menu.get()
    assert [b["name"] for b in got["menu"]["button"]] == ["今日歌曲", "歌手简介", "菜单"]
    assert got["menu"]["button"][2]["sub_button"][2]["key"] == "V1001_GOOD"
    info = client.menu.get_menu_info()
    assert info["is_menu_open"] == 1 and info["selfmenu_info"]["button"][2]["sub_button"]["list"][0]["url"] == "http://www.soso.com/"

    tag = client.tag.create("android fans")["id"]
    menuid = client.menu.add_conditional({
        "button": [{"type": "click", "name": "Android", "key": "ANDROID"}],
        "matchrule": {"group_id": str(tag), "client_platform_type": "2"},
    })["menuid"]
    u = herald.user("fan")
    openid = herald.follow(u, acct)
    herald.op("PUT", "/herald/v1/users/%s/profile" % u, {"platform": "android"}, expect=200)
    assert client.menu.try_match(openid)["button"][0]["name"] == "今日歌曲"
    client.tag.tag_user(tag, openid)
    assert client.menu.try_match(openid)["button"][0]["name"] == "Android"

    # The user taps the default menu's "good" button once the conditional menu is gone.
    client.menu.del_conditional(menuid)
    tap = herald.op("POST", "/herald/v1/users/%s/menus/%s/tap" % (u, acct["appid"]), {"path": [2, 2]}, expect=200)
    assert tap["message"]["body"] == {"event": "CLICK", "event_key": "V1001_GOOD"}
    client.menu.delete()
    assert client.menu.get() is None


def test_web_oauth_with_wechatpy(herald):
    herald.freeze()
    acct = herald.account("service")
    herald.op("PUT", "/herald/v1/accounts/%s/web_domain" % acct["appid"], {"domain": "shop.example"}, expect=200)
    u = herald.op("POST", "/herald/v1/users", {"nickname": "Mei", "profile": {"sex": 2, "province": "Guangdong", "city": "Guangzhou", "country": "CN"}}, expect=201)["id"]
    browser = sign_in(herald, u)

    # snsapi_base: straight back to the site with a code.
    oauth = oauth_client(herald, acct, "http://shop.example/callback", "snsapi_base")
    assert oauth.authorize_url.endswith("#wechat_redirect")
    r = browser.get(oauth.authorize_url, allow_redirects=False)
    assert r.status_code == 303, r.text
    back = urlparse(r.headers["Location"])
    q = parse_qs(back.query)
    assert back.netloc == "shop.example" and q["state"] == ["s1"]
    res = oauth.fetch_access_token(q["code"][0])
    assert res["scope"] == "snsapi_base" and res["expires_in"] == 7200
    assert oauth.check_access_token()
    with pytest.raises(WeChatOAuthException) as e:
        oauth.fetch_access_token(q["code"][0])
    assert e.value.errcode == 40163
    with pytest.raises(WeChatOAuthException) as e:
        oauth.get_user_info()
    assert e.value.errcode == 48001

    # snsapi_userinfo: consent first (the browser test clicks it; here the form is posted).
    oauth = oauth_client(herald, acct, "http://shop.example/callback", "snsapi_userinfo")
    page = browser.get(oauth.authorize_url, allow_redirects=False)
    assert page.status_code == 200 and "Allow" in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    form = {"appid": acct["appid"], "redirect_uri": "http://shop.example/callback", "response_type": "code",
            "scope": "snsapi_userinfo", "state": "s1", "csrf": csrf, "decision": "allow"}
    r = browser.post(herald.base + "/connect/oauth2/authorize/confirm", data=form, allow_redirects=False)
    code = parse_qs(urlparse(r.headers["Location"]).query)["code"][0]
    herald.advance(301)
    with pytest.raises(WeChatOAuthException) as e:
        oauth.fetch_access_token(code)
    assert e.value.errcode == 40029
    r = browser.post(herald.base + "/connect/oauth2/authorize/confirm", data=form, allow_redirects=False)
    code = parse_qs(urlparse(r.headers["Location"]).query)["code"][0]
    res = oauth.fetch_access_token(code)
    assert "unionid" in res
    me = oauth.get_user_info()
    assert (me["nickname"], me["sex"], me["city"], me["privilege"]) == ("Mei", 2, "Guangzhou", [])
    refreshed = oauth.refresh_access_token(res["refresh_token"])
    assert refreshed["access_token"] == res["access_token"]  # still live: kept and renewed
    herald.advance(7201)
    with pytest.raises(WeChatOAuthException) as e:
        oauth.check_access_token()
    assert e.value.errcode == 42001
    refreshed = oauth.refresh_access_token(res["refresh_token"])
    assert refreshed["access_token"] != res["access_token"]
    assert oauth.check_access_token()

    # redirect_uri off the configured domain: WeChat's 10003 on the page.
    bad = oauth_client(herald, acct, "http://evil.example/callback", "snsapi_base")
    assert "10003" in browser.get(bad.authorize_url, allow_redirects=False).text


def test_jsapi_ticket_and_signature_with_wechatpy(herald):
    acct = herald.account("subscription", owner_kind="individual", verified=False)
    client = herald.wechatpy(acct)
    ticket = client.jsapi.get_jsapi_ticket()
    assert ticket == client.jsapi.get_ticket()["ticket"]
    noncestr, ts, url = "Wm3WZYTPz0wzccnW", int(time.time()), "http://shop.example/page?x=1"
    sig = client.jsapi.get_jsapi_signature(noncestr, ticket, ts, url)
    ok = herald.op("POST", "/herald/v1/jssdk/verify", {"appid": acct["appid"], "url": url, "noncestr": noncestr, "timestamp": ts, "signature": sig}, expect=200)
    assert ok["valid"] is True
    bad = herald.op("POST", "/herald/v1/jssdk/verify", {"appid": acct["appid"], "url": url + "&y=2", "noncestr": noncestr, "timestamp": ts, "signature": sig}, expect=200)
    assert bad["valid"] is False and bad["errcode"] == 63002


def test_scan_and_menu_events_reach_the_developer_server(herald):
    """Events raised by scans and taps are delivered as callbacks, and wechatpy's own parser
    reads them as the right event types."""
    from wechatpy import parse_message
    from test_broadcast import with_server

    acct = herald.account("service")
    dev = with_server(herald, acct)
    client = herald.wechatpy(acct)
    code = client.qrcode.create({"expire_seconds": 600, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 42}}})
    u = herald.user("walker")
    herald.op("POST", "/herald/v1/users/%s/scan" % u, {"ticket": code["ticket"]}, expect=200)
    msg = parse_message(dev.events("subscribe", 1)[0])
    assert msg.type == "event" and msg.event == "subscribe_scan"
    assert (msg.scene_id, msg.ticket) == ("42", code["ticket"])
    herald.op("POST", "/herald/v1/users/%s/scan" % u, {"ticket": code["ticket"]}, expect=200)
    msg = parse_message(dev.events("SCAN", 1)[0])
    assert msg.event == "scan" and msg.scene_id == "42"

    client.menu.create({"button": [
        {"type": "pic_weixin", "name": "Photo", "key": "PHOTO"},
        {"type": "location_select", "name": "Where", "key": "WHERE"},
        {"name": "More", "sub_button": [
            {"type": "scancode_waitmsg", "name": "Scan", "key": "SCAN"},
            {"type": "miniprogram", "name": "App", "url": "http://shop.example/", "appid": "wxmini", "pagepath": "pages/index"},
        ]},
    ]})
    base = "/herald/v1/users/%s/menus/%s/tap" % (u, acct["appid"])
    herald.op("POST", base, {"path": [0], "pics": ["1b5f7c23b5bf75682a53e7b6d163e185", "4d1d2e93a8fe9b3d6e0c8b8a1f0e2c3d"]}, expect=200)
    msg = parse_message(dev.events("pic_weixin", 1)[0])
    assert msg.event == "pic_weixin" and msg.key == "PHOTO" and msg.count == 2
    assert msg.pictures[0]["PicMd5Sum"] == "1b5f7c23b5bf75682a53e7b6d163e185"
    herald.op("POST", base, {"path": [1], "location": {"latitude": 23.1, "longitude": 113.3, "label": "Tianhe", "poiname": "Park"}}, expect=200)
    msg = parse_message(dev.events("location_select", 1)[0])
    assert msg.event == "location_select" and (msg.location_x, msg.location_y, msg.label, msg.poiname) == ("23.1", "113.3", "Tianhe", "Park")
    herald.op("POST", base, {"path": [2, 0], "scan_result": "https://example.com/item/9"}, expect=200)
    msg = parse_message(dev.events("scancode_waitmsg", 1)[0])
    assert msg.event == "scancode_waitmsg" and msg.scan_result == "https://example.com/item/9" and msg.scan_type == "qrcode"
    tap = herald.op("POST", base, {"path": [2, 1]}, expect=200)
    assert tap["miniprogram"] == {"appid": "wxmini", "pagepath": "pages/index"}
    msg = parse_message(dev.events("view_miniprogram", 1)[0])
    assert msg.event == "view_miniprogram" and msg.page_path == "pages/index"
