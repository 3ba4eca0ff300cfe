#!/usr/bin/env bash
# Benchmark (issue 26): CLIENTS followers online over Server-Sent Events on one node, while
# the account has FOLLOWERS followers in all; then a mass message to all of them. Prints herald's
# memory for the connections and each client's time from sendall to its push event.
#   bench/live.sh [clients=10000] [followers=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-10000}
FOLLOWERS=${2:-1000000}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p herald
cargo build --release -q -p herald-server --example live_bench
WORK=$(mktemp -d /tmp/herald-live.XXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/h.db"
echo "seeding $FOLLOWERS followers..."
SEED=$(HERALD_LOG=warn target/release/herald seed --bulk --followers "$FOLLOWERS" --database-url "$DB")
APPID=$(echo "$SEED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["appid"])')
SECRET=$(echo "$SEED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["app_secret"])')
OP=bench-operator-token-0123456789
env ${HERALD_BENCH_ENV:-} HERALD_LOG=warn HERALD_OPERATOR_TOKEN=$OP HERALD_DATABASE_URL="$DB" target/release/herald serve --listen 127.0.0.1:0 > "$WORK/out" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^herald listening on //p' "$WORK/out")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
target/release/examples/live_bench "$BASE" "$OP" "$APPID" "$SECRET" "$PID" "$CLIENTS"
