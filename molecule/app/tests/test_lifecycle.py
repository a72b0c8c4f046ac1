"""Tenant lifecycle playbooks run for real against app1, after test_app.py (pytest runs files in name order).

The tests run IN ORDER and build on each other: suspend acme, keep it suspended through tenant.yml and
the non-production stop/start, resume it, then delete beta. Each playbook is run by ansible-playbook on
the controller against this scenario's inventory (the catalogue is in molecule.yml), exactly as an
operator runs it; requests go through Traefik on app1 (HTTPS, this run's CA), bounded in count and time.
"""

import json
import os
import re
import shlex
import subprocess

import pytest

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", ""))
CA = "/usr/local/share/app-test-ca.crt"
DOMAINS = {"acme": "acme.example.test", "beta": "beta.example.test"}
BACKUP_DIR = "/var/backups/odoo-ops/deleted"
RECAP = re.compile(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")


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


def assert_healthy(host, name):
    status, _headers, body = through_traefik(host, name)
    assert status == 200, body
    assert json.loads(body) == {"status": "pass", "db_server_status": True}


def assert_maintenance_page(host, name):
    for path in ("/web/health?db_server_status=1", "/web/login", "/websocket"):
        status, headers, body = through_traefik(host, name, path)
        assert status == 503, (path, body)
        assert headers.get("retry-after", "").isdigit(), headers
        assert headers.get("content-type", "").startswith("text/html"), headers
        assert "strict-transport-security" in headers, headers
        assert "<html" in body.lower() and "unavailable" in body.lower()


def container_status(host, name):
    return {service: host.run(f"docker inspect -f '{{{{.State.Status}}}}' {name}-{service}-1").stdout.strip() for service in ("web", "cron")}


def psql(host, sql, db="postgres"):
    cmd = host.run(f"runuser -u postgres -- psql -XAtq -d {shlex.quote(db)} -c {shlex.quote(sql)}")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


@pytest.fixture(scope="module")
def acme_row(host):
    """A row written through acme before the lifecycle starts: (id, filestore path)."""
    cmd = host.run("python3 -c " + shlex.quote(
        "import http.client, json; c = http.client.HTTPConnection('127.0.0.1', 18010, timeout=10); "
        "c.request('POST', '/standin/write', body=json.dumps({'tag': 'lifecycle'}), "
        "headers={'Host': 'acme.example.test', 'Content-Type': 'application/json'}); print(c.getresponse().read().decode())"))
    assert cmd.rc == 0, cmd.stderr
    written = json.loads(cmd.stdout)
    return int(written["id"]), f"/srv/odoo/acme/data/filestore/acme/{written['store_fname']}"


def assert_acme_data_intact(host, acme_row):
    row_id, stored = acme_row
    assert psql(host, f"SELECT tag FROM standin_record WHERE id = {row_id}", db="acme") == "lifecycle"
    assert host.file(stored).exists
    assert host.file("/srv/odoo/acme/odoo.conf").mode == 0o640


def test_both_tenants_answer_through_traefik(host, acme_row):
    assert acme_row[0] > 0
    for name in DOMAINS:
        assert_healthy(host, name)
        assert host.file(f"/etc/traefik/dynamic/tenant-{name}.yml").exists


def test_suspend_without_a_tenant_fails_before_any_change(host):
    rc, changed, output = playbook("tenant_suspend.yml")
    assert rc != 0 and changed == 0
    assert "Give the tenant with -e tenant=NAME" in output and "acme, beta" in output
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}


def test_suspend_in_check_mode_changes_nothing(host):
    rc, _changed, output = playbook("tenant_suspend.yml", "-e", "tenant=acme", "--check", "--skip-tags", "check")
    assert rc == 0, output[-3000:]
    assert not host.file("/srv/odoo/acme/SUSPENDED").exists
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}
    assert_healthy(host, "acme")


def test_suspend_answers_the_maintenance_page_and_stops_the_containers(host, acme_row):
    rc, changed, output = playbook("tenant_suspend.yml", "-e", "tenant=acme")
    assert rc == 0 and changed > 0, output[-3000:]
    assert_maintenance_page(host, "acme")
    assert container_status(host, "acme") == {"web": "exited", "cron": "exited"}
    assert host.file("/srv/odoo/acme/SUSPENDED").exists
    assert_acme_data_intact(host, acme_row)
    assert_healthy(host, "beta")


def test_suspend_again_changes_nothing(host):
    rc, changed, output = playbook("tenant_suspend.yml", "-e", "tenant=acme")
    assert rc == 0 and changed == 0, output[-3000:]


def test_tenant_playbook_does_not_resume_a_suspended_tenant(host):
    # What site.yml's odoo play does for every tenant: acme is kept offline, and the check through the
    # ingress (check_tenants.yml) expects its maintenance page.
    rc, changed, output = playbook("tenant.yml", "-e", "tenant=acme")
    assert rc == 0 and changed == 0, output[-3000:]
    assert_maintenance_page(host, "acme")
    assert container_status(host, "acme") == {"web": "exited", "cron": "exited"}


def test_nonprod_stop_refuses_production(host):
    rc, changed, output = playbook("nonprod_stop.yml", "-e", "odoo_ops_environment=production")
    assert rc != 0 and changed == 0
    assert "only runs on a non-production tier" in output and "'production'" in output
    assert container_status(host, "beta") == {"web": "running", "cron": "running"}


def test_nonprod_stop_stops_every_tenant_and_keeps_the_suspension(host):
    rc, changed, output = playbook("nonprod_stop.yml")
    assert rc == 0 and changed > 0, output[-3000:]
    assert_maintenance_page(host, "beta")
    assert container_status(host, "beta") == {"web": "exited", "cron": "exited"}
    assert host.file("/srv/odoo/beta/STOPPED").exists
    # acme was suspended: it stays suspended, not merely stopped.
    assert host.file("/srv/odoo/acme/SUSPENDED").exists and not host.file("/srv/odoo/acme/STOPPED").exists
    rc, changed, output = playbook("nonprod_stop.yml")
    assert rc == 0 and changed == 0, output[-3000:]


def test_nonprod_start_brings_back_only_the_stopped_tenants(host):
    rc, changed, output = playbook("nonprod_start.yml")
    assert rc == 0 and changed > 0, output[-3000:]
    assert_healthy(host, "beta")
    assert container_status(host, "beta") == {"web": "running", "cron": "running"}
    assert not host.file("/srv/odoo/beta/STOPPED").exists
    assert_maintenance_page(host, "acme")
    assert container_status(host, "acme") == {"web": "exited", "cron": "exited"}


def test_resume_in_check_mode_changes_nothing(host):
    rc, _changed, output = playbook("tenant_resume.yml", "-e", "tenant=acme", "--check")
    assert rc == 0, output[-3000:]
    assert host.file("/srv/odoo/acme/SUSPENDED").exists
    assert container_status(host, "acme") == {"web": "exited", "cron": "exited"}
    assert_maintenance_page(host, "acme")


def test_resume_brings_the_tenant_back_with_its_data(host, acme_row):
    rc, changed, output = playbook("tenant_resume.yml", "-e", "tenant=acme")
    assert rc == 0 and changed > 0, output[-3000:]
    assert_healthy(host, "acme")
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}
    assert not host.file("/srv/odoo/acme/SUSPENDED").exists
    assert_acme_data_intact(host, acme_row)
    rc, changed, output = playbook("tenant_resume.yml", "-e", "tenant=acme")
    assert rc == 0 and changed == 0, output[-3000:]


@pytest.mark.parametrize("confirmation", [[], ["-e", "confirm_delete=acme"]], ids=["missing", "wrong"])
def test_delete_without_the_right_confirmation_changes_nothing(host, confirmation):
    rc, changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", *confirmation)
    assert rc != 0 and changed == 0
    assert "Confirm with -e confirm_delete=beta" in output
    assert psql(host, "SELECT count(*) FROM pg_database WHERE datname = 'beta'") == "1"
    assert host.file("/srv/odoo/beta/compose.yaml").exists
    assert_healthy(host, "beta")


def test_delete_in_check_mode_changes_nothing(host):
    rc, _changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta", "--check")
    assert rc == 0, output[-3000:]
    assert psql(host, "SELECT count(*) FROM pg_roles WHERE rolname = 'beta'") == "1"
    assert host.file("/srv/odoo/beta/compose.yaml").exists and host.file("/etc/traefik/dynamic/tenant-beta.yml").exists
    assert host.run(f"ls {BACKUP_DIR}/beta-* 2>/dev/null").stdout.strip() == ""
    assert_healthy(host, "beta")


def test_delete_backs_up_then_leaves_no_trace(host):
    rc, changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta")
    assert rc == 0 and changed > 0, output[-3000:]
    # The final backup: a valid pg_dump archive of beta's database and the filestore tar, root-only.
    backup_dir = host.file(BACKUP_DIR)
    assert backup_dir.is_directory and backup_dir.user == "root" and backup_dir.mode == 0o700
    dumps = host.run(f"ls {BACKUP_DIR}/beta-*.dump").stdout.split()
    tars = host.run(f"ls {BACKUP_DIR}/beta-*-filestore-app1.tar.gz").stdout.split()
    assert len(dumps) == 1 and len(tars) == 1, (dumps, tars)
    for path in dumps + tars:
        assert host.file(path).user == "root" and host.file(path).mode == 0o600
    listing = host.run(f"pg_restore --list {dumps[0]}")
    assert listing.rc == 0 and "standin_record" in listing.stdout and "dbname: beta" in listing.stdout
    assert host.run(f"tar -tzf {tars[0]}").stdout.startswith("data/")
    # Nothing of beta is left.
    assert psql(host, "SELECT count(*) FROM pg_database WHERE datname = 'beta'") == "0"
    assert psql(host, "SELECT count(*) FROM pg_roles WHERE rolname = 'beta'") == "0"
    assert not host.file("/srv/odoo/beta").exists
    assert not host.file("/etc/traefik/dynamic/tenant-beta.yml").exists
    assert host.run("docker ps -aq --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    assert host.run("docker volume ls -q --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    assert host.run("docker network ls -q --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    status, _headers, _body = through_traefik(host, "beta")
    assert status == 404
    # The other tenant is untouched.
    assert_healthy(host, "acme")


def test_delete_again_changes_nothing(host):
    rc, changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta")
    assert rc == 0 and changed == 0, output[-3000:]
    assert len(host.run(f"ls {BACKUP_DIR}/beta-*.dump").stdout.split()) == 1
