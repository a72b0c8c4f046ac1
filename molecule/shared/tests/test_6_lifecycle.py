"""Tenant lifecycle playbooks run for real against app1, last (pytest runs files in name order: create,
isolation, noisy neighbour, update, staging copy, then this).

The tests run IN ORDER and build on each other: suspend acme, keep it suspended through tenant.yml and
the non-production stop/start (which stops and starts acme_stage and beta too), resume it, then delete
beta. Each playbook is run by ansible-playbook on the controller against this scenario's inventory (the catalogue is in molecule.yml), exactly as an
operator runs it; requests go through Traefik on app1 (HTTPS, this run's CA), bounded in count and time.
"""

import pytest
from tenant_ops import BACKUP_DIR, DOMAINS, INVENTORY, assert_healthy, container_status, log_in, playbook, psql, session_keys, through_traefik, write_row

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")


def assert_maintenance_page(host, name):
    for path in ("/web/health?db_server_status=1", "/web/login", "/websocket"):
        status, headers, body = through_traefik(host, name, path)
        assert status == 503, (path, body)
        assert headers.get("retry-after", "").isdigit(), headers
        assert headers.get("content-type", "").startswith("text/html"), headers
        assert "strict-transport-security" in headers, headers
        assert "<html" in body.lower() and "unavailable" in body.lower()


@pytest.fixture(scope="module")
def acme_row(host):
    """A row written through acme before the lifecycle starts: (id, filestore path)."""
    return write_row(host, "lifecycle")


def assert_acme_data_intact(host, acme_row):
    row_id, stored = acme_row
    assert psql(host, f"SELECT tag FROM standin_record WHERE id = {row_id}", db="acme") == "lifecycle"
    assert host.file(stored).exists
    assert host.file("/srv/odoo/acme/odoo.conf").mode == 0o640


def test_every_tenant_answers_through_traefik(host, acme_row):
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
    for name in ("beta", "acme_stage"):
        assert_maintenance_page(host, name)
        assert container_status(host, name) == {"web": "exited", "cron": "exited"}
        assert host.file(f"/srv/odoo/{name}/STOPPED").exists
    # acme was suspended: it stays suspended, not merely stopped.
    assert host.file("/srv/odoo/acme/SUSPENDED").exists and not host.file("/srv/odoo/acme/STOPPED").exists
    rc, changed, output = playbook("nonprod_stop.yml")
    assert rc == 0 and changed == 0, output[-3000:]


def test_nonprod_start_brings_back_only_the_stopped_tenants(host):
    rc, changed, output = playbook("nonprod_start.yml")
    assert rc == 0 and changed > 0, output[-3000:]
    for name in ("beta", "acme_stage"):
        assert_healthy(host, name)
        assert container_status(host, name) == {"web": "running", "cron": "running"}
        assert not host.file(f"/srv/odoo/{name}/STOPPED").exists
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


# Older final backups of beta (as if deleted and re-created before): the delete keeps the newest
# odoo_final_backups_keep (3) of beta's, the new one included, and no other tenant's file.
OLD_BACKUPS = ["beta-20200101T000000Z", "beta-20200102T000000Z", "beta-20200103T000000Z"]
OTHER_BACKUP = "acme_stage-20190101T000000Z.dump"


def test_delete_in_check_mode_changes_nothing(host):
    # Sessions of beta and of the others (real logins: the stand-in writes them to Redis).
    for name in ("beta", "acme", "acme_stage"):
        log_in(host, name)
        assert session_keys(host, name), name
    host.run(f"install -d -m 0700 {BACKUP_DIR}")
    for i, stem in enumerate(OLD_BACKUPS):
        for path in (f"{BACKUP_DIR}/{stem}.dump", f"{BACKUP_DIR}/{stem}-filestore-app1.tar.gz", f"{BACKUP_DIR}/{OTHER_BACKUP}"):
            assert host.run(f"install -m 0600 /dev/null {path} && touch -d '2020-01-0{i + 1} 00:00 UTC' {path}").rc == 0
    rc, _changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta", "--check")
    assert rc == 0, output[-3000:]
    assert "Would delete " in output and "Redis session key(s) session:beta:*" in output
    assert session_keys(host, "beta")
    assert psql(host, "SELECT count(*) FROM pg_roles WHERE rolname = 'beta'") == "1"
    assert host.file("/srv/odoo/beta/compose.yaml").exists and host.file("/etc/traefik/dynamic/tenant-beta.yml").exists
    assert host.run(f"ls {BACKUP_DIR}/beta-2026* 2>/dev/null").stdout.strip() == ""
    assert len(host.run(f"ls {BACKUP_DIR}/beta-*").stdout.split()) == 6
    assert_healthy(host, "beta")


def test_delete_backs_up_then_leaves_no_trace(host):
    rc, changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta")
    assert rc == 0 and changed > 0, output[-3000:]
    # The final backup: a valid pg_dump archive of beta's database and the filestore tar, root-only.
    backup_dir = host.file(BACKUP_DIR)
    assert backup_dir.is_directory and backup_dir.user == "root" and backup_dir.mode == 0o700
    dumps = [p for p in host.run(f"ls {BACKUP_DIR}/beta-*.dump").stdout.split() if "beta-2020" not in p]
    tars = [p for p in host.run(f"ls {BACKUP_DIR}/beta-*-filestore-app1.tar.gz").stdout.split() if "beta-2020" not in p]
    assert len(dumps) == 1 and len(tars) == 1, (dumps, tars)
    # Rotation: the newest 3 of beta's kept (the new one and the two newest old ones), acme_stage's file untouched.
    kept = sorted(host.run(f"ls {BACKUP_DIR}").stdout.split())
    assert kept == sorted([OTHER_BACKUP] + [f"{stem}{suffix}" for stem in OLD_BACKUPS[1:] for suffix in (".dump", "-filestore-app1.tar.gz")]
                          + [p.rsplit("/", 1)[1] for p in dumps + tars]), kept
    for path in dumps + tars:
        assert host.file(path).user == "root" and host.file(path).mode == 0o600
    listing = host.run(f"pg_restore --list {dumps[0]}")
    assert listing.rc == 0 and "standin_record" in listing.stdout and "dbname: beta" in listing.stdout
    assert host.run(f"tar -tzf {tars[0]}").stdout.startswith("data/")
    # Nothing of beta is left, not even a session; the others' sessions stay.
    assert session_keys(host, "beta") == []
    assert session_keys(host, "acme") and session_keys(host, "acme_stage")
    assert psql(host, "SELECT count(*) FROM pg_database WHERE datname = 'beta'") == "0"
    assert psql(host, "SELECT count(*) FROM pg_roles WHERE rolname = 'beta'") == "0"
    assert not host.file("/srv/odoo/beta").exists
    assert not host.file("/etc/traefik/dynamic/tenant-beta.yml").exists
    assert host.run("docker ps -aq --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    assert host.run("docker volume ls -q --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    assert host.run("docker network ls -q --filter label=com.docker.compose.project=beta").stdout.strip() == ""
    status, _headers, _body = through_traefik(host, "beta")
    assert status == 404
    # The other tenants are untouched.
    assert_healthy(host, "acme")
    assert_healthy(host, "acme_stage")


def test_delete_again_changes_nothing(host):
    rc, changed, output = playbook("tenant_delete.yml", "-e", "tenant=beta", "-e", "confirm_delete=beta")
    assert rc == 0 and changed == 0, output[-3000:]
    assert len(host.run(f"ls {BACKUP_DIR}/beta-*.dump").stdout.split()) == 3
