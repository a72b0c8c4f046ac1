"""On a failed test, print what the estate looked like (CI keeps only the log)."""

import subprocess

import pytest

CONTAINERS = ("ha-db1", "ha-db2", "ha-db3", "ha-app1")
PROBES = (
    ("Patroni /cluster", "curl -sS --max-time 3 http://172.28.14.11:8008/cluster || curl -sS --max-time 3 http://172.28.14.12:8008/cluster"
                         " || curl -sS --max-time 3 http://172.28.14.13:8008/cluster"),
    ("Sentinel master", "redis-cli -h 172.28.14.21 -p 26379 SENTINEL master odoo | paste -sd' '"),
    ("HAProxy backends", "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock');"
                         " s.sendall(b'show stat\\n'); print(s.recv(65536).decode())\" | cut -d, -f1,2,18 | grep -v '^#'"),
)


def _run(args):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    return (proc.stdout + proc.stderr).strip()


def estate_state():
    lines = [f"{name}: running={_run(['docker', 'inspect', '-f', '{{.State.Running}}', name])}" for name in CONTAINERS]
    for title, command in PROBES:
        lines.append(f"{title}: {_run(['docker', 'exec', 'ha-app1', 'timeout', '15', 'sh', '-c', command])[:3000]}")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        try:
            report.sections.append(("estate at failure", estate_state()))
        except (OSError, subprocess.SubprocessError) as exc:
            report.sections.append(("estate at failure", f"could not read it: {exc}"))
