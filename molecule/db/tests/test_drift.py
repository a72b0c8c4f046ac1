"""A member changed by hand is put back by a re-run of the roles, which read the host once and only
run the tasks whose target differs (handlers included); check mode with --diff shows the difference
first without changing anything. Runs after test_db (alphabetical order) and leaves db1 as converged.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

SCENARIO = Path(__file__).resolve().parent.parent
PROJECT = SCENARIO.parent.parent
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
PATRONI_CONFIG = "/etc/patroni/config.yml"
ETCD_DEFAULT = "/etc/default/etcd"
CREATECLUSTER = "/etc/postgresql-common/createcluster.d/50-odoo-ops-patroni.conf"
HAND_EDIT = "# hand edit (molecule db test_drift)"


def converge(*args: str) -> tuple[int, str, dict[str, int]]:
    """Runs converge.yml as molecule does; returns the exit code, the output and db1's recap."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_VAULT_IDENTITY_LIST=f"sandbox@{PROJECT}/inventories/sandbox/.vault-pass-sandbox",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    result = subprocess.run(
        ["ansible-playbook", "-i", str(EPHEMERAL / "inventory"), *args, str(SCENARIO / "converge.yml")],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    found = re.search(r"^db1\s+: (ok=.*)$", out, re.M)
    recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found.group(1))} if found else {}
    return result.returncode, out, recap


def task_status(out: str, task: str) -> str:
    """ok, changed or skipping: the first status line after the task's header in the output."""
    after = out.split(f"TASK [{task}]", 1)[1]
    return re.search(r"^(ok|changed|skipping|fatal): ", after, re.M).group(1)


@pytest.fixture(scope="module")
def drifted(host):
    before = host.file(PATRONI_CONFIG).content_string
    host.check_output("echo %s >> %s", HAND_EDIT, PATRONI_CONFIG)
    host.check_output("chmod 0600 %s", ETCD_DEFAULT)
    host.check_output("rm -f %s", CREATECLUSTER)
    return before


def test_check_mode_shows_the_drift_and_changes_nothing(host, drifted):
    rc, out, recap = converge("--check", "--diff")
    assert rc == 0, out[-5000:]
    assert recap["changed"] >= 3, out[-5000:]
    assert f"-{HAND_EDIT}" in out.splitlines(), out[-5000:]
    assert HAND_EDIT in host.file(PATRONI_CONFIG).content_string
    assert host.file(ETCD_DEFAULT).mode == 0o600
    assert not host.file(CREATECLUSTER).exists


def test_a_re_run_puts_back_only_what_differs(host, drifted):
    rc, out, recap = converge()
    assert rc == 0, out[-5000:]
    assert host.file(PATRONI_CONFIG).content_string == drifted
    assert host.file(ETCD_DEFAULT).mode == 0o644
    assert "create_main_cluster = false" in host.file(CREATECLUSTER).content_string
    # The changed config.yml reloaded Patroni (never a restart), the changed etcd file restarted etcd.
    assert "RUNNING HANDLER [patroni : Reload Patroni]" in out, out[-5000:]
    assert "RUNNING HANDLER [etcd : Restart etcd]" in out, out[-5000:]
    # Only the tasks of what differed ran: the packages were not touched.
    assert task_status(out, "patroni : Install PostgreSQL and Patroni from Debian") == "skipping", out[-5000:]
    assert task_status(out, "etcd : Install the etcd server and etcdctl") == "skipping", out[-5000:]
    assert recap["changed"] >= 4, out[-5000:]
    # Once put back, a further run has nothing to do and runs none of the apply tasks.
    rc, out, recap = converge()
    assert rc == 0, out[-5000:]
    assert recap["changed"] == 0, out[-5000:]
    assert "TASK [patroni : Write the Patroni configuration (validated by Patroni)]" not in out, out[-5000:]
