"""WeRoBot 1.13.1 runs as the account's developer server, in plain, compatible and safe mode, and
answers with passive replies (so does a developer server built on wechatpy's crypto and
replies); wechatpy sends customer-service messages within the window."""

import io
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import werobot
from wechatpy.exceptions import WeChatClientException

from conftest import conversation
from test_broadcast import PNG

TOKEN = "robottoken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def robot_server():
    servers = []

    def start(appid, aes_key=None):
        robot = werobot.WeRoBot(token=TOKEN, app_id=appid, encoding_aes_key=aes_key, SESSION_STORAGE=False)

        @robot.subscribe
        def welcome(message):
            return "welcome, " + message.source

        @robot.text
        def echo(message):
            return "echo: " + message.content

        @robot.location
        def where(message):
            reply = werobot.replies.ArticlesReply(message=message)
            reply.add_article(werobot.replies.Article("Nearest branch", "Open 9-5", "http://img/x.png", "http://example.com/branch"))
            return reply

        srv = make_server("127.0.0.1", 0, robot.wsgi, handler_class=Quiet)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return "http://127.0.0.1:%d/wx" % srv.server_port

    yield start
    for s in servers:
        s.shutdown()


@pytest.fixture
def serve_safe(herald):
    servers = []

    def start(acc, robot):
        """Serves `robot` and makes it the account's developer server in safe mode."""
        srv = make_server("127.0.0.1", 0, robot.wsgi, handler_class=Quiet)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        herald.op("PUT", "/herald/v1/accounts/%s/server" % acc["appid"],
                  {"url": "http://127.0.0.1:%d/wx" % srv.server_port, "token": TOKEN, "encoding_aes_key": AES_KEY,
                   "message_mode": "safe"}, expect=200)

    yield start
    for s in servers:
        s.shutdown()


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_werobot_answers_through_herald(herald, robot_server, mode):
    acc = herald.account()
    url = robot_server(acc["appid"], None if mode == "plain" else AES_KEY)
    herald.op("PUT", "/herald/v1/accounts/%s/server" % acc["appid"],
              {"url": url, "token": TOKEN, "encoding_aes_key": AES_KEY, "message_mode": mode}, expect=200)
    user = herald.user("wendy")
    openid = herald.follow(user, acc)
    assert conversation(herald, user, acc, 1)[0]["body"]["content"] == "welcome, " + openid
    herald.op("POST", "/herald/v1/users/%s/messages" % user, {"appid": acc["appid"], "msgtype": "text", "content": "你好"}, expect=201)
    herald.op("POST", "/herald/v1/users/%s/messages" % user,
              {"appid": acc["appid"], "msgtype": "location", "latitude": 23.13, "longitude": 113.26, "label": "Guangzhou"}, expect=201)
    msgs = conversation(herald, user, acc, 5)
    replies = [m for m in msgs if m["source"] == "passive_reply"]
    assert [r["msgtype"] for r in replies] == ["text", "text", "news"], msgs
    assert replies[1]["body"]["content"] == "echo: 你好"
    assert replies[2]["body"]["articles"][0]["title"] == "Nearest branch"
    deliveries = herald.op("GET", "/herald/v1/accounts/%s/deliveries" % acc["appid"])["deliveries"]
    assert all(d["state"] == "done" for d in deliveries) and len(deliveries) == 3
    requests = [d["attempts"][0]["request"] for d in deliveries]
    if mode == "safe":
        assert all("<Encrypt>" in r and "<FromUserName>" not in r for r in requests), requests
    elif mode == "compatible":
        # Both the plain fields and the envelope; WeRoBot decrypts and answers encrypted.
        assert all("<Encrypt>" in r and "<FromUserName>" in r for r in requests), requests
    else:
        assert all("<Encrypt>" not in r and "<FromUserName>" in r for r in requests), requests


def test_every_werobot_reply_type_reaches_the_conversation_in_safe_mode(herald, serve_safe):
    acc = herald.account()
    robot = werobot.WeRoBot(token=TOKEN, app_id=acc["appid"], encoding_aes_key=AES_KEY, SESSION_STORAGE=False)
    replies = werobot.replies

    @robot.text
    def answer(message):
        kind = message.content
        if kind == "image":
            return replies.ImageReply(message=message, media_id="IMG_1")
        if kind == "voice":
            return replies.VoiceReply(message=message, media_id="VOICE_1")
        if kind == "video":
            return replies.VideoReply(message=message, media_id="VIDEO_1", title="Clip", description="A clip")
        if kind == "music":
            return replies.MusicReply(message=message, title="Song", description="A song", url="http://m/1.mp3", hq_url="http://m/1hq.mp3")
        if kind == "transfer":
            return replies.TransferCustomerServiceReply(message=message)
        return replies.SuccessReply()

    serve_safe(acc, robot)
    user = herald.user("quinn")
    herald.follow(user, acc)
    kinds = ["image", "voice", "video", "music", "transfer", "nothing"]
    for kind in kinds:
        herald.op("POST", "/herald/v1/users/%s/messages" % user, {"appid": acc["appid"], "msgtype": "text", "content": kind}, expect=201)
    msgs = conversation(herald, user, acc, 2 * len(kinds) - 1)
    replies_got = [m for m in msgs if m["source"] == "passive_reply"]
    assert [m["msgtype"] for m in replies_got] == ["image", "voice", "video", "music", "transfer_customer_service"], msgs
    assert replies_got[0]["body"]["media_id"] == "IMG_1"
    assert replies_got[2]["body"]["title"] == "Clip"
    assert (replies_got[3]["body"]["musicurl"], replies_got[3]["body"]["hqmusicurl"]) == ("http://m/1.mp3", "http://m/1hq.mp3")
    # The last message has no reply to wait for: wait for its delivery instead.
    deadline = time.time() + 20
    while True:
        deliveries = herald.op("GET", "/herald/v1/accounts/%s/deliveries" % acc["appid"])["deliveries"]
        if all(d["state"] != "pending" for d in deliveries) or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(deliveries) == len(kinds) + 1 and all(d["state"] == "done" for d in deliveries), deliveries
    assert not [m for m in msgs if m["source"] == "notice"]


def test_werobot_reads_every_message_and_event_a_follower_sends(herald, serve_safe):
    acc = herald.account()
    robot = werobot.WeRoBot(token=TOKEN, app_id=acc["appid"], encoding_aes_key=AES_KEY, SESSION_STORAGE=False)
    seen = []

    @robot.handler
    def record(message):
        seen.append(message)
        return "got " + message.type

    serve_safe(acc, robot)
    user = herald.user("pia")
    openid = herald.follow(user, acc)
    say = lambda body: herald.op("POST", "/herald/v1/users/%s/messages" % user, dict(body, appid=acc["appid"]), expect=201)
    event = lambda body: herald.op("POST", "/herald/v1/users/%s/events" % user, dict(body, appid=acc["appid"]), expect=201)
    say({"msgtype": "text", "content": "多少钱?"})
    say({"msgtype": "image", "pic_url": "http://img.example/1.jpg", "media_id": "PIC_1"})
    say({"msgtype": "voice", "media_id": "VOICE_1", "format": "amr", "recognition": "你好"})
    say({"msgtype": "video", "media_id": "VIDEO_1", "thumb_media_id": "THUMB_1"})
    say({"msgtype": "location", "latitude": 23.134521, "longitude": 113.358803, "scale": 20, "label": "广州"})
    say({"msgtype": "link", "title": "Herald", "description": "A platform", "url": "http://example.com/h"})
    event({"event": "CLICK", "event_key": "V1001_GOOD"})
    event({"event": "VIEW", "event_key": "http://example.com/menu"})
    event({"event": "LOCATION", "latitude": 23.1, "longitude": 113.3, "precision": 119.385040})
    # 6 messages, and a reply to each message and event (subscribe, CLICK, VIEW, LOCATION).
    assert len(conversation(herald, user, acc, 16)) == 16
    by_type = {}
    for m in seen:
        by_type.setdefault(m.type, m)
    assert set(by_type) >= {"subscribe_event", "text", "image", "voice", "video", "location", "link", "click_event",
                            "view_event", "location_event"}, [m.type for m in seen]
    assert all(m.source == openid and m.target == acc["original_id"] for m in seen)
    assert by_type["text"].content == "多少钱?" and by_type["text"].message_id > 0
    assert by_type["image"].img == "http://img.example/1.jpg"
    assert (by_type["voice"].media_id, by_type["voice"].format, by_type["voice"].recognition) == ("VOICE_1", "amr", "你好")
    assert (by_type["video"].media_id, by_type["video"].thumb_media_id) == ("VIDEO_1", "THUMB_1")
    loc = by_type["location"]
    assert (loc.location, loc.scale, loc.label) == ((23.134521, 113.358803), 20, "广州")
    assert (by_type["link"].title, by_type["link"].url) == ("Herald", "http://example.com/h")
    assert by_type["click_event"].key == "V1001_GOOD"
    assert by_type["view_event"].key == "http://example.com/menu"
    ev = by_type["location_event"]
    assert (ev.latitude, ev.longitude, ev.precision) == (23.1, 113.3, 119.38504)


def test_wechatpy_customer_service_messages_and_the_window(herald):
    herald.freeze()
    acc = herald.account()
    user = herald.user("victor")
    openid = herald.follow(user, acc)
    client = herald.wechatpy(acc)
    client.message.send_text(openid, "hello from the service desk")
    image = client.media.upload("image", ("pic.png", io.BytesIO(PNG), "image/png"))
    client.message.send_image(openid, image["media_id"])
    client.message.send_articles(openid, [{"title": "Your order", "description": "Shipped", "url": "http://example.com/o/1", "image": "http://example.com/i.png"}])
    with pytest.raises(WeChatClientException) as e:
        client.message.send_text("o_nobody", "x")
    assert e.value.errcode == 40003
    herald.advance(48 * 3600)
    with pytest.raises(WeChatClientException) as e:
        client.message.send_text(openid, "too late")
    assert e.value.errcode == 45015
    herald.op("POST", "/herald/v1/users/%s/messages" % user, {"appid": acc["appid"], "msgtype": "text", "content": "still there?"}, expect=201)
    client.message.send_text(openid, "yes!")
    msgs = conversation(herald, user, acc, 1)
    custom = [m for m in msgs if m["source"] == "custom"]
    assert [m["msgtype"] for m in custom][:3] == ["text", "image", "news"]
    assert custom[-1]["body"]["content"] == "yes!"


def test_customer_service_messages_name_the_accounts_own_media(herald):
    acc, other = herald.account(), herald.account()
    user = herald.user("mira")
    openid = herald.follow(user, acc)
    client = herald.wechatpy(acc)
    image = client.media.upload("image", ("pic.png", io.BytesIO(PNG), "image/png"))
    voice = client.media.upload("voice", ("v.amr", io.BytesIO(b"#!AMR\n" + b"\x00" * 32), "audio/amr"))
    theirs = herald.wechatpy(other).media.upload("image", ("pic.png", io.BytesIO(PNG), "image/png"))
    # Media the account never uploaded, uploaded by another account, or of another type: 40007,
    # and nothing reaches the follower.
    for send in (lambda: client.message.send_image(openid, "no-such-media"),
                 lambda: client.message.send_image(openid, theirs["media_id"]),
                 lambda: client.message.send_voice(openid, image["media_id"]),
                 lambda: client.message.send_video(openid, image["media_id"], "Clip", "Not a video"),
                 lambda: client.message.send_articles(openid, "no-such-news")):
        with pytest.raises(WeChatClientException) as e:
            send()
        assert e.value.errcode == 40007
    assert [m for m in conversation(herald, user, acc, 0) if m["source"] == "custom"] == []
    client.message.send_image(openid, image["media_id"])
    client.message.send_voice(openid, voice["media_id"])
    # A news material sent as mpnews (wechatpy sends a media_id string as mpnews): the follower's
    # conversation keeps the articles as they were sent.
    thumb = client.material.add("image", ("cover.png", io.BytesIO(PNG), "image/png"))
    news = client.material.add_articles([{"thumb_media_id": thumb["media_id"], "title": "Autumn menu", "content": "<p>Soups</p>"}])
    client.message.send_articles(openid, news["media_id"])
    client.material.update_article(news["media_id"], 0, {"thumb_media_id": thumb["media_id"], "title": "Winter menu", "content": "<p>x</p>"})
    # A menu message, tapped by the follower, and a link card.
    client.message.send_msg_menu(openid, {"head_content": "Was this helpful?", "tail_content": "",
                                          "list": [{"id": "1", "content": "Yes"}, {"id": "2", "content": "No"}]})
    client.message.send_link(openid, {"title": "Track", "description": "Your parcel", "url": "https://shop.example/t",
                                      "image": "https://shop.example/t.png"})
    herald.op("POST", "/herald/v1/users/%s/messages" % user, {"appid": acc["appid"], "msgtype": "text", "bizmsgmenuid": "1"}, expect=201)
    msgs = conversation(herald, user, acc, 6)
    custom = [m for m in msgs if m["source"] == "custom"]
    assert [m["msgtype"] for m in custom] == ["image", "voice", "mpnews", "msgmenu", "link"], custom
    assert custom[0]["body"]["media_id"] == image["media_id"]
    assert custom[2]["body"]["media_id"] == news["media_id"]
    assert [a["title"] for a in custom[2]["body"]["articles"]] == ["Autumn menu"]
    assert msgs[-1]["source"] == "user" and msgs[-1]["body"] == {"msgtype": "text", "content": "Yes", "bizmsgmenuid": "1"}


def test_a_wechatpy_developer_server_in_safe_mode(herald):
    """The developer server many Python users write: wechatpy's check_signature, WeChatCrypto,
    parse_message and create_reply behind a plain WSGI app."""
    from urllib.parse import parse_qs

    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import ArticlesReply, ImageReply
    from wechatpy.utils import check_signature

    acc = herald.account()
    crypto = WeChatCrypto(TOKEN, AES_KEY, acc["appid"])
    seen = []

    def app(environ, start_response):
        q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
        start_response("200 OK", [("Content-Type", "text/xml")])
        if environ["REQUEST_METHOD"] == "GET":
            return [q["echostr"].encode()]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        msg = parse_message(crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]))
        seen.append(msg)
        if msg.type == "text" and msg.content == "picture":
            reply = ImageReply(message=msg, media_id="IMG_9")
        elif msg.type == "text" and msg.content == "news":
            reply = ArticlesReply(message=msg, articles=[{"title": "Hi", "description": "d", "image": "http://i/1.png", "url": "http://u/1"}])
        elif msg.type == "text" and msg.content == "quiet":
            reply = create_reply("", msg)  # an empty reply, encrypted like the others
        elif msg.type == "event":
            reply = create_reply("welcome", msg)
        else:
            reply = create_reply("you said " + getattr(msg, "content", msg.type), msg)
        return [crypto.encrypt_message(reply.render(), q["nonce"], q["timestamp"]).encode()]

    srv = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        herald.op("PUT", "/herald/v1/accounts/%s/server" % acc["appid"],
                  {"url": "http://127.0.0.1:%d/wx" % srv.server_port, "token": TOKEN, "encoding_aes_key": AES_KEY,
                   "message_mode": "safe"}, expect=200)
        user = herald.user("sven")
        openid = herald.follow(user, acc)
        for text in ["hello", "picture", "news", "quiet"]:
            herald.op("POST", "/herald/v1/users/%s/messages" % user, {"appid": acc["appid"], "msgtype": "text", "content": text}, expect=201)
        # Four messages, and replies to the follow and to three of them.
        msgs = conversation(herald, user, acc, 8)
        replies = [m for m in msgs if m["source"] == "passive_reply"]
        assert [(r["msgtype"], r["body"].get("content") or r["body"].get("media_id")) for r in replies[:3]] == \
            [("text", "welcome"), ("text", "you said hello"), ("image", "IMG_9")], msgs
        assert replies[3]["body"]["articles"][0]["title"] == "Hi"
        assert seen[0].event == "subscribe" and seen[1].source == openid and seen[1].target == acc["original_id"]
        deadline = time.time() + 20
        while any(d["state"] == "pending" for d in herald.op("GET", "/herald/v1/accounts/%s/deliveries" % acc["appid"])["deliveries"]):
            assert time.time() < deadline
            time.sleep(0.05)
        deliveries = herald.op("GET", "/herald/v1/accounts/%s/deliveries" % acc["appid"])["deliveries"]
        assert len(deliveries) == 5 and all(d["state"] == "done" for d in deliveries), deliveries
        assert not [m for m in conversation(herald, user, acc, 0) if m["source"] == "notice"]
    finally:
        srv.shutdown()
