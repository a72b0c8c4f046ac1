#!/usr/bin/env bash
# Prints the single-host estate's figures: a fresh sandbox converge (containers + site.yml, after
# `make sandbox-down`) and its idempotent re-run, each with its PLAY RECAP (changed counts).
# Run from the repo root as root, with no molecule scenario running (2 cores are shared).
# Figures go to docs/benchmarks.md by hand, with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
log=/tmp/odoo-ops-bench-estate.log
t() { local s; s=$(date +%s.%N); "$@" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{print b - a}'; }
# The recap of the last playbook in the log (site.yml), one "host: ok=.. changed=.." per host.
recap() { awk '/^PLAY RECAP/{r=""} /^[a-z0-9.-]+ +: ok=/{gsub(/  +/, " "); r=r $0 ";"} END{print r}' "$log"; }
changed() { recap | grep -oE 'changed=[0-9]+' | awk -F= '{s+=$2} END{print s+0}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%F)"
make harness >/dev/null
make sandbox-down >/dev/null 2>&1 || true
printf 'estate fresh (sandbox containers + site.yml): %.1f s\n' "$(t make sandbox)"
echo "  site.yml recap: $(recap)"
printf 'estate re-run (idempotent site.yml): %.1f s\n' "$(t make sandbox)"
echo "  site.yml recap: $(recap)"
n=$(changed)
[ "$n" = 0 ] || { echo "re-run changed $n task(s): not idempotent" >&2; exit 1; }
