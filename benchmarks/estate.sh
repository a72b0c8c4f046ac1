#!/usr/bin/env bash
# Prints the single-host estate's figures: a fresh sandbox converge (containers + site.yml, after
# `make sandbox-down`) and its idempotent re-run, each with its PLAY RECAP (changed counts).
# Run from the repo root as root, with no molecule scenario running (2 cores are shared).
# Figures go to docs/benchmarks.md by hand, with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
log=/tmp/odoo-ops-bench-estate.log
# shellcheck source=benchmarks/lib.sh
. benchmarks/lib.sh

machine
make harness >/dev/null
make sandbox-down >/dev/null 2>&1 || true
printf 'estate fresh (sandbox containers + site.yml): %.1f s\n' "$(t make sandbox)"
echo "  site.yml recap: $(recap)"
printf 'estate re-run (idempotent site.yml): %.1f s\n' "$(t make sandbox)"
echo "  site.yml recap: $(recap)"
n=$(changed)
[ "$n" = 0 ] || { echo "re-run changed $n task(s): not idempotent" >&2; exit 1; }
