#!/usr/bin/env bash
# Installs what Trygg needs on a fresh Debian 12 machine. Safe to run again.
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# The field app (Tauri 2 on WebKitGTK) and its end-to-end test under Xvfb.
# The app keeps its token in the Secret Service (libdbus); the test of that
# runs a private gnome-keyring under dbus-run-session. The dashboard's test
# reads its PDF protocol with pdftotext (poppler-utils).
for pkg in libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev \
           librsvg2-dev libssl-dev xvfb xauth webkit2gtk-driver \
           libdbus-1-dev dbus gnome-keyring chromium \
           poppler-utils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust 1.90 or newer (rustup) and run again" >&2
  exit 1
fi

here="$(cd "$(dirname "$0")/.." && pwd)"

# tauri-driver bridges WebDriver to WebKitWebDriver for the app's e2e test.
# 2.x only: 3.0 is an alpha. Installed into cargo's bin directory.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver 2.x"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

# cargo-deny checks licences, banned crates and sources (deny.toml).
if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "setup: installing cargo-deny"
  cargo install cargo-deny --locked --version '=0.20.2' --quiet
fi

# cargo-nextest runs the workspace's tests (.config/nextest.toml): every
# test binary's tests side by side, not one binary after another.
if ! command -v cargo-nextest >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked --version '=0.9.143' --quiet
fi

# The field app's front end (Vite, TypeScript, Vitest) and its built files,
# which the Tauri build embeds.
if [ ! -x "$here/ui/node_modules/.bin/vite" ] || [ ! -f "$here/ui/node_modules/axe-core/axe.min.js" ]; then
  echo "setup: installing the UI's npm packages"
  (cd "$here/ui" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$here/ui" && npm run -s build >/dev/null)

# The dashboard's browser test: playwright-core drives Debian's chromium
# (installed above); pinned in tests/dashboard/package-lock.json.
if [ ! -d "$here/tests/dashboard/node_modules/playwright-core" ]; then
  echo "setup: installing the dashboard test's npm packages"
  (cd "$here/tests/dashboard" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The official automerge-repo JS (pinned in tests/interop/package-lock.json):
# the interop test's client and the stock server the load bench compares with.
if [ ! -d "$here/tests/interop/node_modules/@automerge/automerge-repo-storage-nodefs" ]; then
  echo "setup: installing the interop test's npm packages"
  # `npm install` follows the lock file; `npm ci` (npm 11) refuses this lock
  # because cbor-x's optional per-platform builds are not listed in it.
  (cd "$here/tests/interop" && npm install --no-audit --no-fund --loglevel=error)
fi
