"""Shared by the molecule/backup tests: the members, commands on them, Patroni roles, ansible-playbook runs."""

import json
import os
import re
import shlex
import subprocess

import testinfra

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
STANZA = "odoo-bk"
MEMBERS = {"bk-db1": "172.28.16.11", "bk-db2": "172.28.16.12"}
CONF = "/etc/pgbackrest/pgbackrest.conf"
STATUS_DIR = "/var/lib/odoo-ops/pgbackrest"
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
RECAP = re.compile(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def member(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def run_ok(host, cmd, timeout=120):
    result = host.run(f"timeout {timeout} sh -c {shlex.quote(cmd)}")
    assert result.rc == 0, f"{cmd!r} exited {result.rc}: {result.stdout}{result.stderr}"
    return result.stdout


def psql(host, sql):
    return run_ok(host, f"runuser -u postgres -- psql -XAtq -c {shlex.quote(sql)}").strip()


def info(host):
    return json.loads(run_ok(host, f"runuser -u postgres -- pgbackrest --stanza={STANZA} --output=json info"))[0]


def roles():
    """(leader, replica) as Host objects, from Patroni's GET /primary on each member."""
    leader = replica = None
    for name, address in MEMBERS.items():
        code = member(name).run(f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 http://{address}:8008/primary").stdout
        if code == "200":
            leader = member(name)
        else:
            replica = member(name)
    assert leader is not None and replica is not None, "expected one leader and one replica"
    return leader, replica


def playbook(path, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="default")
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, path, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = run.stdout + run.stderr
    recap = RECAP.findall(output)
    assert recap, output[-4000:]
    return run.returncode, sum(int(c) for c, _u, _f in recap), output
