"""Starts the real `herald serve` on port 0 for each backend (SQLite always, PostgreSQL when
reachable) and gives tests a helper for the platform API and SDK clients pointed at it."""

import os
import re
import socket
import subprocess
import tempfile
import uuid

import pytest
import requests

OPERATOR = "compat-operator-token-0123456789"
HERALD_BIN = os.environ.get("HERALD_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/herald"))
PG_BASE = os.environ.get("HERALD_TEST_PG", "postgres://127.0.0.1:5432/test")


def pg_reachable():
    host, port = "127.0.0.1", 5432
    m = re.match(r"postgres(?:ql)?://(?:[^@/]*@)?([^:/]+)(?::(\d+))?/", PG_BASE)
    if m:
        host, port = m.group(1), int(m.group(2) or 5432)
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


class Herald:
    def __init__(self, backend):
        self.backend = backend
        if backend == "sqlite":
            self.tmp = tempfile.mkdtemp(prefix="herald-compat-")
            db = "sqlite://" + os.path.join(self.tmp, "herald.db")
        else:
            db = PG_BASE.rsplit("/", 1)[0] + "/herald_t_compat_" + uuid.uuid4().hex[:10]
        self.db = db
        self._launch()

    def _launch(self):
        env = dict(os.environ, HERALD_DATABASE_URL=self.db, HERALD_CLOCK="simulated",
                   HERALD_OPERATOR_TOKEN=OPERATOR, HERALD_LOG="warn",
                   HERALD_ALLOW_PRIVATE_CALLBACKS="true",
                   HERALD_BLOB_DIR=os.path.join(tempfile.gettempdir(), "herald-compat-blobs"))
        self.proc = subprocess.Popen([HERALD_BIN, "serve", "--listen", "127.0.0.1:0"], env=env,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("herald did not start: %r" % line)
        self.base = m.group(1)
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + OPERATOR

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def kill_and_restart(self):
        """SIGKILL the server (no graceful anything) and start it again on the same database."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._launch()

    def op(self, method, path, body=None, expect=None):
        r = self.http.request(method, self.base + path, json=body)
        if expect is not None:
            assert r.status_code == expect, r.text
        return r.json() if r.content else None

    def account(self, type_="service", owner_kind="organisation", verified=True):
        return self.op("POST", "/herald/v1/accounts", {
            "name": "%s %s" % (type_, uuid.uuid4().hex[:6]), "type": type_,
            "owner": {"kind": owner_kind, "name": "Owner"}, "verified": verified}, expect=201)

    def user(self, nickname="user"):
        return self.op("POST", "/herald/v1/users", {"nickname": nickname}, expect=201)["id"]

    def follow(self, user, account):
        return self.op("POST", "/herald/v1/users/%s/follow" % user, {"appid": account["appid"]}, expect=200)["openid"]

    def unfollow(self, user, account):
        return self.op("POST", "/herald/v1/users/%s/unfollow" % user, {"appid": account["appid"]}, expect=200)

    def merchant_balance(self, mchid):
        return self.op("GET", "/herald/v1/merchants/%s" % mchid)["balance"]

    def wallet(self, user):
        return self.op("GET", "/herald/v1/users/%s/wallet" % user)["balance"]

    def fund_merchant(self, mchid, fen):
        return self.op("POST", "/herald/v1/merchants/%s/topup" % mchid, {"amount": fen}, expect=201)

    def advance(self, seconds):
        return self.op("POST", "/herald/v1/clock", {"advance": seconds}, expect=200)

    def freeze(self):
        return self.op("POST", "/herald/v1/clock", {"frozen": True}, expect=200)

    def wechatpy(self, account, secret=None):
        """A wechatpy WeChatClient with nothing changed but its base URL (reference §3.1)."""
        from wechatpy import WeChatClient
        base = self.base

        class HeraldClient(WeChatClient):
            API_BASE_URL = base + "/cgi-bin/"

            def fetch_access_token(self):
                return self._fetch_access_token(
                    url=base + "/cgi-bin/token",
                    params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

        return HeraldClient(account["appid"], secret or account["app_secret"])


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def herald(request):
    if request.param == "postgres" and not pg_reachable():
        pytest.skip("PostgreSQL not reachable at %s" % PG_BASE)
    h = Herald(request.param)
    yield h
    h.stop()


def conversation(herald, user, account, n, timeout=20.0):
    """Polls a user's conversation with an account until it holds `n` messages."""
    import time
    deadline = time.time() + timeout
    while True:
        msgs = herald.op("GET", "/herald/v1/users/%s/conversations/%s" % (user, account["appid"]))["messages"]
        if len(msgs) >= n or time.time() > deadline:
            return msgs
        time.sleep(0.05)
