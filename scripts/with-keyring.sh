#!/usr/bin/env bash
# Runs a command with a Secret Service to talk to: a fresh, unlocked
# gnome-keyring on a private session bus. Used by scripts/test.sh for the
# test that keeps the device token in the OS keyring.
#   dbus-run-session -- bash scripts/with-keyring.sh CMD...
set -euo pipefail
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  echo "with-keyring.sh: run me under dbus-run-session" >&2
  exit 2
fi
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# The login keyring (created below) is the default collection, as on a desktop.
printf 'login' > "$XDG_DATA_HOME/keyrings/default"
# An empty password creates and unlocks the login keyring without a prompt.
eval "$(printf 'trygg-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
# The daemon writes the new keyring in the background; wait for it.
for _ in $(seq 100); do
  [[ -s "$XDG_DATA_HOME/keyrings/login.keyring" ]] && break
  sleep 0.1
done
if [[ ! -s "$XDG_DATA_HOME/keyrings/login.keyring" ]]; then
  echo "with-keyring.sh: gnome-keyring did not create its login keyring" >&2
  exit 1
fi
"$@"
