#!/bin/bash
# TEST IMAGE ONLY.
#   redis-run server [redis-server options...]   a Redis server (no persistence) on 6379
#   redis-run sentinel                           a Sentinel on 26379; its configuration lines
#                                                come from $SENTINEL_CONF (one per line)
set -euo pipefail
mode=${1:-server}
shift || true
install -d -o redis -g redis /var/lib/redis
as_redis=(setpriv --reuid=redis --regid=redis --init-groups)
case "$mode" in
  server)
    exec "${as_redis[@]}" redis-server --bind 0.0.0.0 --port 6379 --protected-mode no --dir /var/lib/redis \
      --save '' --appendonly no --daemonize no "$@" ;;
  sentinel)
    conf=/var/lib/redis/sentinel.conf
    { printf 'port 26379\nbind 0.0.0.0\nprotected-mode no\ndaemonize no\ndir /var/lib/redis\n'
      printf '%s\n' "${SENTINEL_CONF:-}"; } > "$conf"
    chown redis: "$conf"
    exec "${as_redis[@]}" redis-sentinel "$conf" "$@" ;;
  *) echo "usage: redis-run server|sentinel [args]" >&2; exit 2 ;;
esac
