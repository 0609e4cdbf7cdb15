#!/usr/bin/env bash
# Builds the field app's Debian package with the Tauri CLI (`tauri build
# --bundles deb`, release) and checks it: the package's fields, that it
# installs the program, its desktop entry and icons, that every library the
# program needs is on this machine, and that the packaged program starts
# under Xvfb and opens its data folder. Prints the package's path.
#
# AppImage is not built: its bundler downloads tools, which this machine
# cannot. Other platforms: docs/platforms.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

(cd ui && npm run -s build)
# The UI is built above; the CLI finds src-tauri/tauri.conf.json from here.
ui/node_modules/.bin/tauri build --bundles deb --ci -c '{"build":{"beforeBuildCommand":""}}' >/tmp/trygg-deb-build.log 2>&1 || {
  tail -40 /tmp/trygg-deb-build.log >&2
  echo "build-deb: tauri build failed (whole log: /tmp/trygg-deb-build.log)" >&2
  exit 1
}
version=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' src-tauri/tauri.conf.json | head -1)
deb="$CARGO_TARGET_DIR/release/bundle/deb/Trygg_${version}_amd64.deb"
[ -f "$deb" ] || { echo "build-deb: no package at $deb" >&2; exit 1; }

fail() { echo "build-deb: $*" >&2; exit 1; }
info=$(dpkg-deb --info "$deb")
grep -q "^ Package: trygg$" <<<"$info" || fail "package name: $info"
grep -q "^ Version: $version$" <<<"$info" || fail "version: $info"
grep -q "^ Depends: .*libwebkit2gtk-4.1-0" <<<"$info" || fail "no WebKitGTK dependency: $info"
contents=$(dpkg-deb --contents "$deb")
for path in usr/bin/trygg-app usr/share/applications/Trygg.desktop usr/share/icons/hicolor/128x128/apps/trygg-app.png; do
  grep -Eq " (\./)?$path$" <<<"$contents" || fail "$path is not in the package"
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
missing=$(ldd "$root/usr/bin/trygg-app" | grep "not found" || true)
[ -z "$missing" ] || fail "libraries the program needs are missing: $missing"
grep -q "^Exec=trygg-app$" "$root/usr/share/applications/Trygg.desktop" || fail "desktop entry: $(cat "$root/usr/share/applications/Trygg.desktop")"

# The packaged program starts, opens its data folder and keeps running.
data="$root/data"
TRYGG_APP_DATA="$data" TRYGG_TOKEN_STORE=file xvfb-run -a "$root/usr/bin/trygg-app" >"$root/run.log" 2>&1 &
app=$!
for _ in $(seq 1 100); do
  [ -f "$data/device.db" ] && break
  kill -0 "$app" 2>/dev/null || { cat "$root/run.log" >&2; fail "the packaged program exited at start"; }
  sleep 0.1
done
[ -f "$data/device.db" ] || { cat "$root/run.log" >&2; fail "the packaged program did not open its data folder in 10 s"; }
sleep 2
kill -0 "$app" 2>/dev/null || { cat "$root/run.log" >&2; fail "the packaged program stopped after starting"; }
pkill -TERM -P "$app" 2>/dev/null || true
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
echo "$deb"
