#!/usr/bin/env bash
# Benchmark (issue 2): /cgi-bin/user/info and /cgi-bin/token requests per second on SQLite
# with 100,000 followers, side by side with nginx serving a small static JSON file, all over
# loopback with wrk. Installs wrk and nginx from Debian if missing. Prints a Markdown table.
#   bench/user_info.sh [followers=100000] [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
FOLLOWERS=${1:-100000}; SECS=${2:-10}; CONNS=${3:-64}
command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null; }
cargo build --release -q -p herald
BIN=target/release/herald
WORK=$(mktemp -d /tmp/herald-bench.XXXX)
DB="sqlite://$WORK/bench.db"
echo "seeding $FOLLOWERS followers..." >&2
SEED=$("$BIN" seed --followers "$FOLLOWERS" --database-url "$DB" 2>/dev/null)
APPID=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["appid"])' "$SEED")
SECRET=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["app_secret"])' "$SEED")

HERALD_LOG=warn HERALD_DATABASE_URL="$DB" HERALD_OPERATOR_TOKEN=bench-operator-token-000 \
  "$BIN" serve --listen 127.0.0.1:0 > "$WORK/herald.out" &
HPID=$!
trap 'kill $HPID 2>/dev/null; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; true' EXIT
for _ in $(seq 50); do grep -q listening "$WORK/herald.out" && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.:]*' "$WORK/herald.out" | head -1)

# nginx: one worker per core, a static JSON file the size of a user/info answer.
mkdir -p "$WORK/www" "$WORK/nginx"
printf '{"subscribe":1,"openid":"oAbCdEfGhIjKlMnOpQrStUvWxYz0","language":"zh_CN","subscribe_time":1795242406,"unionid":"oZyXwVuTsRqPoNmLkJiHgFeDcBa9","remark":"","groupid":0,"tagid_list":[],"subscribe_scene":"ADD_SCENE_SEARCH","qr_scene":0,"qr_scene_str":""}' > "$WORK/www/info.json"
cat > "$WORK/nginx.conf" <<NGX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:18099; root $WORK/www; default_type application/json; }
}
NGX
nginx -c "$WORK/nginx.conf"

TOKEN=$(curl -s "$BASE/cgi-bin/token?grant_type=client_credential&appid=$APPID&secret=$SECRET" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
python3 - "$BASE" "$TOKEN" > "$WORK/openids.txt" <<'PY'
import json, sys, urllib.request
base, tok = sys.argv[1], sys.argv[2]
nxt = ""
while True:
    d = json.load(urllib.request.urlopen(f"{base}/cgi-bin/user/get?access_token={tok}&next_openid={nxt}"))
    if not d.get("data"): break
    for o in d["data"]["openid"]: print(o)
    nxt = d["next_openid"]
PY
echo "$(wc -l < "$WORK/openids.txt") openids loaded" >&2

rps() { awk '/Requests\/sec/ {print $2}'; }
run() { wrk -t2 -c"$CONNS" -d"${SECS}s" "$@" 2>&1; }
NGINX=$(run "http://127.0.0.1:18099/info.json" | rps)
INFO=$(OPENIDS="$WORK/openids.txt" TOKEN="$TOKEN" run -s bench/random_openid.lua "$BASE" | rps)
TOK=$(run "$BASE/cgi-bin/token?grant_type=client_credential&appid=$APPID&secret=$SECRET" | rps)
# A user/info answer must be real: check one.
curl -s "$BASE/cgi-bin/user/info?access_token=$TOKEN&openid=$(head -1 "$WORK/openids.txt")" | grep -q '"subscribe":1'

echo "| target | requests/s |"
echo "|---|---|"
echo "| nginx, static JSON file | $NGINX |"
echo "| herald /cgi-bin/user/info (random follower of $FOLLOWERS) | $INFO |"
echo "| herald /cgi-bin/token (each call issues a token) | $TOK |"
python3 -c "import sys; print('user/info / nginx = %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$INFO" "$NGINX"
