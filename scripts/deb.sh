#!/usr/bin/env bash
# Builds Reckon's .deb with the Tauri bundler: the desktop app (/usr/bin/reckon-desktop, its
# desktop entry and icons) and the `reckon` command line beside it (/usr/bin/reckon, mapped by
# bundle.linux.deb.files in src-tauri/tauri.conf.json from target/deb/reckon). The version is
# the workspace's, in Cargo.toml.
#
#   bash scripts/deb.sh           release build: target/release/bundle/deb/Reckon_VERSION_amd64.deb
#   bash scripts/deb.sh --debug   the debug build `cargo test` makes, bundled as it is (no second
#                                 compile): target/debug/bundle/deb/; what scripts/test.sh installs
#
# The last line printed is the path of the .deb. Needs ui/dist (scripts/setup.sh builds it) and
# the UI's npm packages (the Tauri CLI is the devDependency @tauri-apps/cli).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
if [ "${1:-}" = "--debug" ]; then profile=debug; fi

if [ ! -f ui/dist/index.html ]; then
  echo "deb: ui/dist is missing; building the UI" >&2
  (cd ui && npm run build --silent)
fi
tauri=ui/node_modules/.bin/tauri
if [ ! -x "$tauri" ]; then
  (cd ui && npm install --no-save --no-audit --no-fund --loglevel=error)
fi

version="$(cargo pkgid -p reckon-desktop | sed 's/.*[#@]//')"
mkdir -p target/deb
if [ "$profile" = release ]; then
  cargo build --release --quiet -p reckon --bin reckon
  cp target/release/reckon target/deb/reckon
  # The Rust plugins run ahead of their npm guest packages (tauri-plugin-clipboard-manager 2.5
  # against @tauri-apps/plugin-clipboard-manager 2.3.3, the newest on npm); the commands they
  # share are the same, so the CLI's major.minor check is told to let it pass.
  "$tauri" build --ci --bundles deb --ignore-version-mismatches >&2
else
  # The binaries scripts/test.sh's `cargo test` builds (a no-op after it), so the .deb holds
  # the very app the end-to-end test drove. A separate `cargo build` would compile the engine
  # and Tauri again with other features (no dev-dependencies) for minutes.
  cargo test --workspace --all-targets --no-run --quiet
  cp target/debug/reckon target/deb/reckon
  "$tauri" bundle --ci --debug --bundles deb >&2
fi
deb="target/$profile/bundle/deb/Reckon_${version}_amd64.deb"
if [ ! -f "$deb" ]; then
  echo "deb: the bundler made no $deb" >&2
  exit 1
fi
echo "$deb"
