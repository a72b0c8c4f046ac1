#!/usr/bin/env bash
# Makes sure this machine has a running Docker engine and the compose v2 CLI plugin.
# Idempotent and quick when everything is in place. Needs root (apt, dockerd).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
log=${ODOO_OPS_LOG_DIR:-/var/log}

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
if ((${#need_pkgs[@]})); then
  echo "harness: installing ${need_pkgs[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "harness: starting dockerd" >&2
  # No systemd as PID 1 on these machines: run the daemon in the background.
  nohup dockerd >"$log/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$log/dockerd.log" >&2; exit 1; }
fi

# compose v2 and traefik come from their PyPI wheels (installed in the venv).
venv_bin="$repo/.venv/bin"
mkdir -p "$repo/.cache/bin" "${HOME}/.docker/cli-plugins"
for b in docker-compose traefik; do
  [ -x "$venv_bin/$b" ] || { echo "harness: $venv_bin/$b missing; run 'make venv' first" >&2; exit 1; }
  cmp -s "$venv_bin/$b" "$repo/.cache/bin/$b" || install -m 0755 "$venv_bin/$b" "$repo/.cache/bin/$b"
done
cmp -s "$venv_bin/docker-compose" "$HOME/.docker/cli-plugins/docker-compose" \
  || install -m 0755 "$venv_bin/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
