#!/usr/bin/env bash
# ansible-test sanity for the odoo_ops.hosting collection, without Docker.
#   tests/sanity.sh                              every sanity test, Python 3.11
#   tests/sanity.sh --test validate-modules -v   extra arguments go to ansible-test
#
# How it runs:
# - from inside collections/ansible_collections/odoo_ops/hosting, as ansible-test requires;
# - `--local --python 3.11`: ansible-test runs from the project venv, and for each sanity test that
#   needs linters (pylint, voluptuous, pycodestyle, yamllint, ...) it makes its own virtualenv with
#   its pinned versions from PyPI, so the project venv is not touched. Those venvs are cached in
#   ~/.ansible/test/venv and reused while the pins do not change: only the first run on a machine
#   pays for the installs (measured: about 95 s cold, 17 s warm). `--venv` gives the same result
#   but also builds a delegation venv under tests/output (+6 s on a fresh clone); `--docker` needs
#   an image registry this workplace cannot reach.
# - ansible-test lists content with git when the collection is in a git work tree: tracked files
#   plus untracked ones that .gitignore does not exclude, so new, uncommitted files are checked too.
#   Outside git it walks the directory. No flag is needed for either case.
# - ansible-test bootstraps pip in each new venv with a get-pip script that it downloads from its
#   own file host, which these machines cannot reach (only PyPI is). So a stand-in is written to
#   ansible-test's cache beforehand (see write_pip_bootstrap below) and nothing is downloaded.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
collection=$repo/collections/ansible_collections/odoo_ops/hosting
python_version=${SANITY_PYTHON:-3.11}

[ -x "$venv/bin/ansible-test" ] || { echo "sanity: $venv/bin/ansible-test missing; run 'make venv' first" >&2; exit 1; }
export PATH="$venv/bin:$PATH"

# The stand-in installs the interpreter's bundled pip (ensurepip), then what ansible-test asks for
# (pip==X) from PyPI. ansible-test runs pip with a scrubbed environment (PIP_CERT, SSL_CERT_FILE...
# are dropped), so the stand-in also writes the CA bundle of this machine into each new venv's pip.conf.
write_pip_bootstrap() {
  local target=$1 ca_bundle=${PIP_CERT:-${SSL_CERT_FILE:-${REQUESTS_CA_BUNDLE:-}}}
  if [ -z "$ca_bundle" ] && [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    ca_bundle=/etc/ssl/certs/ca-certificates.crt
  fi
  "$venv/bin/python" - "$target" "$ca_bundle" <<'PY'
import sys

target, ca_bundle = sys.argv[1], sys.argv[2]
template = '''"""Stand-in for ansible-test's get-pip bootstrap, written by odoo_ops tests/sanity.sh."""
import os
import subprocess
import sys

CA_BUNDLE = @CA_BUNDLE@

args = sys.argv[1:]
no_setuptools = '--no-setuptools' in args
args = [a for a in args if a not in ('--no-setuptools', '--no-wheel')]
if CA_BUNDLE and os.path.exists(CA_BUNDLE) and sys.prefix != sys.base_prefix:
    with open(os.path.join(sys.prefix, 'pip.conf'), 'a') as conf:
        conf.write('[global]\\ncert = %s\\n' % CA_BUNDLE)
# In a child process: ensurepip sets PIP_CONFIG_FILE=/dev/null in its own environment.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
if no_setuptools:
    subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--quiet', '--yes', 'setuptools'])
'''
with open(target, 'w') as out:
    out.write(template.replace('@CA_BUNDLE@', repr(ca_bundle)))
PY
}

# The pip version ansible-test bootstraps (its cache file is named after it).
pip_version=$("$venv/bin/python" - "$python_version" <<'PY'
import sys
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(NativePythonConfig(version=sys.argv[1]))['pip'])
PY
)
bootstrap=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -s "$bootstrap" ]; then
  mkdir -p "$(dirname "$bootstrap")"
  write_pip_bootstrap "$bootstrap.tmp"
  mv "$bootstrap.tmp" "$bootstrap"
fi

cd "$collection"
exec ansible-test sanity --local --python "$python_version" --color no "$@"
