#!/usr/bin/env bash
# Unit tests of the odoo_ops.hosting collection, run with the project venv's pytest.
# The tests start real HTTP(S) servers on 127.0.0.1; nothing else is needed (no Docker).
#   tests/unit.sh                 all unit tests
#   tests/unit.sh -k odoo_health  extra arguments go to pytest
# The collection is imported as ansible_collections.odoo_ops.hosting from ./collections
# (the same module names ansible-test units uses). Fails when no test was collected.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
collection=$repo/collections/ansible_collections/odoo_ops/hosting

[ -x "$venv/bin/pytest" ] || { echo "unit: $venv/bin/pytest missing; run 'make venv' first" >&2; exit 1; }
cd "$repo"
export PYTHONPATH="$repo/collections${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
status=0
"$venv/bin/pytest" \
  --rootdir "$repo" \
  --import-mode=importlib \
  -o consider_namespace_packages=true \
  -p no:cacheprovider \
  "$collection/tests/unit" "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "unit: pytest collected no tests under $collection/tests/unit" >&2
fi
exit "$status"
