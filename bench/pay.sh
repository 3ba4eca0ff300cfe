#!/usr/bin/env bash
# Benchmark (issue 6): signed WeChat Pay order creation per second — request signature
# verified, nonce checked, order stored, answer signed — next to the raw RSA-2048 signing rate
# of the same machine in the same run, measured just before and just after the orders
# (crates/server/examples/pay_bench.rs).
#   bench/pay.sh [orders=6000] [concurrency=32] [database_url]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-6000}; C=${2:-32}
# HERALD_BENCH_BIN runs another build of herald (to compare two versions in one sitting).
BIN=${HERALD_BENCH_BIN:-target/release/herald}
[ -n "${HERALD_BENCH_BIN:-}" ] || cargo build --release -q -p herald
cargo build --release -q -p herald-server --example pay_bench
WORK=$(mktemp -d /tmp/herald-pay.XXXX)
DB=${3:-"sqlite://$WORK/pay.db"}
TOKEN=bench-operator-token-000
HERALD_LOG=warn HERALD_DATABASE_URL="$DB" HERALD_OPERATOR_TOKEN=$TOKEN "$BIN" serve --listen 127.0.0.1:0 > "$WORK/herald.out" &
HPID=$!
trap 'kill $HPID 2>/dev/null; wait $HPID 2>/dev/null; rm -rf "$WORK"; true' EXIT
for _ in $(seq 100); do grep -q listening "$WORK/herald.out" && break; sleep 0.05; done
BASE=$(grep -o 'http://[0-9.:]*' "$WORK/herald.out" | head -1)
# PAY_PERF=file: also sample the server's stacks with perf (cpu-clock) into that file.
[ -z "${PAY_PERF:-}" ] || { perf record -F 1000 -e cpu-clock --call-graph dwarf,16384 -o "$PAY_PERF" -p "$HPID" 2>/dev/null & PERFPID=$!; sleep 0.5; }
target/release/examples/pay_bench "$BASE" "$TOKEN" "$N" "$C" 5 "$HPID"
[ -z "${PAY_PERF:-}" ] || { kill -INT "$PERFPID"; wait "$PERFPID" 2>/dev/null || true; }
