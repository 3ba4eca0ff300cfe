#!/usr/bin/env bash
# Issue 28's compile target: a package of 50 pages and 30 components compiles in under 1 s.
# Generates such a package (each page uses 5 components, wx:for, wx:if, a template import and
# styles in rpx), builds the compiler example in release mode and prints each of RUNS timings
# and their median.
#   bench/mp_compile.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
python3 - "$pkg" <<'PY'
import json, os, sys
root = sys.argv[1]
def w(p, s):
    os.makedirs(os.path.dirname(os.path.join(root, p)), exist_ok=True)
    open(os.path.join(root, p), "w").write(s)
pages = [f"pages/p{i}/p{i}" for i in range(50)]
w("app.json", json.dumps({"pages": pages, "window": {"navigationBarTitleText": "Bench"}}))
w("app.js", "App({})")
w("app.wxss", ".page { padding: 24rpx; } .row { display: flex; margin: 8rpx 0; }")
w("common/item.wxml", '<template name="item"><view class="row"><text>{{name}}</text><text>{{price}}</text></view></template>')
for c in range(30):
    base = f"components/c{c}/c{c}"
    w(base + ".json", json.dumps({"component": True}))
    w(base + ".wxml", f'<view class="c{c}"><text class="t">{{{{title}}}}</text><slot /><view wx:for="{{{{items}}}}" wx:key="id">{{{{item.label}}}}</view></view>')
    w(base + ".wxss", f".c{c} {{ padding: {c + 10}rpx; border: 1rpx solid #eee; }} .t {{ font-size: 28rpx; }}")
    w(base + ".js", "Component({ properties: { title: String, items: Array } })")
for i, p in enumerate(pages):
    using = {f"c{k}": f"/components/c{k}/c{k}" for k in [(i + j) % 30 for j in range(5)]}
    w(p + ".json", json.dumps({"usingComponents": using, "navigationBarTitleText": f"Page {i}"}))
    body = "".join(f'<c{k} title="{{{{title}}}} {k}" items="{{{{list}}}}"><text>slot {k}</text></c{k}>' for k in [(i + j) % 30 for j in range(5)])
    w(p + ".wxml", f'<import src="/common/item.wxml" /><view class="page">{body}<block wx:for="{{{{goods}}}}" wx:key="id"><template is="item" data="{{{{...item}}}}" /></block><view wx:if="{{{{empty}}}}">Nothing</view></view>')
    w(p + ".wxss", ".page .head { font-size: 32rpx; height: 88rpx; }")
    w(p + ".js", "Page({ data: { title: 'x', list: [], goods: [], empty: false } })")
PY
cargo build -q --release -p herald-mp --example compile
bin=target/release/examples/compile
"$bin" "$pkg" > /dev/null  # warm the file cache
times=()
for _ in $(seq "$runs"); do
  s=$(date +%s%N); "$bin" "$pkg" > /dev/null; e=$(date +%s%N)
  times+=("$(( (e - s) / 1000000 ))")
done
echo "compile of 50 pages and 30 components (ms): ${times[*]}"
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median:", a[int((NR+1)/2)], "ms"}'
