#!/usr/bin/env bash
# Benchmark aid (issue 6): the instructions Herald executes per signed order, counted by
# callgrind, and the share of them spent signing the answer. Instruction counts do not drift
# with the machine's speed, so this compares two builds where bench/pay.sh's wall-clock ratio
# is too noisy to (see docs/PERFORMANCE.md). The count covers exactly the orders: the
# counters are zeroed just before the first and dumped just after the last.
#   bench/pay_instructions.sh [orders=400] [concurrency=8]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-400}; C=${2:-8}
BIN=${HERALD_BENCH_BIN:-target/release/herald}
[ -n "${HERALD_BENCH_BIN:-}" ] || cargo build --release -q -p herald
cargo build --release -q -p herald-server --example pay_bench
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
WORK=$(mktemp -d /tmp/herald-payi.XXXX)
TOKEN=bench-operator-token-000
HERALD_LOG=warn HERALD_DATABASE_URL="sqlite://$WORK/pay.db" HERALD_OPERATOR_TOKEN=$TOKEN \
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BIN" serve --listen 127.0.0.1:0 > "$WORK/herald.out" 2> "$WORK/valgrind.err" &
HPID=$!
trap 'kill $HPID 2>/dev/null; wait $HPID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; true' EXIT
for _ in $(seq 600); do grep -q listening "$WORK/herald.out" && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.:]*' "$WORK/herald.out" | head -1)
PAY_BENCH_BEFORE="callgrind_control -z $HPID >/dev/null 2>&1" PAY_BENCH_AFTER="callgrind_control -d $HPID >/dev/null 2>&1" \
  target/release/examples/pay_bench "$BASE" "$TOKEN" "$N" "$C" 0 > /dev/null
DUMP=$(ls "$WORK"/cg.out.* | head -1)
TOTAL=$(grep -m1 '^summary:' "$DUMP" | awk '{print $2}')
SIGN=$(callgrind_annotate --inclusive=yes --threshold=100 "$DUMP" 2>/dev/null | awk '/herald_wire::pay::keys::PrivateKey::sign/ && !n {gsub(",","",$1); print $1; n=1}')
python3 -c "
n,total,sign=$N,$TOTAL,${SIGN:-0}
print('{\"orders\": %d, \"instructions_per_order\": %d, \"signing_per_order\": %d, \"signing_share\": %.3f}' % (n, total/n, sign/n, sign/total))"
