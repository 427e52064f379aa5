#!/usr/bin/env bash
# Sets everything up and launches Reckon. The desktop app opens with "Open demo ledger" one
# click away; without a display, the CLI reconciles the demo ledger in the terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
RECKON_SKIP_TEST_TOOLS=1 bash scripts/setup.sh
if [ -d src-tauri ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  exec cargo run --release -p reckon-desktop
fi
echo "No display: reconciling the demo ledger with the CLI."
cargo build --release -p reckon --quiet
db="$(mktemp -d)/demo.db"
./target/release/reckon --db "$db" import fixtures/demo.csv
./target/release/reckon --db "$db" check || true
./target/release/reckon --db "$db" report --audience support
