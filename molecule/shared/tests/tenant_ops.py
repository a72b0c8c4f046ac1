"""Helpers of the shared scenario's tests (test_2_isolation.py ... test_6_lifecycle.py): run a playbook as an
operator does, reach a tenant through Traefik on app1, read PostgreSQL on app1. Bounded in time."""

import json
import os
import re
import shlex
import subprocess
import time

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", ""))
CA = "/usr/local/share/app-test-ca.crt"
DOMAINS = {"acme": "acme.example.test", "beta": "beta.example.test", "acme_stage": "acme-stage.example.test"}
# Loopback web ports (odoo_port_base 18000 + 10 * slot) and test-only DB passwords (molecule.yml).
PORTS = {"acme": 18010, "beta": 18020, "acme_stage": 18030}
DB_PASSWORDS = {"acme": "acme-db-pw-8c1f", "beta": "beta-db-pw-51d0", "acme_stage": "stage-db-pw-7e2a"}
BACKUP_DIR = "/var/backups/odoo-ops/deleted"
RECAP = re.compile(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def playbook(name, *args):
    """Run playbooks/<name> with the scenario's inventory: (rc, total changed, output)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="default")
    cmd = ["ansible-playbook", "-i", INVENTORY, os.path.join("playbooks", name), *args]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = run.stdout + run.stderr
    recap = RECAP.findall(output)
    assert recap, f"no PLAY RECAP in the output of {' '.join(cmd)}:\n{output[-4000:]}"
    return run.returncode, sum(int(changed) for changed, _u, _f in recap), output


def through_traefik(host, name, path="/web/health?db_server_status=1"):
    """(status, headers as a lowercase dict, body) of a request to tenant `name` through Traefik on app1."""
    domain = DOMAINS[name]
    cmd = host.run(f"curl -sS --max-time 10 --cacert {CA} --resolve {domain}:443:127.0.0.1 -D /tmp/lc-headers -o /tmp/lc-body "
                   f"-w '%{{http_code}}' {shlex.quote('https://' + domain + path)} && echo && cat /tmp/lc-headers && echo '--body--' "
                   "&& cat /tmp/lc-body")
    assert cmd.rc == 0, cmd.stderr
    status, rest = cmd.stdout.split("\n", 1)
    head, body = rest.split("--body--\n", 1)
    headers = {}
    for line in head.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return int(status), headers, body


def assert_healthy(host, name, wait=30):
    """Healthy through Traefik. A tenant just (re)started is "no available server" (503) until Traefik's own health
    check of its backend passes again (every traefik_health_check_interval, 10 s): wait for that, bounded."""
    deadline = time.monotonic() + wait
    status, _headers, body = through_traefik(host, name)
    while status == 503 and "no available server" in body and time.monotonic() < deadline:
        time.sleep(2)
        status, _headers, body = through_traefik(host, name)
    assert status == 200, body
    assert json.loads(body) == {"status": "pass", "db_server_status": True}


def container_status(host, name):
    return {service: host.run(f"docker inspect -f '{{{{.State.Status}}}}' {name}-{service}-1").stdout.strip() for service in ("web", "cron")}


def psql(host, sql, db="postgres"):
    cmd = host.run(f"runuser -u postgres -- psql -XAtq -d {shlex.quote(db)} -c {shlex.quote(sql)}")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


def write_row(host, tag, tenant="acme"):
    """A row + filestore file written through the tenant's loopback port: (id, filestore path)."""
    cmd = host.run("python3 -c " + shlex.quote(
        f"import http.client, json; c = http.client.HTTPConnection('127.0.0.1', {PORTS[tenant]}, timeout=10); "
        f"c.request('POST', '/standin/write', body=json.dumps({{'tag': '{tag}'}}), "
        f"headers={{'Host': '{DOMAINS[tenant]}', 'Content-Type': 'application/json'}}); print(c.getresponse().read().decode())"))
    assert cmd.rc == 0, cmd.stderr
    written = json.loads(cmd.stdout)
    return int(written["id"]), f"/srv/odoo/{tenant}/data/filestore/{tenant}/{written['store_fname']}"


REDIS_PASSWORD = "redis-test-password-0123"  # molecule.yml (app_redis_password), test only


def session_keys(host, name):
    """The Redis session keys of tenant `name` (session:<name>:*) on app1's Redis."""
    cmd = host.run(f"REDISCLI_AUTH={REDIS_PASSWORD} redis-cli --no-auth-warning --scan --pattern {shlex.quote('session:' + name + ':*')}")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.split()


def log_in(host, name):
    """A real login on tenant `name`'s loopback port: the stand-in stores the session in Redis."""
    status = host.run(f"curl -sS --max-time 10 -o /dev/null -w '%{{http_code}}' -H {shlex.quote('Host: ' + DOMAINS[name])} "
                      f"--data 'login=admin&password=admin' http://127.0.0.1:{PORTS[name]}/web/login").stdout
    assert status == "303", status
