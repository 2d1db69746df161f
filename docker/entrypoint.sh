#!/bin/sh
# Entry point of the Mosaico image.
# - Any command other than `run` is passed to mosaico as is (`key show`, `federation create`, …).
# - Before `run`: creates the data directory with `mosaico init` if the volume is empty
#   (MOSAICO_REGION_NAME, MOSAICO_COUNTRY, MOSAICO_NUTS), then checks that the genesis file is
#   mounted; if not, prints this region's public key and how to create the genesis, and stops.
set -eu

data="${MOSAICO_DATA:-/var/lib/mosaico}"
federation="${MOSAICO_FEDERATION:-/etc/mosaico/federation.json}"

if [ "${1:-run}" != "run" ]; then
  exec mosaico "$@"
fi

if [ ! -f "$data/mosaico.toml" ]; then
  if [ -z "${MOSAICO_REGION_NAME:-}" ]; then
    echo "error: $data holds no node and MOSAICO_REGION_NAME is not set: set it (and MOSAICO_COUNTRY, MOSAICO_NUTS) to create one" >&2
    exit 2
  fi
  mosaico init --data "$data" --name "$MOSAICO_REGION_NAME" \
    ${MOSAICO_COUNTRY:+--country "$MOSAICO_COUNTRY"} \
    ${MOSAICO_NUTS:+--nuts "$MOSAICO_NUTS"}
fi

if [ ! -s "$federation" ]; then
  echo "error: no genesis membership file at $federation." >&2
  echo "This region's key:" >&2
  mosaico key show --data "$data" >&2
  echo "Create the genesis once, from every member's public key, with" >&2
  echo "  mosaico federation create --name NAME --member 'REGION=PUBLIC_KEY' ... --out federation.json" >&2
  echo "and mount it read-only at $federation (see docker/compose.yml)." >&2
  exit 78
fi

exec mosaico "$@"
