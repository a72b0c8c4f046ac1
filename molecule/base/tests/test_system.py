"""Time, locale, kernel parameters, journald and unattended upgrades, as the host uses them."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from conftest import BASE1_IP, BASE2_IP


def test_chrony_runs_with_the_configured_sources(base1):
    # chronyd answers on its command socket and uses exactly base_chrony_servers.
    assert base1.run("chronyc -n tracking").rc == 0
    sources = base1.check_output("chronyc -n sources")
    assert BASE1_IP in sources and BASE2_IP in sources
    assert "pool.ntp.org" not in base1.check_output("chronyc -n sourcename 2>/dev/null || true")
    # Container: chronyd must not try to set the host's clock.
    assert "-x" in base1.check_output("ps -o args= -C chronyd").split()


@pytest.mark.parametrize("name", ["base1", "base2"])
def test_time_zone_is_effective(name):
    import testinfra

    host = testinfra.get_host(f"docker://{name}")
    assert host.check_output("date +%Z") in ("CET", "CEST")
    assert host.check_output("readlink -f /etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"


def test_locales_are_generated(base1):
    for loc in ("en_US.UTF-8", "de_DE.UTF-8"):
        result = base1.run("LANG=%s LC_ALL=%s locale charmap", loc, loc)
        assert result.stdout.strip() == "UTF-8"
        assert "Cannot set" not in result.stderr


def test_sysctl_values_are_effective_where_settable(base1):
    conf = dict(
        line.split("=", 1) for line in base1.file("/etc/sysctl.d/60-odoo-ops.conf").content_string.splitlines() if "=" in line and not line.startswith("#")
    )
    conf = {k.strip(): v.strip() for k, v in conf.items()}
    assert conf["vm.swappiness"] == "5"  # base_sysctl overrides base_sysctl_defaults
    assert conf["kernel.dmesg_restrict"] == "1"  # defaults are kept
    assert conf["net.ipv4.tcp_keepalive_time"] == "600"
    for key, value in conf.items():
        path = "/proc/sys/" + key.replace(".", "/")
        assert base1.file(path).exists, f"{key} is unknown to this kernel"
        if base1.run("test -w %s", path).rc == 0:
            assert base1.check_output("sysctl -n %s", key) == value, key


def test_journald_applies_the_drop_in(base1):
    merged = base1.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert "/etc/systemd/journald.conf.d/odoo-ops.conf" in merged
    # journald reports its effective limit when it opens the persistent journal.
    log = base1.check_output("journalctl -b -u systemd-journald -o cat --no-pager")
    limits = re.findall(r"System Journal \(/var/log/journal/\S+\) is .*, max ([0-9.]+\w)", log)
    assert limits and limits[-1] == "123.0M", log[-2000:]


def test_unattended_upgrades_configuration(base1):
    dump = base1.check_output("apt-config dump Unattended-Upgrade")
    origins = re.findall(r'Unattended-Upgrade::Origins-Pattern:: "(.*)";', dump)
    assert origins == ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"]
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dump
    periodic = base1.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert base1.service("apt-daily-upgrade.timer").is_enabled


def test_unattended_upgrades_dry_run_allows_security_origins_only():
    """Reads the start of `unattended-upgrade --dry-run -d`, where it decides what is allowed, and
    stops it there (the full simulation takes about a minute)."""
    proc = subprocess.Popen(
        ["docker", "exec", "base1", "sh", "-c", "echo pid $$; exec timeout -k 5 60 unattended-upgrade --dry-run -d"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    pid = None
    deadline = time.monotonic() + 45
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if pid is None and line.startswith("pid "):
                pid = line.split()[1]
            if line.startswith(("Checking:", "pkgs that look", "No packages found")) or time.monotonic() > deadline:
                break
    finally:
        if pid:
            subprocess.run(["docker", "exec", "base1", "kill", pid], capture_output=True, timeout=10, check=False)
        proc.wait(timeout=30)
    text = "\n".join(lines)
    allowed = [ln for ln in lines if ln.startswith("Allowed origins are:")]
    assert allowed == ["Allowed origins are: origin=Debian,codename=bookworm-security,label=Debian-Security"], text
    not_allowed = [ln for ln in lines if ln.startswith("Marking not allowed")]
    # The main archive and bookworm-updates are pinned away; the security archive is not.
    assert any("_dists_bookworm_main_binary" in ln for ln in not_allowed), text
    assert any("_dists_bookworm-updates_main_binary" in ln for ln in not_allowed), text
    assert not any("security" in ln for ln in not_allowed), text
    for ln in lines:
        if ln.startswith("Checking:"):
            assert "label:'Debian-Security'" in ln, ln
