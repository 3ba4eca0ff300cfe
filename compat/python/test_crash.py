"""A herald killed with SIGKILL in the middle of deliveries and started again loses no message
and puts none in a conversation twice. (A callback interrupted by the kill is retried with the
same MsgId, as WeChat retries; the developer server may see it twice, the user never does.)"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from wechatpy.utils import check_signature
import xml.etree.ElementTree as ET

from conftest import conversation

TOKEN = "crashtoken1"


def slow_dev_server(received):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
            self.send_response(200)
            self.end_headers()
            self.wfile.write(q["echostr"].encode())

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            msg = ET.fromstring(body)
            received.append(msg.findtext("MsgId") or msg.findtext("Event"))
            time.sleep(0.3)
            reply = ("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"
                     "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[got %s]]></Content></xml>"
                     % (msg.findtext("FromUserName"), msg.findtext("ToUserName"), msg.findtext("Content")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(reply.encode())

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_sigkill_mid_delivery_loses_and_duplicates_nothing(herald):
    received = []
    srv = slow_dev_server(received)
    try:
        acc = herald.account()
        herald.op("PUT", "/herald/v1/accounts/%s/server" % acc["appid"],
                  {"url": "http://127.0.0.1:%d/wx" % srv.server_port, "token": TOKEN, "message_mode": "plain"}, expect=200)
        users = [herald.user("u%d" % i) for i in range(4)]
        for u in users:
            herald.follow(u, acc)
        sent = 0
        for i in range(5):
            for u in users:
                herald.op("POST", "/herald/v1/users/%s/messages" % u, {"appid": acc["appid"], "msgtype": "text", "content": "m%d" % i}, expect=201)
                sent += 1
        while len(received) < 8:  # some delivered, some in flight, most still queued
            time.sleep(0.02)
        herald.kill_and_restart()
        for u in users:
            msgs = conversation(herald, u, acc, 11, timeout=60)
            mine = [m for m in msgs if m["source"] == "user"]
            replies = [m["body"]["content"] for m in msgs if m["source"] == "passive_reply"]
            assert [m["body"]["content"] for m in mine] == ["m%d" % i for i in range(5)]
            assert replies.count("got None") == 1, replies  # the subscribe event's reply
            assert sorted(r for r in replies if r != "got None") == ["got m%d" % i for i in range(5)], replies
            assert len(msgs) == 11, msgs
        deliveries = herald.op("GET", "/herald/v1/accounts/%s/deliveries" % acc["appid"])["deliveries"]
        assert len(deliveries) == sent + len(users)
        assert all(d["state"] == "done" for d in deliveries)
    finally:
        srv.shutdown()
