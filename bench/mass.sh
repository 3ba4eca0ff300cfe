#!/usr/bin/env bash
# Benchmark (issue 4): mass messages to N followers with the monthly quota enforced, against a
# naive one-row-per-follower implementation in the same run. See bench/mass.py.
#   bench/mass.sh [followers=10000000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
cargo build --release -q -p herald
WORK=$(mktemp -d /tmp/herald-mass.XXXX)
trap 'rm -rf "$WORK"' EXIT
python3 bench/mass.py target/release/herald "$WORK" "$N"
