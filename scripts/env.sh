# Sourced by the other scripts: keeps the build cache outside the clone, so that
# repeated runs (and CI on a fresh clone) reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trygg/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
