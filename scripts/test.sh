#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, the whole workspace's tests
# (unit, property, integration, cross-process), and a short benchmark run so the
# bench stays working.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo test --workspace
TRYGG_BENCH_WALKS=100 TRYGG_BENCH_SAVES=40 cargo bench -q -p trygg-store --bench store
