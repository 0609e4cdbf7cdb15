#!/usr/bin/env bash
# The main job at this stage: set up, build, and fill a local store with
# invented demo data, then show what the store holds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo build --release -q -p trygg-cli
trygg="$CARGO_TARGET_DIR/release/trygg"
store="${TRYGG_STORE:-$PWD/demo-data/trygg.db}"
mkdir -p "$(dirname "$store")"
rm -f "$store" "$store-wal" "$store-shm"

"$trygg" --store "$store" demo --walks 40
echo
echo "== walks (newest first) =="
"$trygg" --store "$store" walks | head -15
echo
echo "== observations per category =="
"$trygg" --store "$store" categories | head -10
echo
echo "== open actions =="
"$trygg" --store "$store" actions --open | head -10
echo
walk=$("$trygg" --store "$store" walk start --area sodermalm --route "Medborgarplatsen – Slussen" --dark)
"$trygg" --store "$store" walk answer "$walk" belysning-betyg 2 >/dev/null
"$trygg" --store "$store" walk observe "$walk" --category belysning --severity 3 \
  --note "Två lampor släckta i gångtunneln (demo)" --lat 59.3145 --lon 18.0712 >/dev/null
"$trygg" --store "$store" walk complete "$walk" >/dev/null
echo "== a walk recorded just now =="
"$trygg" --store "$store" walk show "$walk"
echo
echo "Store: $store   (try: $trygg --store $store --help)"
