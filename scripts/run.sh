#!/usr/bin/env bash
# The main job: set up, build, run the sync server on embedded SQLite with
# invented demo data, and open the field app paired with it as a district
# tablet. Closing the app (or Ctrl-C) stops the server.
#   TRYGG_LISTEN=127.0.0.1:8080   address to serve on
#   TRYGG_DEMO_WALKS=40           how many demo walks
#   TRYGG_NO_APP=1                serve only (also the case without a display)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo build --release -q -p trygg-server -p trygg-cli -p trygg-app
server="$CARGO_TARGET_DIR/release/trygg-server"
app="$CARGO_TARGET_DIR/release/trygg-app"
data="${TRYGG_DATA_DIR:-$PWD/demo-data/server}"
app_data="$PWD/demo-data/app"
listen="${TRYGG_LISTEN:-127.0.0.1:8080}"
rm -rf "$data" "$app_data"
mkdir -p "$data" "$app_data"

"$server" admin --data-dir "$data" demo-data --walks "${TRYGG_DEMO_WALKS:-40}"
tablet=$("$server" admin --data-dir "$data" device add --org demo-sdf-norr --role field --name "Appen på den här datorn (demo)")
field=$("$server" admin --data-dir "$data" device add --org demo-sdf-norr --role field --name "Surfplatta 1 (demo)")
police=$("$server" admin --data-dir "$data" device add --org demo-polis --role field --name "Polisens platta (demo)")
viewer=$("$server" admin --data-dir "$data" device add --org demo-sdf-norr --role viewer --name "Rådets skärm (demo)")
council=$("$server" admin --data-dir "$data" user add --org demo-sdf-norr --role coordinator --name "Rådets sekreterare (demo)" --url "http://$listen")
token() { echo "$1" | tail -n1; }
device_id() { echo "$1" | head -n1 | sed 's/^device-id: //'; }

# The app on this machine starts paired, as the district's tablet.
cat > "$app_data/settings.json" <<JSON
{"device_id": "$(device_id "$tablet")", "organisation": "demo-sdf-norr", "role": "field",
 "server": "http://$listen/", "token": "$(token "$tablet")", "language": "sv"}
JSON

cat <<INFO

Trygg sync server with demo data in $data, on http://$listen/
Pair another app or tablet with one of these pairing codes (paste into the token field):
  district field device:  trygg-pair:http://$listen#$(token "$field")
  police field device:    trygg-pair:http://$listen#$(token "$police")
  council viewer device:  trygg-pair:http://$listen#$(token "$viewer")

The council's dashboard (lägesbild), a one-time login link for a demo coordinator:
  $(echo "$council" | tail -n1)
  (another: $server admin --data-dir $data user add --org demo-polis --role viewer --name NAME --url http://$listen)

Try:
  curl -s http://$listen/healthz
  curl -s -H "Authorization: Bearer $(token "$field")" http://$listen/api/v1/documents
  $server admin --data-dir $data device list

INFO

if [ -n "${TRYGG_NO_APP:-}" ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; }; then
  echo "(no display: serving only; open the app elsewhere with TRYGG_APP_DATA=$app_data $app)"
  exec "$server" serve --data-dir "$data" --listen "$listen"
fi

"$server" serve --data-dir "$data" --listen "$listen" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://$listen/healthz" >/dev/null && break
  sleep 0.1
done
echo "opening the field app (data in $app_data); close it to stop the server"
TRYGG_APP_DATA="$app_data" "$app"
