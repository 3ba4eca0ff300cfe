"""wechatpy 1.8.18 drives broadcast: media, materials, drafts and publishing (through
`client.post`, which wechatpy 1.8 has no helpers for), mass messages under the quotas, and
template messages; a plain HTTP developer server receives the finish events."""

import base64
import hashlib
import http.server
import io
import threading
import time

import pytest
from wechatpy.exceptions import WeChatClientException

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
TOKEN = "devtoken123"
JAN_30_NOON = 1769745600  # 2026-01-30T12:00:00+08:00


class DevServer:
    """Answers URL verification and records every (signed) callback body."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _query(self):
                from urllib.parse import parse_qs, urlparse
                return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

            def do_GET(self):
                q = self._query()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(q.get("echostr", "").encode())

            def do_POST(self):
                q = self._query()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                sig = hashlib.sha1("".join(sorted([TOKEN, q["timestamp"], q["nonce"]])).encode()).hexdigest()
                assert sig == q["signature"]
                bodies.append(body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"success")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/wx" % self.httpd.server_address[1]

    def events(self, name, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [b for b in self.bodies if "<Event><![CDATA[%s]]></Event>" % name in b]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError("fewer than %d %s events: %r" % (n, name, self.bodies))


def field(xml, name):
    import re
    m = re.search(r"<%s>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</%s>" % (name, name), xml)
    return m and m.group(1)


def with_server(herald, acc):
    dev = DevServer()
    herald.op("PUT", "/herald/v1/accounts/%s/server" % acc["appid"],
              {"url": dev.url, "token": TOKEN, "message_mode": "plain"}, expect=200)
    return dev


def test_media_materials_drafts_and_publishing(herald):
    acc = herald.account()
    dev = with_server(herald, acc)
    client = herald.wechatpy(acc)

    up = client.media.upload("image", ("pic.png", io.BytesIO(PNG), "image/png"))
    assert up["type"] == "image" and len(up["media_id"]) == 64
    got = client.media.download(up["media_id"])
    assert got.content == PNG and got.headers["Content-Type"] == "image/png"
    with pytest.raises(WeChatClientException) as e:
        client.media.upload("gif", ("x.gif", io.BytesIO(b"GIF89a"), "image/gif"))
    assert e.value.errcode == 40004
    url = client.media.upload_image(("a.png", io.BytesIO(PNG), "image/png"))
    import requests
    assert requests.get(url).content == PNG

    thumb = client.material.add("image", ("cover.png", io.BytesIO(PNG), "image/png"))
    assert thumb["url"].endswith(hashlib.sha256(PNG).hexdigest())
    video = client.material.add("video", ("v.mp4", io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64), "video/mp4"),
                                title="Launch", introduction="Our launch video")
    assert client.material.get(video["media_id"])["title"] == "Launch"
    assert client.material.get(thumb["media_id"]).content == PNG
    news = client.material.add_articles([{"thumb_media_id": thumb["media_id"], "title": "Hello", "content": "<p>Hi there</p>"}])
    items = client.material.get(news["media_id"])
    assert items[0]["title"] == "Hello" and items[0]["digest"] == "Hi there"
    count = client.material.get_count()
    assert (count["image_count"], count["video_count"], count["news_count"]) == (1, 1, 1)
    page = client.material.batchget("image")
    assert page["total_count"] == 1 and page["item"][0]["media_id"] == thumb["media_id"]
    with pytest.raises(WeChatClientException) as e:
        client.material.add_articles([{"thumb_media_id": "nope", "title": "x", "content": "y"}])
    assert e.value.errcode == 40007
    client.material.update_article(news["media_id"], 0, {"thumb_media_id": thumb["media_id"], "title": "Hello again", "content": "<p>x</p>"})
    assert client.material.get(news["media_id"])[0]["title"] == "Hello again"
    news_page = client.material.batchget("news")
    assert news_page["item"][0]["content"]["news_item"][0]["title"] == "Hello again"
    client.material.delete(video["media_id"])
    assert client.material.get_count()["video_count"] == 0
    tmp_video = client.media.upload("video", ("v.mp4", io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64), "video/mp4"))
    assert "video_url" in client.media.download(tmp_video["media_id"])
    mpvideo = client.media.upload_video(tmp_video["media_id"], "Clip", "A short clip")
    assert mpvideo["type"] == "video" and mpvideo["media_id"] != tmp_video["media_id"]

    article = {"title": "Spring menu", "author": "Chef", "content": "<p>New dishes</p>",
               "thumb_media_id": thumb["media_id"], "content_source_url": "https://example.com/menu"}
    draft = client.post("draft/add", data={"articles": [article, dict(article, title="Second")]})
    assert client.get("draft/count")["total_count"] == 1
    client.post("draft/update", data={"media_id": draft["media_id"], "index": 1, "articles": dict(article, title="Second, edited")})
    assert client.post("draft/get", data={"media_id": draft["media_id"]})["news_item"][1]["title"] == "Second, edited"
    with pytest.raises(WeChatClientException) as e:
        client.post("draft/add", data={"articles": [article] * 9})
    assert e.value.errcode == 45008
    spare = client.post("draft/add", data={"articles": [article]})
    listed = client.post("draft/batchget", data={"offset": 0, "count": 20, "no_content": 1})
    assert listed["total_count"] == 2 and "content" not in listed["item"][0]["content"]["news_item"][0]
    client.post("draft/delete", data={"media_id": spare["media_id"]})
    pub = client.post("freepublish/submit", data={"media_id": draft["media_id"]})
    assert pub["errcode"] == 0 and pub["publish_id"]
    ev = dev.events("PUBLISHJOBFINISH", 1)[0]
    assert field(ev, "publish_id") == pub["publish_id"] and field(ev, "publish_status") == "0"
    job = client.post("freepublish/get", data={"publish_id": pub["publish_id"]})
    assert job["publish_status"] == 0 and job["article_detail"]["count"] == 2
    page_url = job["article_detail"]["item"][0]["article_url"]
    html = requests.get(page_url).text
    assert "Spring menu" in html and "New dishes" in html
    assert client.get("draft/count")["total_count"] == 0
    client.post("freepublish/delete", data={"article_id": job["article_id"], "index": 1})
    arts = client.post("freepublish/getarticle", data={"article_id": job["article_id"]})["news_item"]
    assert [a["is_deleted"] for a in arts] == [True, False]
    assert requests.get(page_url).status_code == 404
    assert client.post("freepublish/batchget", data={"offset": 0, "count": 10})["total_count"] == 1


def test_mass_messages_and_quotas(herald):
    herald.op("POST", "/herald/v1/clock", {"set": JAN_30_NOON, "frozen": True}, expect=200)
    acc = herald.account()
    dev = with_server(herald, acc)
    client = herald.wechatpy(acc)
    users = [herald.user("u%d" % i) for i in range(3)]
    openids = [herald.follow(u, acc) for u in users]
    tag = client.tag.create("VIP")["id"]
    client.tag.tag_user(tag, openids[:2])

    thumb = client.material.add("thumb", ("t.jpg", io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 32), "image/jpeg"))
    news = client.media.upload_articles([{"thumb_media_id": thumb["media_id"], "title": "Weekly", "content": "<p>Hello</p>"}])
    res = client.message.send_mass_article(tag, news["media_id"])  # wechatpy sends filter.group_id
    assert res["errcode"] == 0 and res["msg_data_id"]
    first = client.message.send_mass_text(None, "hello all", is_to_all=True, client_msg_id="c-1")
    again = client.message.send_mass_text(None, "hello all", is_to_all=True, client_msg_id="c-1")
    assert again["msg_id"] == first["msg_id"]
    events = dev.events("MASSSENDJOBFINISH", 2)
    counts = sorted((field(e, "TotalCount"), field(e, "SentCount")) for e in events)
    assert counts == [("2", "2"), ("3", "3")]
    assert client.message.get_mass(first["msg_id"])["msg_status"] == "SEND_SUCCESS"
    for i in range(2):
        client.message.send_mass_text(None, "more %d" % i, is_to_all=True)
    # The first two followers have had four this month; the fifth reaches only the third.
    fifth = client.message.send_mass_text(None, "fifth", is_to_all=True)
    # Event pushes belong to no conversation, so two may arrive in either order: find it by id.
    last = next(e for e in dev.events("MASSSENDJOBFINISH", 5) if field(e, "MsgID") == str(fifth["msg_id"]))
    assert (field(last, "TotalCount"), field(last, "FilterCount"), field(last, "SentCount")) == ("3", "2", "1")
    sent = client.message.send_mass_text(openids[1:], "by list")
    assert sent["errcode"] == 0
    client.message.delete_mass(sent["msg_id"])
    assert client.message.get_mass(sent["msg_id"])["msg_status"] == "DELETE"
    client.message.send_mass_text(openids[0], "preview", preview=True)
    conv = herald.op("GET", "/herald/v1/users/%s/conversations/%s" % (users[0], acc["appid"]))["messages"]
    assert conv[-1]["source"] == "preview" and conv[-1]["body"]["content"] == "preview"
    client.post("message/mass/speed/set", data={"speed": 2})
    assert client.post("message/mass/speed/get", data={}) == {"speed": 2, "realspeed": 45}
    with pytest.raises(WeChatClientException) as e:
        client.post("message/mass/speed/set", data={"speed": 9})
    assert e.value.errcode == 45083
    chats = herald.op("GET", "/herald/v1/users/%s/chats" % users[2])["chats"]
    assert chats[0]["unread"] >= 1 and chats[0]["notify"] is True


def test_template_messages(herald):
    acc = herald.account()
    dev = with_server(herald, acc)
    client = herald.wechatpy(acc)
    client.template.set_industry(1, 4)
    assert client.template.get_industry()["secondary_industry"]["second_class"] == "电子技术"
    tid = client.template.get("TM00015")
    assert client.template.get_all_private_template()["template_list"][0]["template_id"] == tid
    user = herald.user("buyer")
    openid = herald.follow(user, acc)
    res = client.message.send_template(openid, tid, {"first": {"value": "Paid"}, "orderMoneySum": {"value": "30.00"}},
                                       url="https://example.com/o/1", mini_program={"appid": "wxmini", "pagepath": "pages/o"})
    assert res["errcode"] == 0 and res["msgid"]
    ev = dev.events("TEMPLATESENDJOBFINISH", 1)[0]
    assert field(ev, "MsgID") == str(res["msgid"]) and field(ev, "Status") == "success"
    herald.unfollow(user, acc)
    with pytest.raises(WeChatClientException) as e:
        client.message.send_template(openid, tid, {"first": {"value": "x"}})
    assert e.value.errcode == 43004
    client.template.del_private_template(tid)
    sub = herald.account("subscription")
    with pytest.raises(WeChatClientException) as e:
        herald.wechatpy(sub).template.get("TM00015")
    assert e.value.errcode == 48001


def test_mass_send_survives_a_kill(herald):
    """SIGKILL right after several sends are queued: after the restart each is sent exactly once
    (one MASSSENDJOBFINISH each, every follower counted once against the month's quota)."""
    acc = herald.account()
    dev = with_server(herald, acc)
    client = herald.wechatpy(acc)
    users = [herald.user("k%d" % i) for i in range(5)]
    for u in users:
        herald.follow(u, acc)
    ids = [client.message.send_mass_text(None, "m%d" % i, is_to_all=True)["msg_id"] for i in range(3)]
    herald.kill_and_restart()
    events = dev.events("MASSSENDJOBFINISH", 3, timeout=40)
    time.sleep(1.0)
    events = [e for e in dev.bodies if "MASSSENDJOBFINISH" in e]
    # An event whose POST the kill interrupted is sent again with the same MsgID, as WeChat
    # retries; the fan-out itself ran once per message (every copy reports the same counts, and
    # the quota below shows three used, not more).
    assert sorted(set(int(field(e, "MsgID")) for e in events)) == sorted(ids), events
    assert all(field(e, "SentCount") == "5" for e in events)
    client = herald.wechatpy(acc)
    # Exactly three of each follower's four this month are used: one more reaches everyone.
    client.message.send_mass_text(None, "fourth", is_to_all=True)
    client.message.send_mass_text(None, "fifth", is_to_all=True)
    later = {}
    deadline = time.time() + 40
    while len(later) < 2 and time.time() < deadline:
        later = {field(e, "MsgID"): e for e in dev.bodies if "MASSSENDJOBFINISH" in e and int(field(e, "MsgID")) not in ids}
        time.sleep(0.05)
    counts = sorted((field(e, "SentCount"), field(e, "FilterCount")) for e in later.values())
    assert counts == [("0", "5"), ("5", "0")]
