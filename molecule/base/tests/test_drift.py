"""A host changed by hand is put back by a re-run of the role (which only touches what differs),
and check mode with --diff shows the difference first without changing anything.

Runs before test_firewall/test_system (alphabetical order), so those then check the restored hosts.
"""

from __future__ import annotations

import pytest
from conftest import run_playbook

JOURNALD = "/etc/systemd/journald.conf.d/odoo-ops.conf"
SUDOERS = "/etc/sudoers.d/odoo-ops-admins"
PATRONI_RULES = "/etc/nftables.d/50-patroni.nft"
KEYS = "/home/opsadmin/.ssh/authorized_keys"
FOREIGN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandEditedKeyThatMustGoAwayXXXXXXXXXXXXXXXXX intruder@drift"
HAND_EDIT = "# hand edit (molecule base test_drift)"
# Adds an accept rule for port 7777 at the end of the input chain of a rules file.
ADD_RULE = (
    "import sys; p = sys.argv[1]; s = open(p).read(); "
    "open(p, 'w').write(s.replace('\\t}\\n}', '\\t\\tip saddr 172.28.11.0/24 tcp dport 7777 accept comment \"drift\"\\n\\t}\\n}', 1))"
)


@pytest.fixture(scope="module")
def drifted(base1, base2):
    """Changes on both hosts what an operator might change by hand, then reads the originals."""
    before = {path: base1.file(path).content_string for path in (JOURNALD, PATRONI_RULES, KEYS)}
    base1.check_output("echo %s >> %s", HAND_EDIT, JOURNALD)
    base1.check_output("chmod 0644 %s", SUDOERS)
    # A port opened by hand in a role's rules file, and applied.
    base1.check_output("python3 -c %s %s", ADD_RULE, PATRONI_RULES)
    base1.check_output("systemctl reload nftables")
    assert "dport 7777" in base1.check_output("nft list table inet odoo_ops")
    base1.check_output("echo %s >> %s", FOREIGN_KEY, KEYS)
    base2.check_output("ln -sfn /usr/share/zoneinfo/UTC /etc/localtime")
    base2.check_output("systemctl stop chrony")
    return before


def test_check_mode_shows_the_drift_and_changes_nothing(base1, base2, drifted):
    # With a changed variable too: its file must show up as changed although nothing else about
    # it differs on the host.
    rc, out, recap = run_playbook("converge.yml", "--check", "--diff", "-e", "base_journald_max_retention_sec=3week")
    assert rc == 0, out[-5000:]
    assert recap["base1"]["changed"] >= 4 and recap["base2"]["changed"] >= 2, recap
    removed = [line for line in out.splitlines() if line.startswith("-")]
    assert f"-{HAND_EDIT}" in removed, out[-5000:]
    assert any("dport 7777" in line for line in removed), out[-5000:]
    assert "+MaxRetentionSec=3week" in out.splitlines(), out[-5000:]
    # Nothing was put back by check mode.
    assert HAND_EDIT in base1.file(JOURNALD).content_string
    assert base1.file(SUDOERS).mode == 0o644
    assert "dport 7777" in base1.check_output("nft list table inet odoo_ops")
    assert base2.check_output("readlink /etc/localtime") == "/usr/share/zoneinfo/UTC"
    assert not base2.service("chrony").is_running


def test_a_re_run_puts_everything_back(base1, base2, drifted):
    rc, out, recap = run_playbook("converge.yml")
    assert rc == 0, out[-5000:]
    assert recap["base1"]["changed"] >= 4 and recap["base2"]["changed"] >= 2, recap
    for path in (JOURNALD, PATRONI_RULES, KEYS):
        assert base1.file(path).content_string == drifted[path], path
    assert base1.file(SUDOERS).mode == 0o440
    # The role's rules file was reloaded at once: the port opened by hand is closed again.
    assert "dport 7777" not in base1.check_output("nft list table inet odoo_ops")
    assert base2.check_output("readlink /etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert base2.service("chrony").is_running
    # Handlers ran for what changed: journald was restarted with the restored drop-in.
    assert "RUNNING HANDLER [base : Restart journald]" in out, out[-5000:]
    # And once put back, a further run has nothing left to do.
    rc, out, recap = run_playbook("converge.yml")
    assert rc == 0, out[-5000:]
    assert recap["base1"]["changed"] == 0 and recap["base2"]["changed"] == 0, out[-5000:]
