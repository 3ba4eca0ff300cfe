#!/usr/bin/env bash
# Issue 28's runtime targets, in Debian's headless Chromium: opening a page (navigateTo to the
# new page's first paint) under 150 ms, and setData of a 1,000-item list rendered under 50 ms.
# Uploads a two-page package to a fresh `herald serve` (release build), opens it in the Herald
# app, and has miniprogram-automator navigate RUNS times and set the list RUNS times; prints
# each timing and the medians. Needs compat/node's packages (scripts/test installs them).
#   bench/mp_runtime.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p herald
(cd compat/node && { [ -d node_modules ] || npm ci --silent --no-audit --no-fund; })
HERALD_BIN="$PWD/target/release/herald" HERALD_TEST_PG=postgres://127.0.0.1:9/none node bench/mp_runtime.js "${1:-9}"
