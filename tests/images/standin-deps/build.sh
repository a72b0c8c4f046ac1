#!/usr/bin/env bash
# Builds (once per recipe) a TEST image that tests/standin runs next to the Odoo stand-in:
#   build.sh postgres   -> odoo-ops/standin-postgres:<hash>   (Debian's postgresql-15)
#   build.sh redis      -> odoo-ops/standin-redis:<hash>      (Debian's redis-server, redis-sentinel)
# The tag is a hash of the recipe directory and of the base image's id. Prints the reference.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: build.sh postgres|redis}
[ -f "$here/$name/Dockerfile" ] || { echo "build.sh: no recipe $here/$name" >&2; exit 2; }
base=${ODOO_OPS_BASE_IMAGE:-odoo-ops/debian12-systemd:latest}
base_id=$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null) \
  || { echo "build.sh: base image $base not found; run tests/images/debian12-systemd/build.sh" >&2; exit 1; }
hash=$( { echo "$base_id"; cd "$here/$name" && find . -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-12)
ref="odoo-ops/standin-$name:$hash"
if ! docker image inspect "$ref" >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/odoo-ops-build-standin-$name.lock"
  flock 9
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    echo "build.sh: building $ref" >&2
    add_host=()
    [ -n "${ODOO_OPS_INFRA_IP:-}" ] && add_host=(--add-host "odoo-ops-infra:$ODOO_OPS_INFRA_IP")
    chmod 0755 "$here/$name"/*.sh
    out=$(docker build -q "${add_host[@]}" --build-arg "BASE_IMAGE=$base" -t "$ref" "$here/$name" 2>&1) \
      || { printf '%s\n' "$out" >&2; echo "build.sh: building $ref failed" >&2; exit 1; }
  fi
fi
echo "$ref"
