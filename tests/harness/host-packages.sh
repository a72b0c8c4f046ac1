#!/usr/bin/env bash
# Debian packages the unit tests use on this machine (real etcd + Patroni + PostgreSQL for the
# Patroni module tests, real redis-server + redis-sentinel for the Sentinel module tests, pgbackrest
# (+ PostgreSQL, and the venv's SeaweedFS as S3 server) for the pgBackRest module tests, restic for the
# filestore backups; they are skipped, with the reason, where these are missing).
# Idempotent; nothing is started here (the tests start and stop their own processes).
set -euo pipefail
pkgs=(etcd-server etcd-client patroni python3-etcd python3-psycopg2 postgresql-15 redis-server redis-sentinel pgbackrest restic)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "harness: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d: the packages must not start their services on this machine.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
