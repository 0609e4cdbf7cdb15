#!/usr/bin/env bash
# Runs every check and test: formatting, licences/bans/sources (cargo deny),
# clippy, the UI's type check and unit tests (Vitest), the whole workspace's
# tests (unit, property, integration, cross-process, fault tests (SIGKILL,
# power cut, network cuts, full and read-only disk), JS interop, the real app
# under Xvfb, the dashboard in chromium), the token in a real gnome-keyring,
# the .deb package, and short benchmark runs so the benches stay working. Longer fault runs:
# TRYGG_FAULT_KILLS=500 TRYGG_FAULT_POWER_CUTS=200 TRYGG_FAULT_NET_CUTS=200 \
#   cargo test -p trygg-e2e --test faults
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step is timed, so a CI log says where its minutes went.
started=$SECONDS
step() {
  local t0=$SECONDS
  "$@"
  echo "test.sh: ${SECONDS}s in all, $((SECONDS - t0))s for: $*" >&2
}

step bash scripts/setup.sh
source scripts/env.sh

step bash -c 'cd ui && npx tsc --noEmit && npx vitest run'
step cargo fmt --all -- --check
# Licences, bans and sources (deny.toml); advisories need a database this
# machine cannot download, so they are not checked here.
step cargo deny --log-level error check licenses bans sources
step cargo clippy --workspace --all-targets -q -- -D warnings
# Every test of the workspace, several at once (.config/nextest.toml). The
# workspace has no doctests, so nothing `cargo test` would run is left out.
step cargo nextest run --workspace --no-tests=fail
# The device token in the OS keyring, against a real gnome-keyring.
step dbus-run-session -- bash scripts/with-keyring.sh \
  cargo test -q --workspace --lib -- --ignored secret::tests
# The field app's Linux package, built and checked (docs/platforms.md).
step bash scripts/build-deb.sh
TRYGG_BENCH_WALKS=100 TRYGG_BENCH_SAVES=40 step cargo bench -q -p trygg-store --bench store
TRYGG_BENCH_SYNC_EDITS=30 TRYGG_BENCH_SYNC_DOCS=10 step cargo bench -q -p trygg-e2e --bench sync
TRYGG_BENCH_LOADS=20x5x3x2 TRYGG_BENCH_LOAD_SECONDS=3 TRYGG_BENCH_DRAIN_SECONDS=15 \
  TRYGG_BENCH_IDLE_DEVICES=50 TRYGG_BENCH_SCALE=10:200 TRYGG_BENCH_PEER=0 step cargo bench -q -p trygg-e2e --bench load
TRYGG_BENCH_APP_WALKS=50 TRYGG_BENCH_APP_SAVES=20 TRYGG_BENCH_APP_KEYS=30 step cargo bench -q -p trygg-e2e --bench app
TRYGG_BENCH_DASH_OBSERVATIONS=3000 TRYGG_BENCH_DASH_WEEKS=20 TRYGG_BENCH_DASH_REQUESTS=20 \
  TRYGG_BENCH_DASH_LIVE=10 TRYGG_BENCH_DASH_PAGES=2 step cargo bench -q -p trygg-e2e --bench dashboard
echo "test.sh: every check passed in $((SECONDS - started))s" >&2
