#!/usr/bin/env bash
# Prints the HA estate's figures (issue #4), on the molecule `ha` scenario (3 DB nodes + 1 app node,
# service tier "critical"):
#   - fresh converge of site.yml and its idempotent re-run (with the summed `changed` count);
#   - RUNS (default 3) rounds of the scenario's verify, each one: unplanned leader loss (docker kill
#     of the leader's container), planned switchover (playbooks/switchover.yml), Redis master loss,
#     one etcd member stopped, a rolling restart (playbooks/patroni_config.yml). Per event: seconds without an acknowledged write through Traefik,
#     acknowledged rows lost, seconds from Redis master loss to the first session written.
# Run from the repo root as root, with nothing else heavy running (2 cores are shared):
#   benchmarks/ha.sh            RUNS=1 benchmarks/ha.sh
# Figures go to docs/benchmarks.md by hand, with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
runs=${RUNS:-3}
log=/tmp/odoo-ops-bench-ha.log
results=/tmp/odoo-ops-bench-ha.jsonl
# shellcheck source=benchmarks/lib.sh
. benchmarks/lib.sh

machine
fresh_scenario ha
printf 'ha converge fresh (site.yml, 4 hosts): %.1f s\n' "$(t molecule converge -s ha)"
echo "  recap: $(recap)"
printf 'ha converge again (idempotent site.yml): %.1f s\n' "$(t molecule converge -s ha)"
echo "  recap: $(recap)"
n=$(changed)
[ "$n" = 0 ] || echo "WARNING: the re-run changed $n task(s): not idempotent" >&2

rm -f "$results"
for i in $(seq 1 "$runs"); do
  printf 'verify round %d: %.1f s\n' "$i" "$(ODOO_OPS_HA_RESULTS=$results t molecule verify -s ha)"
done
python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
def show(event, key, unit):
    values = [r[key] for r in rows if r["event"] == event]
    if values:
        print(f"{event} {key}: " + ", ".join(f"{v}" for v in values)
              + f" {unit} (median {statistics.median(values)}, max {max(values)}, n={len(values)})")
show("leader_loss", "outage_s", "s")
show("leader_loss", "lost", "rows")
show("switchover", "outage_s", "s")
show("switchover", "lost", "rows")
show("rolling_restart", "outage_s", "s")
show("rolling_restart", "lost", "rows")
show("redis_master_loss", "seconds_to_session_write", "s")
show("etcd_member_loss", "outage_s", "s")
EOF
