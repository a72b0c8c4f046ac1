#!/usr/bin/env bash
# Shared test hosts every scenario uses, started once and left running:
#   odoo-ops-aptcache  apt-cacher-ng, so each package is fetched from Debian once
#   odoo-ops-registry  Debian's docker-registry, so images move between engines
# Both publish on the docker0 gateway address (test containers reach them under
# the name "odoo-ops-infra", which molecule platforms add to /etc/hosts) and on
# 127.0.0.1 (the host pushes images to localhost:5000, which needs no TLS).
# Prints the export line for ODOO_OPS_INFRA_IP.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
base=$("$repo/tests/images/debian12-systemd/build.sh")
# docker0's address (the default bridge's IPAM config often omits its gateway).
infra_ip=$(ip -4 -o addr show docker0 | awk '{sub("/.*", "", $4); print $4; exit}')
[ -n "$infra_ip" ] || { echo "harness: docker0 has no IPv4 address" >&2; exit 1; }

build_infra_image() {  # name "packages" "extra shell command"
  local name=$1 pkgs=$2 extra=${3:-true}
  local ref
  ref="odoo-ops/$name:$(printf '%s|%s|%s' "$base" "$pkgs" "$extra" | sha256sum | cut -c1-12)"
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    echo "harness: building $ref" >&2
    printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends %s >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/* && %s\n' \
      "$base" "$pkgs" "$extra" | docker build -q -t "$ref" - >/dev/null 2>&1 \
      || { echo "harness: building $ref failed" >&2; exit 1; }
  fi
  echo "$ref"
}

run_infra() {  # name image port cmd...  (published on the docker0 gateway and on loopback)
  local name=$1 image=$2 port=$3; shift 3
  local cur
  cur=$(docker inspect -f '{{.Config.Image}} {{.State.Running}}' "$name" 2>/dev/null || true)
  if [ "$cur" = "$image true" ]; then return 0; fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker volume create "$name-data" >/dev/null
  docker run -d --name "$name" --restart unless-stopped -p "$infra_ip:$port:$port" -p "127.0.0.1:$port:$port" \
    -v "$name-data:/var/lib/$name" "$image" "$@" >/dev/null
}

# Only deb.debian.org is reachable from here: make it apt-cacher-ng's Debian backend.
acng=$(build_infra_image aptcache apt-cacher-ng \
  "echo http://deb.debian.org/debian/ > /etc/apt-cacher-ng/backends_debian")
run_infra odoo-ops-aptcache "$acng" 3142 bash -c \
  'mkdir -p /var/lib/odoo-ops-aptcache/cache && chown -R apt-cacher-ng: /var/lib/odoo-ops-aptcache /var/log/apt-cacher-ng /var/run/apt-cacher-ng 2>/dev/null;
   exec runuser -u apt-cacher-ng -- /usr/sbin/apt-cacher-ng -c /etc/apt-cacher-ng ForeGround=1 CacheDir=/var/lib/odoo-ops-aptcache/cache Port=3142 BindAddress=0.0.0.0'
# Debian's packaged config asks for htpasswd auth: the test registry runs without it.
reg=$(build_infra_image registry docker-registry \
  "printf 'version: 0.1\\nstorage:\\n  filesystem:\\n    rootdirectory: /var/lib/odoo-ops-registry\\n  delete:\\n    enabled: true\\nhttp:\\n  addr: 0.0.0.0:5000\\n' > /etc/docker/registry/config.yml")
run_infra odoo-ops-registry "$reg" 5000 bash -c \
  'exec /usr/bin/docker-registry serve /etc/docker/registry/config.yml'

for _ in $(seq 30); do
  (exec 3<>"/dev/tcp/$infra_ip/3142") 2>/dev/null && (exec 3<>"/dev/tcp/$infra_ip/5000") 2>/dev/null && break
  sleep 1
done
# The base image in the registry too, so inner engines (docker role, tenants) have an image to pull.
if ! docker image inspect "localhost:5000/$base" >/dev/null 2>&1 \
   || ! curl -fsS "http://127.0.0.1:5000/v2/${base%%:*}/manifests/${base##*:}" -o /dev/null \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json'; then
  docker tag "$base" "localhost:5000/$base"
  docker tag "$base" "localhost:5000/${base%%:*}:latest"
  docker push -q "localhost:5000/$base" >/dev/null
  docker push -q "localhost:5000/${base%%:*}:latest" >/dev/null
fi
echo "export ODOO_OPS_INFRA_IP=$infra_ip ODOO_OPS_BASE_IMAGE=$base"
