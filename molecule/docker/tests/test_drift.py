"""The docker role's one read of the host (tasks/state.yml) finds what drifted, and only that is put back.

On docker1: daemon.json rewritten (other content, other mode), the compose plugin's mode changed and
the docker unit disabled. Then converge.yml runs again (ansible-playbook, the molecule inventory):
it must change exactly those, restart the engine for daemon.json (handler), and a run after it must
change nothing.
"""

import shlex
from pathlib import Path

import pytest
from playbook_run import run_playbook

DAEMON_JSON = "/etc/docker/daemon.json"
PLUGIN = "/usr/local/lib/docker/cli-plugins/docker-compose"
CONVERGE = Path(__file__).resolve().parent.parent / "converge.yml"


def converge():
    """converge.yml with the JSON callback: (stats of docker1, names of the tasks that changed)."""
    _proc, out = run_playbook(CONVERGE)
    changed = [
        task["task"]["name"].removeprefix("docker : ")
        for play in out["plays"]
        for task in play["tasks"]
        if task["hosts"].get("docker1", {}).get("changed")
    ]
    return out["stats"]["docker1"], changed


@pytest.fixture(scope="module")
def drifted(host):
    wanted = host.file(DAEMON_JSON).content_string
    pid_before = host.check_output("systemctl show -p MainPID --value docker")
    host.run_expect([0], f"echo '{{}}' > {DAEMON_JSON} && chmod 0600 {DAEMON_JSON} && chmod 0700 {shlex.quote(PLUGIN)}")
    host.run_expect([0], "systemctl disable docker")
    stats, changed = converge()
    return {"wanted": wanted, "pid_before": pid_before, "stats": stats, "changed": changed}


def test_only_what_drifted_is_put_back(drifted):
    assert drifted["stats"]["failures"] == 0, drifted["stats"]
    assert sorted(drifted["changed"]) == sorted(
        ["Render /etc/docker/daemon.json", "Copy the compose plugin from the controller", "Enable and start docker", "Restart the engine"]
    ), drifted["changed"]


def test_files_and_unit_restored(host, drifted):
    daemon = host.file(DAEMON_JSON)
    assert daemon.content_string == drifted["wanted"] and daemon.mode == 0o644
    assert host.file(PLUGIN).mode == 0o755
    assert host.service("docker").is_enabled and host.service("docker").is_running
    assert host.check_output("systemctl show -p MainPID --value docker") != drifted["pid_before"], "the engine was not restarted"


def test_run_after_it_changes_nothing(drifted):
    stats, changed = converge()
    assert stats["changed"] == 0 and stats["failures"] == 0, (stats, changed)
