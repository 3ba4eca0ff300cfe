#!/usr/bin/env bash
# Benchmark (issue 3): follower messages delivered end to end to a local developer server in
# safe mode — encrypt, sign, POST, parse and decrypt the encrypted reply, store it — per second.
# N messages are stored first (worker off); then a node with the worker starts and the clock
# runs until every delivery is done and every reply is in its conversation.
#   bench/deliver.sh [messages=20000] [followers=1000] [database_url]
# With DELIVER_SNAPSHOT=dir (SQLite only), the stored messages are kept in dir on the first run
# and copied from it on later runs, so repeated measurements skip the slow storing step.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}; F=${2:-1000}
# HERALD_BENCH_BIN runs another build of herald (to compare two versions in one sitting).
BIN=${HERALD_BENCH_BIN:-target/release/herald}
[ -n "${HERALD_BENCH_BIN:-}" ] || cargo build --release -q -p herald
WORK=$(mktemp -d /tmp/herald-deliver.XXXX)
echo "work: $WORK" >&2
DB=${3:-"sqlite://$WORK/deliver.db"}
TOKEN=echotoken
APPID_FILE="$WORK/seed.json"

SNAP=${DELIVER_SNAPSHOT:-}
HAVE_SNAP=
if [ -n "$SNAP" ] && [ -f "$SNAP/seed.json" ]; then
  cp -r "$SNAP"/. "$WORK"/
  HAVE_SNAP=1
else
  # The developer server needs the AppID, which seeding creates: start it after a first seed
  # without messages, then add the messages.
  "$BIN" seed --followers "$F" --database-url "$DB" > "$APPID_FILE" 2>/dev/null
fi
APPID=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["appid"])' "$APPID_FILE")
"$BIN" echo-server --listen 127.0.0.1:0 --token "$TOKEN" --appid "$APPID" > "$WORK/echo.out" 2>&1 &
EPID=$!
trap 'kill $EPID $HPID $POLLPID 2>/dev/null; true' EXIT
HPID=; POLLPID=
for _ in $(seq 50); do grep -q listening "$WORK/echo.out" && break; sleep 0.1; done
EURL=$(grep -o 'http://[0-9.:]*' "$WORK/echo.out" | head -1)/wx

# Store N messages from the followers, pending delivery (a seed run has no worker).
[ -n "$HAVE_SNAP" ] || { echo "storing $N messages..." >&2
HERALD_DATABASE_URL="$DB" HERALD_LOG=warn python3 - "$BIN" "$DB" "$APPID" "$EURL" "$N" <<'PY'
import json, subprocess, sys
binary, db, appid, url, n = sys.argv[1:]
# Reuse the seeded account: `herald seed` with --messages adds a fresh account, so drive the
# platform API of a worker-less node instead.
import os, re, time, urllib.request
env = dict(os.environ, HERALD_DATABASE_URL=db, HERALD_WORKER="false", HERALD_OPERATOR_TOKEN="bench-operator-token-000",
           HERALD_ALLOW_PRIVATE_CALLBACKS="true", HERALD_LOG="warn")
p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, text=True)
base = re.search(r"(http://\S+)", p.stdout.readline()).group(1)
def op(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer bench-operator-token-000", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
op("PUT", f"/herald/v1/accounts/{appid}/server", {"url": url, "token": "echotoken",
   "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "message_mode": "safe"})
users = [u["id"] for u in op("GET", "/herald/v1/users")["users"]]
from concurrent.futures import ThreadPoolExecutor
# Each follower's messages in order (one thread per slice of followers), several followers at once.
def send_from(k):
    for i in range(k, int(n), len(users)):
        op("POST", f"/herald/v1/users/{users[k]}/messages", {"appid": appid, "msgtype": "text", "content": f"message {i}"})
with ThreadPoolExecutor(8) as pool:
    list(pool.map(send_from, range(min(len(users), int(n)))))
p.terminate(); p.wait()
PY
if [ -n "$SNAP" ]; then mkdir -p "$SNAP" && cp -r "$WORK"/deliver.db* "$APPID_FILE" "$SNAP"/; fi
}
# A snapshot names the developer server of its first run: point it at this run's.
[ -z "$HAVE_SNAP" ] || python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE accounts SET server_url=? WHERE appid=?", (sys.argv[2], sys.argv[3])); c.commit()' "$WORK/deliver.db" "$EURL" "$APPID"

# CPU seconds (user + system) a process has used so far.
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat" | sed 's/.*) //'; }

# The poller: it waits for the node's address, then asks for one pending delivery every 10 ms
# on one kept-alive connection and prints the time it first sees none. It starts before the
# clock does and forks nothing while it polls (a curl per poll cost the two cores a few per
# cent of the run).
: > "$WORK/herald.out"
python3 - "$WORK/herald.out" "$APPID" > "$WORK/poll.out" <<'PY' &
import http.client, re, sys, time
out, appid = sys.argv[1:]
deadline = time.time() + 30
while not (m := re.search(r"http://([0-9.]+):([0-9]+)", open(out).read())):
    if time.time() > deadline:
        sys.exit("the node did not start")
    time.sleep(0.005)
c = http.client.HTTPConnection(m.group(1), int(m.group(2)))
while True:
    c.request("GET", f"/herald/v1/accounts/{appid}/deliveries?state=pending&limit=1", headers={"Authorization": "Bearer bench-operator-token-000"})
    if c.getresponse().read() == b'{"deliveries":[]}':
        break
    time.sleep(0.01)
print(repr(time.time()))
PY
POLLPID=$!
sleep 0.2

# Idle and total jiffies of the whole machine so far (to show how busy the two cores were).
idle() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5, $6, t }' /proc/stat; }

# Deliver everything and time it.
ECPU0=$(cpu "$EPID"); IDLE0=$(idle)
# DELIVER_LOG=filter: Herald's log filter (default warn), e.g.
# warn,herald_server::delivery::worker=debug for one line per worker round. The log is kept in
# $WORK/herald.log; its warnings are shown at the end.
HERALD_LOG=${DELIVER_LOG:-warn} NO_COLOR=1 HERALD_DATABASE_URL="$DB" HERALD_OPERATOR_TOKEN=bench-operator-token-000 HERALD_ALLOW_PRIVATE_CALLBACKS=true \
  "$BIN" serve --listen 127.0.0.1:0 > "$WORK/herald.out" 2> "$WORK/herald.log" &
HPID=$!
START=$(date +%s.%N)
# DELIVER_PERF=1: also count the instructions both processes execute (steadier than time).
[ -z "${DELIVER_PERF:-}" ] || { perf stat -e instructions -p "$HPID,$EPID" -o "$WORK/perf.txt" & PERFPID=$!; }
# DELIVER_SYSCALLS=1: also count Herald's system calls per message, in all and by kind (kernel
# tracepoints; works where hardware counters are "not supported"; it slows the run, so take
# rates from runs without it).
SYSCALLS="raw_syscalls:sys_enter syscalls:sys_enter_pwrite64 syscalls:sys_enter_pread64 syscalls:sys_enter_writev syscalls:sys_enter_recvfrom syscalls:sys_enter_epoll_wait syscalls:sys_enter_futex syscalls:sys_enter_fsync"
[ -z "${DELIVER_SYSCALLS:-}" ] || { perf stat $(printf -- '-e %s ' $SYSCALLS) -p "$HPID" -o "$WORK/syscalls.txt" & SYSPID=$!; }
# DELIVER_RECORD=file: also sample Herald's stacks with perf (cpu-clock) into that file.
[ -z "${DELIVER_RECORD:-}" ] || { perf record -F ${DELIVER_RECORD_HZ:-1000} -e cpu-clock --call-graph dwarf,16384 -o "$DELIVER_RECORD" -p "$HPID" 2>/dev/null & RECPID=$!; }
wait "$POLLPID"
END=$(cat "$WORK/poll.out"); IDLE1=$(idle)
BASE=$(grep -o 'http://[0-9.:]*' "$WORK/herald.out" | head -1)
HCPU=$(cpu "$HPID"); ECPU=$(cpu "$EPID")
# Bytes Herald wrote to files (the log, the checkpoints; sockets excluded) per message.
HWRITE=$(awk '/^write_bytes/ { print $2 }' "/proc/$HPID/io")
[ -z "${DELIVER_RECORD:-}" ] || { kill -INT "$RECPID"; wait "$RECPID" 2>/dev/null || true; }
[ -z "${DELIVER_SYSCALLS:-}" ] || { kill -INT "$SYSPID"; wait "$SYSPID" 2>/dev/null || true
  awk -v n="$N" '/sys_enter/ { gsub(",", "", $1); sub(".*sys_enter_?", "", $2); printf "%s%s %.2f", sep, ($2 == "" ? "system calls per message" : $2), $1 / n; sep = ", " } END { print "" }' "$WORK/syscalls.txt"; }
[ -z "${DELIVER_PERF:-}" ] || { kill -INT "$PERFPID"; wait "$PERFPID" 2>/dev/null || true
  awk -v n="$N" '/instructions/ { gsub(",", "", $1); printf "instructions per message: %.0f\n", $1 / n }' "$WORK/perf.txt"; }
DONE=$(curl -s -H 'Authorization: Bearer bench-operator-token-000' "$BASE/herald/v1/accounts/$APPID/deliveries?state=done&limit=1000" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"]; print(sum(1 for x in d if x["state"]=="done"))')
FAILED=$(curl -s -H 'Authorization: Bearer bench-operator-token-000' "$BASE/herald/v1/accounts/$APPID/deliveries?state=failed&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["deliveries"]))')
python3 -c "import sys; n,s,e=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print('delivered %d messages in %.2f s: %.0f messages/s (safe mode)' % (n, e-s, n/(e-s)))" "$N" "$START" "$END"
python3 -c "import sys; n,h,e0,e=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print('CPU per message: herald %.0f us, developer server %.0f us (both cores: %.0f messages/s if CPU-bound)' % (h*1e6/n, (e-e0)*1e6/n, 2*n/(h+e-e0)))" "$N" "$HCPU" "$ECPU0" "$ECPU"
echo "$IDLE0 $IDLE1" | awk '{ t = $6 - $3; printf "the machine was busy %.0f%% of the run (both cores, every process; idle %.0f%%, waiting for the disk %.0f%%)\n", 100 - 100 * ($4 - $1 + $5 - $2) / t, 100 * ($4 - $1) / t, 100 * ($5 - $2) / t }'
python3 -c "import sys; print('storage written per message: %.1f KiB' % (int(sys.argv[2]) / int(sys.argv[1]) / 1024))" "$N" "$HWRITE"
echo "failed deliveries: $FAILED (last 1000 checked: $DONE done)"
# The rate between the 10th and the 90th percentile of the jobs' finishing times (SQLite only):
# the run without the node's start, its first connections and the last conversations' tail.
case "$DB" in sqlite://*) python3 - "${DB#sqlite://}" <<'PY' ;; esac
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
t = sorted(r[0] for r in c.execute("SELECT finished_at FROM jobs WHERE state = 'done' AND kind = 'callback'"))
lo, hi = t[len(t) // 10], t[len(t) * 9 // 10]
if hi > lo:
    print("steady rate (10th to 90th percentile of finishing times): %.0f messages/s" % ((len(t) * 8 // 10) / ((hi - lo) / 1000)))
PY
grep -E ' (WARN|ERROR) ' "$WORK/herald.log" | head -5 || true
