"""Backups switched off and on again on the live cluster, last in the scenario (file order: after test_restore.py).

Off: the DCS loses archive_mode/archive_command/archive_timeout, the members are restarted (patroni_restart_pending)
and stop archiving, the backup timers are gone, and a re-run changes nothing. On again without a restart: the run
passes and says that archiving waits for the pending restart; after the restart WAL reaches the repository again and a
backup works. Every wait is bounded; every request targets the scenario's own hosts (172.28.16.0/24).
"""

import json
import time

import pytest
from bk_helpers import INVENTORY, MEMBERS, STANZA, member, playbook, psql, roles, run_ok

testinfra_hosts = ["bk-db1"]
pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")

CONVERGE = "molecule/backup/converge.yml"
VAULT = "inventories/sandbox/group_vars/all/vault.yml"
ARCHIVE_KEYS = ("archive_mode", "archive_command", "archive_timeout")


def dcs_parameters():
    out = run_ok(member("bk-db1"), f"curl -sf --max-time 5 http://{MEMBERS['bk-db1']}:8008/config")
    return json.loads(out).get("postgresql", {}).get("parameters", {})


def pending_restart(name):
    out = run_ok(member(name), f"curl -sf --max-time 5 http://{MEMBERS[name]}:8008/patroni")
    return bool(json.loads(out).get("pending_restart"))


def timers(name):
    return member(name).run("ls /etc/systemd/system/ | grep -E '^pgbackrest-.*[.]timer$' || true").stdout.split()


def wait_members_running(timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {
            name: member(name).run(f"curl -s --max-time 5 http://{addr}:8008/health -o /dev/null -w '%{{http_code}}'").stdout for name, addr in MEMBERS.items()
        }
        if all(code == "200" for code in states.values()):
            return
        time.sleep(3)
    pytest.fail(f"members not healthy after {timeout} s: {states}")


def test_switching_backups_off_removes_archiving_and_timers():
    rc, _changed, out = playbook(CONVERGE, "-e", "pgbackrest_enabled=false", "-e", "patroni_restart_pending=true")
    assert rc == 0, out[-4000:]
    params = dcs_parameters()
    assert not any(key in params for key in ARCHIVE_KEYS), f"archive settings left in the DCS: {params}"
    wait_members_running()
    for name in MEMBERS:
        assert psql(member(name), "SHOW archive_mode") == "off", name
        assert not pending_restart(name), f"{name} still pending restart"
        assert timers(name) == [], f"{name} keeps backup timers {timers(name)}"
    # pgBackRest and its configuration stay: the repository can still be read (restores stay possible).
    leader, _replica = roles()
    run_ok(leader, f"runuser -u postgres -- pgbackrest --stanza={STANZA} info")

    rc, changed, out = playbook(CONVERGE, "-e", "pgbackrest_enabled=false")
    assert rc == 0 and changed == 0, f"re-run with backups off changed {changed}: {out[-4000:]}"


def test_switching_backups_on_again_waits_for_the_restart_then_archives():
    rc, _changed, out = playbook(CONVERGE)
    assert rc == 0, out[-4000:]
    params = dcs_parameters()
    assert params.get("archive_mode") == "on" and "archive-push" in params.get("archive_command", ""), params
    leader, _replica = roles()
    assert psql(leader, "SHOW archive_mode") == "off"
    assert "does not archive yet" in out, "the run should say that archiving waits for the pending restart"
    assert all(timers(name) for name in MEMBERS), "timers not back"
    for name in MEMBERS:
        assert pending_restart(name), f"{name} should be pending restart"

    # The operation a DBA runs next: replicas first, switchover, old leader (only the pending members).
    rc, changed, out = playbook("playbooks/rolling_restart.yml", "-e", f"@{VAULT}")
    assert rc == 0 and changed > 0, out[-4000:]
    wait_members_running()
    assert not any(pending_restart(name) for name in MEMBERS)
    leader, _replica = roles()
    assert psql(leader, "SHOW archive_mode") == "on"
    run_ok(leader, f"runuser -u postgres -- pgbackrest --stanza={STANZA} check", timeout=240)
    run_ok(leader, f"runuser -u postgres -- pgbackrest --stanza={STANZA} --type=incr backup", timeout=300)
