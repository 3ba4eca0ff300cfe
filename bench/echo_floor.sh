#!/usr/bin/env bash
# Benchmark (issue 3, for scale): the developer server of bench/deliver.sh on its own. wrk
# POSTs one valid safe-mode callback over and over to `herald echo-server`, which checks both
# signatures, decrypts, and answers with an encrypted passive reply: the most callbacks a
# second this machine can answer with nothing of Herald's running, and the server's CPU per
# callback.
#   bench/echo_floor.sh [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}; CONN=${2:-64}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p herald
cargo build --release -q -p herald-server --example callback_sample
WORK=$(mktemp -d /tmp/herald-echo.XXXX)
KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
target/release/examples/callback_sample echotoken "$KEY" wx00000000000bench > "$WORK/post.lua"
target/release/herald echo-server --listen 127.0.0.1:0 --token echotoken --appid wx00000000000bench > "$WORK/echo.out" 2>&1 &
EPID=$!
trap 'kill $EPID 2>/dev/null; true' EXIT
for _ in $(seq 50); do grep -q listening "$WORK/echo.out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/echo.out" | head -1)
# One request first: it must be a real encrypted reply, not an error.
python3 - "$URL" "$WORK/post.lua" <<'PY'
import re, sys, urllib.request
lua = open(sys.argv[2]).read()
path = re.search(r'wrk.path = "(.*)"', lua).group(1)
body = re.search(r"\[==\[(.*)\]==\]", lua, re.S).group(1)
r = urllib.request.urlopen(urllib.request.Request(sys.argv[1] + path, data=body.encode(), headers={"Content-Type": "text/xml"}))
answer = r.read().decode()
assert r.status == 200 and "<Encrypt>" in answer and "<MsgSignature>" in answer, answer
PY
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
C0=$(cpu "$EPID")
OUT=$(wrk -t1 -c"$CONN" -d"${SECS}s" -s "$WORK/post.lua" "$URL")
C1=$(cpu "$EPID")
echo "$OUT" | grep -E "requests in|Requests/sec|Non-2xx" || true
N=$(echo "$OUT" | awk '/requests in/ { print $1 }')
if echo "$OUT" | grep -q Non-2xx; then echo "some answers were errors" >&2; exit 1; fi
python3 -c "import sys; n,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print('developer server CPU per callback: %.0f us' % ((b-a)*1e6/n))" "$N" "$C0" "$C1"
