#!/usr/bin/env bash
# Builds the odoo-ops/odoo-standin TEST image (a stand-in for the official odoo image) once
# per recipe: the tag is a hash of this directory (README.md excepted) and of the base
# image's id, so it is rebuilt only when one of them changes. Tags :<hash> and :latest, pushes
# both to the local test registry (localhost:5000, started by tests/harness/infra.sh) unless
# --no-push is given, and prints the local image reference (odoo-ops/odoo-standin:<hash>).
# Other engines pull it as <registry>/odoo-ops/odoo-standin:<hash>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=odoo-ops/odoo-standin
registry=${ODOO_OPS_REGISTRY:-localhost:5000}
base=${ODOO_OPS_BASE_IMAGE:-odoo-ops/debian12-systemd:latest}
push=1
case "${1:-}" in
  --no-push) push=0 ;;
  "") ;;
  *) echo "usage: $0 [--no-push]" >&2; exit 2 ;;
esac

base_id=$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null) \
  || { echo "build.sh: base image $base not found; run tests/images/debian12-systemd/build.sh (or tests/harness/infra.sh)" >&2; exit 1; }
hash=$( { echo "$base_id"; cd "$here" && find . -type f ! -name README.md ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum; } \
        | sha256sum | cut -c1-12)
ref="$repo:$hash"

if ! docker image inspect "$ref" >/dev/null 2>&1; then
  # One build at a time on this engine; the second caller finds the image built.
  exec 9>"${TMPDIR:-/tmp}/odoo-ops-build-odoo-standin.lock"
  flock 9
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    echo "build.sh: building $ref" >&2
    add_host=()
    [ -n "${ODOO_OPS_INFRA_IP:-}" ] && add_host=(--add-host "odoo-ops-infra:$ODOO_OPS_INFRA_IP")
    out=$(docker build -q "${add_host[@]}" --build-arg "BASE_IMAGE=$base" --label "odoo-ops.recipe-hash=$hash" -t "$ref" "$here" 2>&1) \
      || { printf '%s\n' "$out" >&2; echo "build.sh: building $ref failed" >&2; exit 1; }
  fi
fi
[ "$(docker image inspect -f '{{.Id}}' "$repo:latest" 2>/dev/null)" = "$(docker image inspect -f '{{.Id}}' "$ref")" ] \
  || docker tag "$ref" "$repo:latest"

if [ "$push" = 1 ]; then
  remote="$registry/$repo"
  registry_digest() {  # tag -> digest the registry holds for it (empty when absent/unreachable)
    curl -fsS -m 5 -o /dev/null -D - -I \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$registry/v2/$repo/manifests/$1" 2>/dev/null \
      | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}'
  }
  local_digest=$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" | awk -F@ -v r="$remote" '$1 == r {print $2; exit}')
  if [ -z "$local_digest" ] || [ "$(registry_digest "$hash")" != "$local_digest" ] || [ "$(registry_digest latest)" != "$local_digest" ]; then
    curl -fsS -m 5 -o /dev/null "http://$registry/v2/" \
      || { echo "build.sh: registry $registry unreachable; start it with tests/harness/infra.sh or use --no-push" >&2; exit 1; }
    for tag in "$hash" latest; do
      docker tag "$ref" "$remote:$tag"
      docker push -q "$remote:$tag" >/dev/null
    done
  fi
fi
echo "$ref"
