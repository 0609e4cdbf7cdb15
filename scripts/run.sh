#!/usr/bin/env bash
# The main job: set up, build, and run the sync server on embedded SQLite with
# invented demo data. Prints device tokens to try it with; Ctrl-C stops it.
#   TRYGG_LISTEN=127.0.0.1:8080   address to serve on
#   TRYGG_DEMO_WALKS=40           how many demo walks
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo build --release -q -p trygg-server -p trygg-cli
server="$CARGO_TARGET_DIR/release/trygg-server"
data="${TRYGG_DATA_DIR:-$PWD/demo-data/server}"
listen="${TRYGG_LISTEN:-127.0.0.1:8080}"
rm -rf "$data"
mkdir -p "$data"

"$server" admin --data-dir "$data" demo-data --walks "${TRYGG_DEMO_WALKS:-40}"
field=$("$server" admin --data-dir "$data" device add --org demo-sdf-norr --role field --name "Surfplatta 1 (demo)")
police=$("$server" admin --data-dir "$data" device add --org demo-polis --role field --name "Polisens platta (demo)")
viewer=$("$server" admin --data-dir "$data" device add --org demo-sdf-norr --role viewer --name "Rådets skärm (demo)")
token() { echo "$1" | tail -n1; }

cat <<INFO

Trygg sync server with demo data in $data
  district field device:  $(echo "$field" | head -n1)   token $(token "$field")
  police field device:    $(echo "$police" | head -n1)   token $(token "$police")
  council viewer device:  $(echo "$viewer" | head -n1)   token $(token "$viewer")

Try:
  curl -s http://$listen/healthz
  curl -s -H "Authorization: Bearer $(token "$field")" http://$listen/api/v1/documents
  $server admin --data-dir $data device list

INFO
exec "$server" serve --data-dir "$data" --listen "$listen"
