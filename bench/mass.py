#!/usr/bin/env python3
"""Benchmark (issue 4): a service account with N followers, the monthly per-follower quota
enforced. Times `/cgi-bin/message/mass/sendall` (to all) until MASSSENDJOBFINISH reaches the
developer server, five sends in one month (the fifth is filtered for everyone), then times a
follower's chat list and subscription folder. Then runs the same five sends against a naive
one-row-per-follower implementation (plain SQL on a copy of the same database) and reports
both, with peak memory.

    bench/mass.sh [followers=10000000]
"""

import http.client
import http.server
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

BIN, WORK, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
DB = os.path.join(WORK, "mass.db")
OPERATOR = "bench-operator-token-000"
SENDS = 5


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# 1. Seed N followers in bulk.
t = time.time()
seed = json.loads(subprocess.check_output([BIN, "seed", "--bulk", "--followers", str(N), "--database-url", "sqlite://" + DB],
                                          env=dict(os.environ, HERALD_LOG="warn")))
log("seeded %d followers in %.0f s" % (N, time.time() - t))
appid, secret, user = seed["appid"], seed["app_secret"], seed["sample_user"]
naive_db = os.path.join(WORK, "naive.db")
shutil.copyfile(DB, naive_db)

# 2. A developer server that notes when each MASSSENDJOBFINISH arrives.
events = []
cond = threading.Condition()


class Dev(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        q = dict(p.split("=", 1) for p in self.path.split("?", 1)[1].split("&"))
        body = q.get("echostr", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if "MASSSENDJOBFINISH" in body:
            with cond:
                events.append((time.time(), body))
                cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"success")


dev = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dev)
threading.Thread(target=dev.serve_forever, daemon=True).start()
dev_url = "http://127.0.0.1:%d/wx" % dev.server_address[1]

# 3. Herald, release build, real clock, embedded store.
env = dict(os.environ, HERALD_DATABASE_URL="sqlite://" + DB, HERALD_OPERATOR_TOKEN=OPERATOR,
           HERALD_ALLOW_PRIVATE_CALLBACKS="true", HERALD_LOG="warn")
proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, text=True)
base = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)
host, port = base[len("http://"):].split(":")
conn = http.client.HTTPConnection(host, int(port))


def call(method, path, body=None, operator=False):
    headers = {"Authorization": "Bearer " + OPERATOR} if operator else {}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    return json.loads(r.read() or b"null")


call("PUT", "/herald/v1/accounts/%s/server" % appid, {"url": dev_url, "token": "benchtoken1", "message_mode": "plain"}, operator=True)
token = call("GET", "/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s" % (appid, secret))["access_token"]


def field(xml, name):
    return int(re.search(r"<%s>(\d+)</%s>" % (name, name), xml).group(1))


rows = []
for i in range(SENDS):
    with cond:
        before = len(events)
    t0 = time.time()
    r = call("POST", "/cgi-bin/message/mass/sendall?access_token=" + token,
             {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "bulletin %d" % i}})
    assert r["errcode"] == 0, r
    with cond:
        cond.wait_for(lambda: len(events) > before, timeout=120)
        at, xml = events[-1]
    rows.append((i + 1, at - t0, field(xml, "TotalCount"), field(xml, "FilterCount"), field(xml, "SentCount")))
    log("send %d: %.3f s total=%d filtered=%d sent=%d" % rows[-1])


def latencies(path, n=2000):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call("GET", path, operator=True)
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.99)]


chats = call("GET", "/herald/v1/users/%s/chats" % user, operator=True)
assert chats["chats"] and chats["chats"][0]["unread"] == 4, chats
chat_lat = latencies("/herald/v1/users/%s/chats" % user)
folder_lat = latencies("/herald/v1/users/%s/subscriptions" % user)
status = open("/proc/%d/status" % proc.pid).read()
herald_peak_mb = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
proc.terminate()
proc.wait()

# 4. The naive way: a quota row per follower per month and a delivery row per follower per
# message, in one transaction per send, on a copy of the same database.
db = sqlite3.connect(naive_db, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE naive_quota (appid TEXT, month INTEGER, seq INTEGER, n INTEGER, PRIMARY KEY (appid, month, seq))")
db.execute("CREATE TABLE naive_deliveries (msg_id INTEGER, seq INTEGER, PRIMARY KEY (msg_id, seq))")
db.execute("CREATE INDEX naive_deliveries_follower ON naive_deliveries (seq)")
naive = []
for i in range(SENDS):
    t0 = time.time()
    db.execute("BEGIN IMMEDIATE")
    total = db.execute("SELECT COUNT(*) FROM followers WHERE appid = ? AND subscribed = TRUE AND blacklisted = FALSE", (appid,)).fetchone()[0]
    db.execute("INSERT INTO naive_quota SELECT ?, 202601, seq, 0 FROM followers WHERE appid = ? AND subscribed = TRUE "
               "AND blacklisted = FALSE ON CONFLICT DO NOTHING", (appid, appid))
    db.execute("INSERT INTO naive_deliveries SELECT ?, seq FROM naive_quota WHERE appid = ? AND month = 202601 AND n < 4", (i, appid))
    sent = db.execute("UPDATE naive_quota SET n = n + 1 WHERE appid = ? AND month = 202601 AND n < 4", (appid,)).rowcount
    db.execute("COMMIT")
    naive.append((i + 1, time.time() - t0, total, total - sent, sent))
    log("naive send %d: %.3f s total=%d filtered=%d sent=%d" % naive[-1])
t0 = time.perf_counter()
for _ in range(2000):
    db.execute("SELECT msg_id FROM naive_deliveries WHERE seq = 1 ORDER BY msg_id DESC LIMIT 50").fetchall()
naive_inbox_ms = (time.perf_counter() - t0) / 2000 * 1000
naive_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

print("## %d followers, %d sends to all in one month" % (N, SENDS))
print()
print("| send | herald: sendall → MASSSENDJOBFINISH (s) | naive: fan-out transaction only (s) | ratio | total | filtered | sent |")
print("|---|---|---|---|---|---|---|")
for h, nv in zip(rows, naive):
    assert (h[2], h[3], h[4]) == (nv[2], nv[3], nv[4]), (h, nv)
    print("| %d | %.3f | %.3f | %.0f× | %d | %d | %d |" % (h[0], h[1], nv[1], nv[1] / h[1], h[2], h[3], h[4]))
print()
print("- chat list: median %.3f ms, p99 %.3f ms (client-observed, keep-alive, one connection)" % chat_lat)
print("- subscription folder: median %.3f ms, p99 %.3f ms" % folder_lat)
print("- naive inbox query (SQL only, no HTTP): %.3f ms" % naive_inbox_ms)
print("- peak memory: herald serve %.0f MB; naive process %.0f MB" % (herald_peak_mb, naive_peak_mb))
print("- database file: %.1f GB (herald), %.1f GB (naive copy after its sends)" % (os.path.getsize(DB) / 1e9, os.path.getsize(naive_db) / 1e9))
