#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, the whole workspace's tests
# (unit, property, integration, cross-process, JS interop), and short benchmark
# runs so the benches stay working.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo test --workspace
TRYGG_BENCH_WALKS=100 TRYGG_BENCH_SAVES=40 cargo bench -q -p trygg-store --bench store
TRYGG_BENCH_SYNC_EDITS=30 TRYGG_BENCH_SYNC_DOCS=10 cargo bench -q -p trygg-e2e --bench sync
