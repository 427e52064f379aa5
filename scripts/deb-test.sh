#!/usr/bin/env bash
# The .deb as a user gets it, on this machine (scripts/test.sh runs it after the cargo tests):
#   1. build it (scripts/deb.sh --debug: the debug build the cargo tests made, bundled as is);
#   2. dpkg -i; `reckon --version` from PATH, the package's version, the desktop entry, the icon;
#   3. a user's data made by the installed CLI in a scratch home (a database, a mapping
#      profile), hashed;
#   4. the end-to-end test driving the installed app (RECKON_E2E_APP=/usr/bin/reckon-desktop);
#   5. dpkg -r; the package's files are gone and the user's data is byte for byte as it was.
# The package is removed on the way out whatever happens, so a failed run leaves nothing
# installed. A Reckon package installed before the run is never replaced: the run stops.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
package=reckon
app=/usr/bin/reckon-desktop
cli=/usr/bin/reckon
started=$SECONDS

fail() {
  echo "deb: $*" >&2
  exit 1
}

if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
  fail "a '$package' package is installed already ($(dpkg-query -W -f='${Version}' "$package")); this test installs and removes its own: remove that one first ($SUDO dpkg -r $package)"
fi

version="$(cargo pkgid -p reckon-desktop | sed 's/.*[#@]//')"
echo "== deb: build (scripts/deb.sh --debug)"
deb="$(bash scripts/deb.sh --debug | tail -n 1)"
echo "deb: built $deb ($(du -h "$deb" | cut -f1)) in $((SECONDS - started)) s"

installed=""
scratch="$(mktemp -d)"
cleanup() {
  if [ -n "$installed" ]; then $SUDO dpkg -r "$package" >/dev/null 2>&1 || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "== deb: dpkg -i"
$SUDO dpkg -i "$deb" >/dev/null
installed=1
[ "$(dpkg-query -W -f='${Version}' "$package")" = "$version" ] ||
  fail "dpkg says $package $(dpkg-query -W -f='${Version}' "$package"), Cargo.toml says $version"
[ "$(command -v reckon)" = "$cli" ] || fail "reckon on PATH is '$(command -v reckon || true)', not $cli"
[ "$(reckon --version)" = "reckon $version" ] || fail "reckon --version says '$(reckon --version)', not 'reckon $version'"
[ -x "$app" ] || fail "the app is not at $app"
entry=/usr/share/applications/Reckon.desktop
[ -f "$entry" ] || fail "no desktop entry at $entry; the package has: $(dpkg -L "$package" | tr '\n' ' ')"
grep -qx "Exec=reckon-desktop" "$entry" || fail "$entry does not start reckon-desktop: $(cat "$entry")"
grep -qx "Icon=reckon-desktop" "$entry" || fail "$entry names another icon: $(cat "$entry")"
icon=/usr/share/icons/hicolor/128x128/apps/reckon-desktop.png
[ "$(head -c 8 "$icon" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "no PNG icon at $icon"
echo "deb: installed $package $version: $cli, $app, $entry, $icon"

echo "== deb: a user's data, made by the installed CLI"
home="$scratch/home"
user_env=(HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config"
          XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state")
as_user() { env -u RECKON_DB -u RECKON_API_KEY "${user_env[@]}" "$@"; }
mkdir -p "$home"
as_user reckon import fixtures/demo.csv >/dev/null
as_user reckon explain --kind unknown_type --note "kept across dpkg -r" >/dev/null
as_user reckon profile save bank-de --delimiter ';' --decimal-separator , --thousands-separator . \
  --date-format DD.MM.YYYY --time-zone +01:00 --id-column Reference --time-column Date \
  --debit-column Debit --credit-column Credit --balance-column Balance >/dev/null
[ -f "$home/.local/share/reckon/reckon.db" ] || fail "the installed CLI made no database in the user's data dir"
hashes() { (cd "$home" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before="$(hashes)"
printf '%s\n' "$before" | sed 's/^/deb:   /'

echo "== deb: the end-to-end test, driving the installed app ($app)"
# --workspace, as scripts/test.sh's run: the same features, so nothing is compiled again.
if ! RECKON_E2E_APP="$app" cargo test --workspace --test e2e 2>&1 | tee -a "${RECKON_TEST_LOG:-/dev/null}"; then
  fail "the end-to-end test failed against the installed app"
fi

echo "== deb: dpkg -r"
$SUDO dpkg -r "$package" >/dev/null
installed=""
for f in "$cli" "$app" "$entry" "$icon"; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg -r"
done
after="$(hashes)"
[ "$before" = "$after" ] || fail "dpkg -r changed the user's data:
$(diff <(echo "$before") <(echo "$after") || true)"
echo "deb: removed; the user's $(echo "$after" | wc -l) files are byte for byte as before"
echo "deb: step took $((SECONDS - started)) s"
