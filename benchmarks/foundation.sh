#!/usr/bin/env bash
# Prints the foundation's figures: harness set-up (cold/warm), sandbox converge and its
# idempotent re-run, and the quick and full test targets. Run from the repo root as root.
#   benchmarks/foundation.sh            sandbox + check
#   benchmarks/foundation.sh --full     also time `make test`
# Figures go to docs/benchmarks.md by hand, with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
t() { local s; s=$(date +%s.%N); "$@" >/tmp/odoo-ops-bench.log 2>&1 || { tail -30 /tmp/odoo-ops-bench.log; exit 1; }; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{print b - a}'; }
recap() { grep -E '^[a-z0-9.-]+ +: ok=' /tmp/odoo-ops-bench.log | sed 's/  */ /g' | tr '\n' ';'; }

machine
make venv >/dev/null
printf 'harness (warm): %.1f s\n' "$(t make harness)"
make sandbox-down >/dev/null 2>&1 || true
printf 'sandbox fresh (containers + site.yml): %.1f s\n' "$(t make sandbox)"
echo "  recap: $(recap)"
printf 'sandbox re-run (idempotent): %.1f s\n' "$(t make sandbox)"
echo "  recap: $(recap)"
printf 'make check (lint + sanity + unit): %.1f s\n' "$(t make check)"
if [ "${1:-}" = --full ]; then
  printf 'make test (everything): %.1f s\n' "$(t make test)"
fi
