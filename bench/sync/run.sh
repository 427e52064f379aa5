#!/usr/bin/env bash
# Sync figures (bench/README.md, "Sync"): entries a second synced from the local mock at N
# entries (Reverie pages of 1000, the largest the mock serves; Orb and Stripe pages of 100 at
# their documented rates), requests a second against the limit, and a resumed sync after a
# kill half-way. Uses the release binary with the mock server:
# cargo build --release -p reckon --features mock-server.
set -euo pipefail
N=${N:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/target/release/reckon}
WORK=$(mktemp -d)
trap 'kill $MOCK 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/sync/gen.py" "$WORK" "$N"
"$BIN" mock-server --port 0 --reverie "$WORK/reverie.json" --orb "$WORK/orb.json" --stripe "$WORK/stripe.json" > "$WORK/mock.out" &
MOCK=$!
while [ "$(wc -l < "$WORK/mock.out")" -lt 3 ]; do sleep 0.2; done
BASE=$(head -1 "$WORK/mock.out" | sed 's/.*--base-url //')
export RECKON_API_KEY=bench
now() { date +%s.%N; }
run() { # name, db, args...
  local name=$1 db=$2; shift 2
  local t0 t1; t0=$(now)
  "$BIN" --db "$db" sync "$@" 2>/dev/null | head -1
  t1=$(now)
  echo "$name: $(echo "$t1 - $t0" | bc) s wall"
}
run "reverie first sync" "$WORK/r.db" reverie --base-url "$BASE" --page-size 1000
run "reverie second sync" "$WORK/r.db" reverie --base-url "$BASE" --page-size 1000
run "stripe first sync (25 req/s)" "$WORK/s.db" stripe --base-url "$BASE/stripe" --all-customers
run "orb first sync (100 req/s)" "$WORK/o.db" orb --base-url "$BASE/orb" --all-customers
# Reverie killed half-way (SIGKILL at half the first sync's time), then resumed.
TIMEFORMAT=%R
T=$( { time "$BIN" --db "$WORK/k0.db" sync reverie --base-url "$BASE" --page-size 1000 >/dev/null 2>&1; } 2>&1 )
"$BIN" --db "$WORK/k.db" sync reverie --base-url "$BASE" --page-size 1000 >/dev/null 2>&1 &
PID=$!
sleep "$(echo "$T / 2" | bc -l)"
kill -9 $PID 2>/dev/null || true
wait $PID 2>/dev/null || true
echo "killed after $(echo "$T / 2" | bc -l | cut -c1-5) s; stored: $("$BIN" --db "$WORK/k.db" check --format json 2>/dev/null | python3 -c 'import json,sys; print(sum(c["entries"] for c in json.load(sys.stdin)["chains"]))') entries"
run "reverie resumed sync" "$WORK/k.db" reverie --base-url "$BASE" --page-size 1000
echo "after resume: $("$BIN" --db "$WORK/k.db" check --format json 2>/dev/null | python3 -c 'import json,sys; print(sum(c["entries"] for c in json.load(sys.stdin)["chains"]))') entries (expected $N)"
