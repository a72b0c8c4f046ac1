"""Staging copy (playbooks/tenant_staging_copy.yml): acme's database and filestore copied into the staging
tenant acme_stage and neutralized, after test_4_update.py (acme updated, online) and before
test_6_lifecycle.py. Run for real with ansible-playbook against this scenario's inventory, in order:
bad requests refused before any change, the copy (rows, files, owner, CONNECT rules, crons off,
database.is_neutralized; acme untouched), a re-run that changes nothing, a copy of another source refused
without refresh, and a refresh that replaces what was done on staging.
"""

import pytest
from tenant_ops import INVENTORY, assert_healthy, container_status, playbook, psql, through_traefik, write_row

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")

MARKER = "/srv/odoo/acme_stage/STAGING_COPY"


def sha256(host, path):
    cmd = host.run(f"sha256sum {path}")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.split()[0]


def neutralized(host, db):
    return (psql(host, "SELECT count(*) FILTER (WHERE active) || '/' || count(*) FROM ir_cron", db=db),
            psql(host, "SELECT count(*) FILTER (WHERE active) || '/' || count(*) FROM ir_mail_server", db=db),
            psql(host, "SELECT coalesce(max(value), '') FROM ir_config_parameter WHERE key = 'database.is_neutralized'", db=db))


@pytest.fixture(scope="module")
def acme_row(host):
    """A row and its filestore file written through acme before the copy: (id, filestore path)."""
    return write_row(host, "staging-source")


@pytest.mark.parametrize("request_args", [
    ["-e", "source=acme"],
    ["-e", "source=acme", "-e", "target=acme"],
    ["-e", "source=acme", "-e", "target=nobody"],
    ["-e", "source=nobody", "-e", "target=acme_stage"],
    ["-e", "source=acme", "-e", "target=acme_stage", "-e", "refresh=maybe"],
], ids=["no-target", "target-is-source", "unknown-target", "unknown-source", "bad-refresh"])
def test_bad_requests_are_refused_before_any_change(host, request_args):
    rc, changed, output = playbook("tenant_staging_copy.yml", *request_args)
    assert rc != 0 and changed == 0, output[-3000:]
    assert "Nothing was changed" in output or "Give the tenant" in output, output[-3000:]
    assert not host.file(MARKER).exists


def test_a_copy_to_a_production_host_is_refused(host):
    rc, changed, output = playbook("tenant_staging_copy.yml", "-e", "source=acme", "-e", "target=acme_stage",
                                   "-e", "odoo_ops_environment=production")
    assert rc != 0 and changed == 0, output[-3000:]
    assert "only goes to staging or development hosts" in output and "'production'" in output
    assert not host.file(MARKER).exists
    assert neutralized(host, "acme_stage")[2] == ""


def test_the_copy_has_the_sources_rows_and_files_and_is_neutralized(host, acme_row):
    row_id, stored = acme_row
    source_crons = neutralized(host, "acme")
    source_rows = psql(host, "SELECT count(*) || '/' || max(id) FROM standin_record", db="acme")
    rc, changed, output = playbook("tenant_staging_copy.yml", "-e", "source=acme", "-e", "target=acme_stage")
    assert rc == 0 and changed > 0, output[-4000:]
    # The rows and the module states of acme, in acme_stage's own database, owned by its role.
    assert psql(host, f"SELECT tag FROM standin_record WHERE id = {row_id}", db="acme_stage") == "staging-source"
    assert psql(host, "SELECT count(*) || '/' || max(id) FROM standin_record", db="acme_stage") == source_rows
    assert "project" in psql(host, "SELECT string_agg(name, ',') FROM ir_module_module WHERE state = 'installed'", db="acme_stage")
    assert psql(host, "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'", db="acme_stage") == "acme_stage"
    assert psql(host, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'acme_stage'") == "acme_stage"
    assert psql(host, "SELECT has_database_privilege('public', 'acme_stage', 'CONNECT')") == "f"
    # The file, byte for byte, under the staging tenant's filestore (owned by the image's odoo user).
    copied = stored.replace("/srv/odoo/acme/data/filestore/acme/", "/srv/odoo/acme_stage/data/filestore/acme_stage/")
    assert sha256(host, copied) == sha256(host, stored)
    assert host.file(copied).user == host.file(stored).user
    # Neutralized: every cron and mail server off, the flag set; the source untouched.
    crons, mail, flag = neutralized(host, "acme_stage")
    assert crons.startswith("0/") and crons != "0/0" and mail.startswith("0/") and flag == "true"
    assert neutralized(host, "acme") == source_crons and not source_crons[0].startswith("0/") and source_crons[2] == ""
    # Started, healthy through Traefik, and every attachment's file is in its filestore.
    assert_healthy(host, "acme_stage")
    assert container_status(host, "acme_stage") == {"web": "running", "cron": "running"}
    status, _headers, body = through_traefik(host, "acme_stage", "/standin/rows")
    assert status == 200 and '"missing_count": 0' in body, body
    assert host.file(MARKER).exists
    assert host.run("ls -A /var/backups/odoo-ops/staging-copy").stdout.strip() == ""
    assert_healthy(host, "acme")


def test_a_rerun_changes_nothing(host):
    rc, changed, output = playbook("tenant_staging_copy.yml", "-e", "source=acme", "-e", "target=acme_stage")
    assert rc == 0 and changed == 0, output[-4000:]
    assert "already is a staging copy of acme" in output


def test_a_copy_of_another_source_needs_refresh(host):
    rc, changed, output = playbook("tenant_staging_copy.yml", "-e", "source=beta", "-e", "target=acme_stage")
    assert rc != 0 and changed == 0, output[-3000:]
    assert "holds a staging copy of tenant acme" in output and "-e refresh=true" in output
    assert_healthy(host, "acme_stage")


def test_refresh_copies_again_over_what_was_done_on_staging(host):
    staged_id, _stored = write_row(host, "done-on-staging", tenant="acme_stage")
    rc, changed, output = playbook("tenant_staging_copy.yml", "-e", "source=acme", "-e", "target=acme_stage", "-e", "refresh=true")
    assert rc == 0 and changed > 0, output[-4000:]
    assert psql(host, f"SELECT count(*) FROM standin_record WHERE tag = 'done-on-staging' AND id = {staged_id}", db="acme_stage") == "0"
    assert neutralized(host, "acme_stage")[2] == "true"
    assert_healthy(host, "acme_stage")
