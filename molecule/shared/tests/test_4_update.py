"""Module updates with a safety net (playbooks/tenant_update.yml), run for real against tenant acme on app1
after test_3_noisy_neighbour.py (pytest runs files in name order: create, isolation, update, staging copy,
suspend/resume, delete).

In order: a request without modules is refused before any change; an update of `sale` backs up acme and
updates it; an update that fails (the stand-in's modules named fail_* always fail, as a broken module's
migration would) is rolled back: the database is restored from the pre-update dump (a new database with
the same rows and module states), the filestore from its tar, the configuration from its copy, and acme
answers again through Traefik; the number of kept backups follows odoo_update_backups_keep.
"""

import pytest
from tenant_ops import INVENTORY, assert_healthy, container_status, playbook, psql, write_row

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")

UPDATE_DIR = "/var/backups/odoo-ops/pre-update"
MODULES_SQL = "SELECT string_agg(name || '=' || latest_version || '@' || write_date, ',' ORDER BY name) FROM ir_module_module"


def backups(host):
    return (host.run(f"ls {UPDATE_DIR}/acme-*.dump 2>/dev/null").stdout.split(),
            host.run(f"ls {UPDATE_DIR}/acme-*-filestore-app1.tar.gz 2>/dev/null").stdout.split())


def database_oid(host):
    return psql(host, "SELECT oid FROM pg_database WHERE datname = 'acme'")


def test_update_without_modules_is_refused_before_any_change(host):
    rc, changed, output = playbook("tenant_update.yml", "-e", "tenant=acme")
    assert rc != 0 and changed == 0
    assert "Give the modules to update with -e modules=" in output
    rc, changed, output = playbook("tenant_update.yml", "-e", "tenant=acme", "-e", "modules=Sale;drop")
    assert rc != 0 and changed == 0
    assert backups(host) == ([], [])
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}


def test_update_backs_up_then_updates_the_module(host):
    before = psql(host, "SELECT write_date FROM ir_module_module WHERE name = 'sale'", db="acme")
    rc, changed, output = playbook("tenant_update.yml", "-e", "tenant=acme", "-e", "modules=sale")
    assert rc == 0 and changed > 0, output[-4000:]
    # odoo -u sale ran (the stand-in stamps the module row it updates).
    assert psql(host, "SELECT write_date FROM ir_module_module WHERE name = 'sale'", db="acme") != before
    dumps, tars = backups(host)
    assert len(dumps) == 1 and len(tars) == 1, (dumps, tars)
    for path in dumps + tars:
        assert host.file(path).user == "root" and host.file(path).mode == 0o600
    assert host.file(UPDATE_DIR).mode == 0o700
    assert host.run(f"pg_restore --list {dumps[0]}").rc == 0
    assert host.file("/srv/odoo/acme/pre-update").mode == 0o700
    assert host.file("/srv/odoo/acme/pre-update/odoo.conf").mode == 0o640
    assert_healthy(host, "acme")
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}


def test_a_failed_update_is_rolled_back_to_the_backup(host):
    row_id, stored = write_row(host, "before-failed-update")
    modules_before = psql(host, MODULES_SQL, db="acme")
    oid_before = database_oid(host)
    files_before = host.run("cd /srv/odoo/acme/data && find . -type f | sort | xargs sha256sum").stdout
    rc, _changed, output = playbook("tenant_update.yml", "-e", "tenant=acme", "-e", "modules=sale,fail_migration")
    assert rc != 0, output[-4000:]
    assert "ROLLED BACK" in output and "fail_migration" in output, output[-4000:]
    # The database was dropped and restored from the dump taken before the update: a new database with
    # the same module states and the rows written before.
    assert database_oid(host) != oid_before
    assert psql(host, MODULES_SQL, db="acme") == modules_before
    assert psql(host, f"SELECT tag FROM standin_record WHERE id = {row_id}", db="acme") == "before-failed-update"
    assert psql(host, "SELECT has_database_privilege('public', 'acme', 'CONNECT')") == "f"
    assert host.file(stored).exists
    assert host.run("cd /srv/odoo/acme/data && find . -type f | sort | xargs sha256sum").stdout == files_before
    # It answers and writes again.
    assert_healthy(host, "acme")
    assert container_status(host, "acme") == {"web": "running", "cron": "running"}
    assert write_row(host, "after-rollback")[0] > row_id


def test_only_the_newest_update_backups_are_kept(host):
    assert len(backups(host)[0]) == 2
    rc, changed, output = playbook("tenant_update.yml", "-e", "tenant=acme", "-e", "modules=project", "-e", "odoo_update_backups_keep=1")
    assert rc == 0 and changed > 0, output[-4000:]
    dumps, tars = backups(host)
    assert len(dumps) == 1 and len(tars) == 1, (dumps, tars)
    assert_healthy(host, "acme")
