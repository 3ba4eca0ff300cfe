#!/usr/bin/env bash
# Benchmark (issue 3), the storage alone: the delivery worker's rounds (record the finished
# deliveries with their replies, claim as many more) replayed against 20,000 pending safe-mode
# callbacks from 1,000 followers, with no HTTP, so a change to the queue's SQL can be weighed
# without the noise of the two processes sharing the cores. Prints the storage's time and CPU
# per delivery (SQLite).
#   bench/queue.sh [runs=3] [round=256] [in_flight=512]
# The pending callbacks come from bench/deliver.sh's snapshot (QUEUE_SNAPSHOT, default
# /tmp/herald-queue-snap), made on first use; a snapshot made by a build with other
# migrations is migrated at the start of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; ROUND=${2:-256}; FLIGHT=${3:-512}
SNAP=${QUEUE_SNAPSHOT:-/tmp/herald-queue-snap}
cargo build --release -q -p herald-store --example queue_rounds
[ -f "$SNAP/deliver.db" ] || DELIVER_SNAPSHOT="$SNAP" bench/deliver.sh 20000 1000 > /dev/null
WORK=$(mktemp -d /tmp/herald-queue.XXXX)
trap 'rm -rf "$WORK"' EXIT
for _ in $(seq "$RUNS"); do
  rm -rf "$WORK"/deliver.db*
  cp -r "$SNAP"/deliver.db* "$WORK"/
  target/release/examples/queue_rounds "sqlite://$WORK/deliver.db" "$ROUND" "$FLIGHT"
done
