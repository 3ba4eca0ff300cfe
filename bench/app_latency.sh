#!/usr/bin/env bash
# Benchmark (issue 26): followers' messages to a WeRoBot developer server (safe mode, under
# gunicorn) and the replies, as the follower app sees them over its live connection.
#   bench/app_latency.sh [rate=1000] [secs=10] [users=200] [workers=2]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000}; SECS=${2:-10}; USERS=${3:-200}; WORKERS=${4:-2}
cargo build --release -q -p herald
cargo build --release -q -p herald-server --example app_latency
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r compat/python/requirements.txt gunicorn
WORK=$(mktemp -d /tmp/herald-lat.XXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
OP=bench-operator-token-0123456789
HERALD_LOG=warn HERALD_OPERATOR_TOKEN=$OP HERALD_ALLOW_PRIVATE_CALLBACKS=true HERALD_DATABASE_URL="sqlite://$WORK/h.db" \
  target/release/herald serve --listen 127.0.0.1:0 > "$WORK/out" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "listening on" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^herald listening on //p' "$WORK/out")
ACC=$(curl -s -H "Authorization: Bearer $OP" -d '{"name":"Latency Bank","type":"service","owner":{"kind":"organisation","name":"L"},"verified":true}' "$BASE/herald/v1/accounts")
APPID=$(echo "$ACC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["appid"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd compat/python && ../../.venv/bin/python -m gunicorn --log-level warning -w "$WORKERS" -b "127.0.0.1:$PORT" "werobot_server:make_app(\"$APPID\")") &
PIDS+=($!)
sleep 2
curl -s -X PUT -H "Authorization: Bearer $OP" -d "{\"url\":\"http://127.0.0.1:$PORT/wx\",\"token\":\"robottoken42\",\"encoding_aes_key\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\",\"message_mode\":\"safe\"}" "$BASE/herald/v1/accounts/$APPID/server" > /dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); WeRoBot under gunicorn, $WORKERS workers"
target/release/examples/app_latency "$BASE" "$OP" "$APPID" "$USERS" "$RATE" "$SECS"
