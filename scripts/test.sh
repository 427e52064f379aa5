#!/usr/bin/env bash
# The whole test suite: formatting, lints, engine + CLI tests, shell tests, UI unit tests and
# the end-to-end tests in a real window (under Xvfb). Installs what is missing first
# (scripts/setup.sh only installs what it does not find), so it works on a fresh machine, before
# or after scripts/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The benchmark's in-process timings use the engine behind a feature; keep them compiling.
cargo clippy -p reckon-bench --features engine --all-targets --quiet -- -D warnings
if [ -f ui/package.json ]; then
  echo "== ui: typecheck and unit tests (vitest)"
  (cd ui && npm run --silent typecheck && npm test --silent)
  (cd ui && npm run --silent lint)
fi
echo "== cargo test (engine, CLI, desktop shell, end-to-end in a real window)"
# The end-to-end test starts its own Xvfb when DISPLAY is unset, and tauri-driver from PATH
# or ~/.cargo/bin. (There are no doc tests; --all-targets leaves them out.)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets 2>&1 | tee "$log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
