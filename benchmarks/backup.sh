#!/usr/bin/env bash
# Prints pgBackRest's figures (issue #6) on the molecule `backup` scenario (2 Patroni members, SeaweedFS S3 over HTTPS
# on a third container, repository encrypted, lz4, process-max 2):
#   - backup throughput: a full backup of a generated database of at least SIZE_GB (default 1) GB (pgbench tables),
#     MB/s of database size over the backup's own start/stop times;
#   - restore throughput: that backup restored into a scratch directory on the leader (files only), MB/s;
#   - archive lag (RPO) under steady writes: one small write per second, then the seconds until the WAL segment holding
#     a marked write is in the repository, SAMPLES (default 2) times, with the scenario's archive_timeout.
# Run from the repo root as root, with no other `backup` scenario running (2 cores are shared):
#   benchmarks/backup.sh            SIZE_GB=2 SAMPLES=3 benchmarks/backup.sh
# Figures go to docs/benchmarks.md by hand, with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
size_gb=${SIZE_GB:-1}
samples=${SAMPLES:-2}
stanza=odoo-bk
log=/tmp/odoo-ops-bench-backup.log
# Room in SeaweedFS for the database, its WAL and the backup (the tests' 8 x 64 MB volumes are too few: 500
# "failed to find writable volumes"); read by molecule/backup/prepare.yml.
export ODOO_OPS_S3_VOLUME_MB=${ODOO_OPS_S3_VOLUME_MB:-512} ODOO_OPS_S3_VOLUME_MAX=${ODOO_OPS_S3_VOLUME_MAX:-16}
# shellcheck source=benchmarks/lib.sh
. benchmarks/lib.sh

machine
fresh_scenario backup
t molecule converge -s backup >/dev/null

leader=""
for member in bk-db1=172.28.16.11 bk-db2=172.28.16.12; do
  code=$(docker exec "${member%%=*}" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://${member#*=}:8008/primary" || true)
  [ "$code" = 200 ] && leader=${member%%=*}
done
[ -n "$leader" ] || { echo "no Patroni leader" >&2; exit 1; }
pg() { docker exec "$leader" runuser -u postgres -- "$@"; }
sql() { pg psql -XAtq -c "$1"; }

# pgbench: scale 1 is about 15 MB; generate until the database holds at least size_gb GB.
scale=$(( size_gb * 70 ))
printf 'generate %s GB (pgbench -i -s %s): %.1f s\n' "$size_gb" "$scale" \
  "$(t docker exec "$leader" runuser -u postgres -- sh -c "createdb bench && /usr/lib/postgresql/15/bin/pgbench -i -q -s $scale bench")"
db_bytes=$(sql "SELECT pg_database_size('bench')")
echo "database bench: $(( db_bytes / 1048576 )) MB"

# The load's WAL (about as much as the data) must be archived first: a backup waits at most archive-timeout (60 s) for
# its start segment, which a backlog of asynchronous archive-push exceeds (measured). pgbackrest check waits the same.
start=$(date +%s)
until pg pgbackrest --stanza=$stanza check >/dev/null 2>&1; do
  [ $(( $(date +%s) - start )) -lt 1200 ] || { echo "WAL archive still behind after 1200 s" >&2; exit 1; }
  sleep 5
done
echo "WAL of the load archived after: $(( $(date +%s) - start )) s"
printf 'full backup (wall clock): %.1f s\n' "$(t pg pgbackrest --stanza=$stanza --type=full backup)"
pg pgbackrest --stanza=$stanza --output=json info | python3 -c '
import json, sys
b = json.load(sys.stdin)[0]["backup"][-1]
secs = max(1, b["timestamp"]["stop"] - b["timestamp"]["start"])
size = b["info"]["size"]; repo = b["info"]["repository"]["delta"]; label = b["label"]
print(f"backup {label}: cluster {size / 1048576:.0f} MB in {secs} s = {size / 1048576 / secs:.1f} MB/s; repository {repo / 1048576:.0f} MB (lz4 + aes-256-cbc)")
'
cluster_bytes=$(pg pgbackrest --stanza=$stanza --output=json info | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backup"][-1]["info"]["size"])')

docker exec "$leader" sh -c 'rm -rf /var/lib/postgresql/bench-restore && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/bench-restore'
secs=$(t pg pgbackrest --stanza=$stanza --pg1-path=/var/lib/postgresql/bench-restore --archive-mode=off --type=immediate --target-action=promote restore)
awk -v s="$secs" -v b="$cluster_bytes" 'BEGIN{printf "restore (files, no WAL replay): %.0f MB in %.1f s = %.1f MB/s\n", b/1048576, s, b/1048576/s}'
docker exec "$leader" rm -rf /var/lib/postgresql/bench-restore

timeout_s=$(sql "SHOW archive_timeout")
echo "archive_timeout: $timeout_s"
sql "CREATE TABLE IF NOT EXISTS bench_rpo(t timestamptz DEFAULT now())" >/dev/null
docker exec -d "$leader" runuser -u postgres -- sh -c 'echo $$ > /tmp/bench-rpo.pid; while :; do psql -XAtq -c "INSERT INTO bench_rpo DEFAULT VALUES" >/dev/null 2>&1; sleep 1; done'
for i in $(seq 1 "$samples"); do
  sleep 7
  segment=$(sql "INSERT INTO bench_rpo DEFAULT VALUES; SELECT pg_walfile_name(pg_current_wal_insert_lsn())" | tail -1)
  start=$(date +%s.%N)
  while :; do
    max=$(pg pgbackrest --stanza=$stanza --output=json info | python3 -c 'import json,sys; a=json.load(sys.stdin)[0]["archive"]; print(a[-1]["max"] if a else "")')
    [[ "$max" > "$segment" || "$max" == "$segment" ]] && break
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{exit !(b - a > 900)}' && { echo "sample $i: not archived within 900 s" >&2; break; }
    sleep 1
  done
  awk -v a="$start" -v b="$(date +%s.%N)" -v i="$i" -v seg="$segment" 'BEGIN{printf "archive lag sample %d (segment %s): %.1f s\n", i, seg, b - a}'
done
docker exec "$leader" sh -c 'kill "$(cat /tmp/bench-rpo.pid)"' || true
