"""Fixtures of the base scenario.

Hosts are reached two ways: with testinfra's docker backend (root inside the container, for
setting up probes and reading state) and, for access checks, from this controller over the
scenario network with the real ssh client, as an operator would.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import testinfra

BASE1_IP = "172.28.11.11"
BASE2_IP = "172.28.11.12"
ADMIN = "opsadmin"
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
SCENARIO = Path(__file__).resolve().parent.parent
PROJECT = SCENARIO.parent.parent
ADMIN_KEY = EPHEMERAL / "admin_ed25519"

# Every probe is bounded: a dropped packet is reported as "timeout" after this many seconds.
CONNECT_TIMEOUT = 2.0

# Run on a test host with: python3 -c PROBE host port [port...]; prints {port: state} as JSON.
PROBE = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def probe(port):
    try:
        socket.create_connection((sys.argv[1], int(port)), timeout={timeout}).close()
        return port, "open"
    except ConnectionRefusedError:
        return port, "refused"
    except OSError:
        return port, "timeout"
with ThreadPoolExecutor(8) as pool:
    print(json.dumps(dict(pool.map(probe, sys.argv[2:]))))
""".replace("{timeout}", str(CONNECT_TIMEOUT))


def run_playbook(playbook: str, *args: str) -> tuple[int, str, dict[str, dict[str, int]]]:
    """Runs a playbook of the scenario against its inventory, as molecule does; returns the exit
    code, the output (without colours) and the recap as {host: {ok, changed, failed, ...}}."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_PIPELINING="true",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # no per-task timing noise in the output
    result = subprocess.run(
        ["ansible-playbook", "-i", str(EPHEMERAL / "inventory"), *args, str(SCENARIO / playbook)],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    recap = {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)} for host, counts in re.findall(r"^(\S+)\s+: (ok=.*)$", out, re.M)}
    return result.returncode, out, recap


@pytest.fixture(scope="session")
def base1():
    return testinfra.get_host("docker://base1")


@pytest.fixture(scope="session")
def base2():
    return testinfra.get_host("docker://base2")


def ssh(user: str, host: str, command: str = "true", *options: str, timeout: int = 20) -> subprocess.CompletedProcess:
    """Runs ssh from the controller with the scenario's admin key and no user/system config."""
    assert ADMIN_KEY.exists(), f"missing {ADMIN_KEY}: run molecule converge first"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    # ssh keeps the first value of an option: the caller's options come first.
    argv = [
        "ssh", *options, "-F", "/dev/null", "-i", str(ADMIN_KEY), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
        "-o", "LogLevel=ERROR", f"{user}@{host}", command,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def probe_from_controller(host: str, ports: list[int]) -> dict[str, str]:
    def one(port: int) -> tuple[str, str]:
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
            return str(port), "open"
        except ConnectionRefusedError:
            return str(port), "refused"
        except OSError:
            return str(port), "timeout"

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(one, ports))


def probe_from(testhost, host: str, ports: list[int]) -> dict[str, str]:
    out = testhost.check_output("python3 -c %s %s" + " %s" * len(ports), PROBE, host, *[str(p) for p in ports])
    return json.loads(out)


@pytest.fixture(scope="module")
def listeners(base1):
    """Small TCP listeners on base1, on every port the firewall tests use (60 s lifetime)."""
    ports = [5432, 8008, 2379, 8069, 9999]
    pids = []
    for port in ports:
        pid = base1.check_output("nohup timeout 60 python3 -m http.server %s --bind 0.0.0.0 >/dev/null 2>&1 & echo $!", str(port))
        pids.append(pid.strip())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listening = base1.check_output("ss -Htln")
        if all(f":{p} " in listening for p in ports):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"listeners did not start on base1: {listening}")
    yield ports
    for pid in pids:
        base1.run("kill %s", pid)
