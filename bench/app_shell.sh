#!/usr/bin/env bash
# Benchmark (issue 26): the web app's first screen, as a browser downloads it: index.html, the
# entry script and stylesheet it names, and the first page's chunk (sign-in for a new visitor,
# the chat list when signed in), gzipped at level 9 as a server or CDN would send them.
#   bench/app_shell.sh
set -euo pipefail
cd "$(dirname "$0")/../web"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npx vite build --logLevel error
gz() { gzip -9 -c "$1" | wc -c; }
entry_js=$(grep -o 'assets/index-[^"]*\.js' dist/index.html | head -1)
entry_css=$(grep -o 'assets/index-[^"]*\.css' dist/index.html | head -1)
total=0
for f in dist/index.html "dist/$entry_js" "dist/$entry_css"; do
  n=$(gz "$f"); total=$((total + n)); printf '%-40s %7d bytes gzipped\n' "${f#dist/}" "$n"
done
for page in SignIn Chats; do
  f=$(ls dist/assets/$page-*.js | head -1)
  n=$(gz "$f"); printf '%-40s %7d bytes gzipped\n' "${f#dist/}" "$n"
  [ "$page" = Chats ] && chats=$n
  [ "$page" = SignIn ] && signin=$n
done
echo "first screen, signed out: $((total + signin)) bytes; signed in: $((total + chats)) bytes (target: at most 153600)"
