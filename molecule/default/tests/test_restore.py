"""Backups of the single-host estate: pgBackRest (database) and restic (filestore) into the run's S3 endpoint.

Runs after test_estate.py (file order). node1 holds SeaweedFS (tests/fixtures/s3.yml, s3.default.test:9443, the
filer on 127.0.0.1:8888), the Patroni leader and tenant acme. Writes go through Traefik to the stand-in's
POST /standin/write, which inserts a row and an attachment whose file is named by the SHA-1 of its content.
"""

import json
import os
import re
import shlex
import subprocess
import time
import uuid

import pytest
import yaml
from test_estate import DOMAIN, TENANT, _context, _IngressConnection, ingress, psql_superuser, run_ok

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
STANZA = "odoo-sandbox"
RESTIC = "/usr/local/lib/odoo-ops/restic-run restic"
STATUS_DIR = "/var/lib/odoo-ops/restic"
FILESTORE = f"/srv/odoo/{TENANT}/data/filestore/{TENANT}"
# The scenario's second tenant (host_vars/node1.yml), restored into from acme's backups.
INTO = "beta"
INTO_DOMAIN = "beta.sandbox.test"
INTO_FILESTORE = f"/srv/odoo/{INTO}/data/filestore/{INTO}"
PRE_RESTORE = "/var/backups/odoo-ops/pre-restore"
RECAP = re.compile(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def playbook(path, *args):
    """ansible-playbook against the scenario's inventory; (rc, changed total, output)."""
    env = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_VAULT_IDENTITY_LIST=f"sandbox@{REPO}/inventories/sandbox/.vault-pass-sandbox",
        ANSIBLE_ROLES_PATH=f"{REPO}/roles",
        ANSIBLE_COLLECTIONS_PATH=f"{REPO}/collections",
    )
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, path, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = run.stdout + run.stderr
    recap = RECAP.findall(output)
    assert recap, output[-4000:]
    return run.returncode, sum(int(c) for c, _u, _f in recap), output


def ingress_to(domain, method, path, body=None):
    """One request through Traefik to the tenant of domain."""
    conn = _IngressConnection(domain, 443, timeout=10, context=_context())
    try:
        return ingress(method, path, body=body, conn=conn)
    finally:
        conn.close()


def write(tag, domain=DOMAIN):
    """One row + one attachment through Traefik (retried on the rate limit); returns the stand-in's answer."""
    for _ in range(20):
        status, _headers, body = ingress_to(domain, "POST", "/standin/write", body=json.dumps({"tag": tag}))
        if status != 429:
            break
        time.sleep(0.5)
    assert status == 200, body
    return json.loads(body)


def snapshots(host, tags):
    return json.loads(run_ok(host, f"{RESTIC} snapshots --json --tag {shlex.quote(tags)}"))


def newest_backup_label(host):
    data = json.loads(run_ok(host, f"runuser -u postgres -- pgbackrest --stanza={STANZA} --output=json info"))[0]
    return data["backup"][-1]["label"]


def test_restic_bad_input_refused_before_any_change():
    for extra, variable in (
        ("restic_keep_daily=0", "restic_keep_daily"),
        ("restic_s3_key=", "restic_s3_key"),
        ("restic_password=short", "restic_password"),
    ):
        rc, changed, output = playbook("playbooks/site.yml", "--tags", "restic", "-e", extra)
        assert rc != 0, output[-3000:]
        assert changed == 0, output[-3000:]
        assert variable in output, output[-3000:]


def test_secrets_are_root_only_and_never_on_a_command_line(host):
    for path in ("/etc/restic/env", "/etc/restic/password"):
        secret = host.file(path)
        assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600), path
    password = host.file("/etc/restic/password").content_string
    assert len(password) >= 16
    assert password not in host.file("/etc/systemd/system/restic-backup.service").content_string
    assert password not in host.file("/usr/local/lib/odoo-ops/restic-run").content_string


def test_scheduled_snapshot_of_each_tenant_recorded(host):
    written = write(f"restic-scheduled-{uuid.uuid4().hex[:8]}")
    assert host.service("restic-backup.timer").is_enabled and host.service("restic-forget.timer").is_enabled
    run_ok(host, "systemctl start restic-backup.service")
    status = json.loads(host.file(f"{STATUS_DIR}/backup.json").content_string)
    assert status["result"] == "ok", status
    assert status["kind"] == "scheduled"
    snap = status["tenants"][TENANT]
    assert snap["result"] == "ok" and snap["files"] >= 1 and snap["path"] == FILESTORE, snap
    found = [s for s in snapshots(host, f"tenant={TENANT},kind=scheduled") if s["id"].startswith(snap["snapshot"])]
    assert found, snap
    # The file written just before is in that snapshot, under its SHA-1 name.
    listing = run_ok(host, f"{RESTIC} ls {shlex.quote(snap['snapshot'])}")
    assert f"{FILESTORE}/{written['store_fname']}" in listing.splitlines(), listing[-2000:]


def test_forget_keeps_the_tiers_snapshots(host):
    before = {s["id"] for s in snapshots(host, f"tenant={TENANT}")}
    run_ok(host, "systemctl start restic-forget.service")
    status = json.loads(host.file(f"{STATUS_DIR}/forget.json").content_string)
    assert status["result"] == "ok", status
    assert status["keep"]["daily"] >= 1 and status["keep_within"], status
    # Every snapshot of the keep-within period stays (the paired and the scheduled ones of today).
    assert before <= {s["id"] for s in snapshots(host, f"tenant={TENANT}")}


@pytest.fixture(scope="module")
def paired(host):
    """Rows and files before the paired backup; backup_now.yml; its pgBackRest label and the restic snapshot."""
    tag = f"before-backup-{uuid.uuid4().hex[:8]}"
    written = [write(tag) for _ in range(2)]
    started = time.monotonic()
    rc, _changed, output = playbook("playbooks/backup_now.yml", "-e", "type=full")
    assert rc == 0, output[-4000:]
    seconds = time.monotonic() - started
    label = newest_backup_label(host)
    status = json.loads(host.file(f"{STATUS_DIR}/backup.json").content_string)
    print(f"backup_now.yml (pgBackRest full + restic): {seconds:.1f} s; restic {TENANT}: {status['tenants'][TENANT]}")
    return {"tag": tag, "written": written, "label": label, "status": status}


def test_backup_now_pairs_each_tenant_snapshot_with_the_database_backup(host, paired):
    status = paired["status"]
    assert status["result"] == "ok" and status["kind"] == "manual", status
    assert f"pgbackrest={paired['label']}" in status["tags"], status
    found = snapshots(host, f"tenant={TENANT},pgbackrest={paired['label']}")
    # restic 0.14 reports the short id of a new snapshot.
    assert [s["id"][:8] for s in found] == [status["tenants"][TENANT]["snapshot"][:8]], found


def test_paired_snapshot_restores_the_files_with_their_checksums(host, paired):
    snap = paired["status"]["tenants"][TENANT]["snapshot"]
    target = "/tmp/restic-restore-test"
    run_ok(host, f"rm -rf {target}")
    try:
        started = time.monotonic()
        run_ok(host, f"{RESTIC} restore {shlex.quote(snap)} --target {target}")
        print(f"restic restore of {TENANT}'s snapshot: {time.monotonic() - started:.1f} s")
        for written in paired["written"]:
            path = f"{target}{FILESTORE}/{written['store_fname']}"
            digest = run_ok(host, f"sha1sum {shlex.quote(path)}").split()[0]
            assert digest == os.path.basename(written["store_fname"]), path
    finally:
        run_ok(host, f"rm -rf {target}")
    # The database side of the pair holds the rows written before it.
    assert psql_superuser(host, f"SELECT count(*) FROM standin_record WHERE tag = '{paired['tag']}'", db=TENANT) == "2"


def rows_by_tag_prefix(host, prefix, db=TENANT):
    return psql_superuser(host, f"SELECT string_agg(tag, ',' ORDER BY id) FROM standin_record WHERE tag LIKE '{prefix}%'", db=db)


def filestore_files(host, path=FILESTORE):
    listing = run_ok(host, f"cd {path} && find . -type f | sort")
    return set(listing.splitlines())


@pytest.fixture(scope="module")
def point_in_time(host, paired):
    """Writes after the paired backup, the time T, writes after T; the rows and files as they were at T."""
    prefix = f"pit-{uuid.uuid4().hex[:6]}-"
    before = [write(f"{prefix}before-t-{n}") for n in range(2)]
    # restic's side of T: a scheduled snapshot (the timers' path) after these writes and before T.
    run_ok(host, "systemctl start restic-backup.service")
    time.sleep(1.5)
    target = run_ok(host, "date -u '+%Y-%m-%d %H:%M:%S+00'")
    expected_rows = rows_by_tag_prefix(host, prefix)
    expected_files = filestore_files(host)
    time.sleep(1.5)
    after = [write(f"{prefix}after-t-{n}") for n in range(2)]
    return {"prefix": prefix, "target": target, "rows": expected_rows, "files": expected_files, "before": before, "after": after}


def test_restore_in_place_refused_without_confirmation(point_in_time):
    rc, changed, output = playbook("playbooks/restore_tenant.yml", "-e", f"tenant={TENANT}", "-e", f"target='{point_in_time['target']}'")
    assert rc != 0, output[-3000:]
    assert changed == 0, output[-3000:]
    assert "odoo_tenant_restore_confirm" in output, output[-3000:]


@pytest.mark.parametrize("target, why", [("2099-01-01 00:00:00+00", "in the past"), ("2001-01-01 00:00:00+00", "oldest")])
def test_restore_refuses_a_target_outside_the_backups(target, why):
    rc, changed, output = playbook(
        "playbooks/restore_tenant.yml", "-e", f"tenant={TENANT}", "-e", f"confirm_restore={TENANT}", "-e", f"target='{target}'"
    )
    assert rc != 0, output[-3000:]
    assert changed == 0, output[-3000:]
    assert why in output, output[-3000:]


def test_restore_in_place_to_t_gives_exactly_the_rows_and_files_before_t(host, point_in_time):
    started = time.monotonic()
    rc, _changed, output = playbook(
        "playbooks/restore_tenant.yml", "-e", f"tenant={TENANT}", "-e", f"confirm_restore={TENANT}", "-e", f"target='{point_in_time['target']}'"
    )
    assert rc == 0, output[-5000:]
    print(f"restore_tenant.yml start to healthy tenant (health and route checked): {time.monotonic() - started:.1f} s")
    assert rows_by_tag_prefix(host, point_in_time["prefix"]) == point_in_time["rows"]
    assert filestore_files(host) == point_in_time["files"]
    for written in point_in_time["after"]:
        assert not host.file(f"{FILESTORE}/{written['store_fname']}").exists
    for written in point_in_time["before"]:
        assert host.file(f"{FILESTORE}/{written['store_fname']}").exists
    # The state before the restore was kept, and the tenant answers and writes again through Traefik.
    assert run_ok(host, f"ls /var/backups/odoo-ops/pre-restore/ | grep -c '^{TENANT}-.*\\.dump$'") != "0"
    status, _headers, body = ingress("GET", "/standin/rows")
    assert status == 200 and json.loads(body)["missing_count"] == 0, body
    write(f"{point_in_time['prefix']}after-restore")


def test_scenario_acme_is_the_sandbox_tenant_but_shared():
    """host_vars/node1.yml repeats the sandbox's acme (shared, placement app, so that beta may share node1)."""
    with open(os.path.join(REPO, "inventories/sandbox/group_vars/all/main.yml"), encoding="utf-8") as fh:
        sandbox = yaml.safe_load(fh)["odoo_tenants"]
    with open(os.path.join(REPO, "molecule/default/host_vars/node1.yml"), encoding="utf-8") as fh:
        scenario = yaml.safe_load(fh)["odoo_tenants"]
    assert [t["name"] for t in scenario] == [TENANT, INTO]
    assert {**scenario[0], "tenancy": "dedicated", "placement": "dedicated"} == sandbox[0]


def pre_restore_files(host, name):
    return set(run_ok(host, f"ls {PRE_RESTORE} | grep '^{name}-' || true").splitlines())


@pytest.fixture(scope="module")
def into_point(host, paired):
    """beta's own row; in acme rows+files before T2, a restic snapshot, T2, rows+files after; acme's whole state at T2."""
    own = write(f"into-own-{uuid.uuid4().hex[:6]}", domain=INTO_DOMAIN)
    prefix = f"into-{uuid.uuid4().hex[:6]}-"
    before = [write(f"{prefix}before-t-{n}") for n in range(2)]
    run_ok(host, "systemctl start restic-backup.service")
    time.sleep(1.5)
    target = run_ok(host, "date -u '+%Y-%m-%d %H:%M:%S+00'")
    rows = rows_by_tag_prefix(host, "")
    files = filestore_files(host)
    time.sleep(1.5)
    after = [write(f"{prefix}after-t-{n}") for n in range(2)]
    return {"own": own, "prefix": prefix, "target": target, "rows": rows, "files": files, "before": before, "after": after}


def into_state(host):
    return rows_by_tag_prefix(host, "", db=INTO), filestore_files(host, INTO_FILESTORE), pre_restore_files(host, INTO)


def test_restore_refused_when_the_dump_would_be_read_elsewhere_than_on_the_leader(host, into_point):
    """The dump is made on the Patroni leader (node1) and read on the odoo role's database admin host: another one is refused."""
    before = into_state(host)
    rc, changed, output = playbook(
        "playbooks/restore_tenant.yml",
        "-e",
        f"tenant={TENANT}",
        "-e",
        f"into={INTO}",
        "-e",
        f"target='{into_point['target']}'",
        "-e",
        "odoo_db_admin_host=elsewhere",
    )
    assert rc != 0, output[-3000:]
    assert changed == 0, output[-3000:]
    assert "pgbackrest_tenant_dump_reader (the odoo role's odoo_db_admin_host) is 'elsewhere'" in output, output[-3000:]
    assert into_state(host) == before


def test_restore_into_in_check_mode_changes_nothing_and_says_what_it_would_do(host, into_point):
    before = into_state(host)
    acme_rows = rows_by_tag_prefix(host, "")
    rc, changed, output = playbook(
        "playbooks/restore_tenant.yml", "--check", "-e", f"tenant={TENANT}", "-e", f"into={INTO}", "-e", f"target='{into_point['target']}'"
    )
    assert rc == 0, output[-5000:]
    assert changed == 0, output[-5000:]
    assert f"Would restore tenant {INTO} on node1 from tenant {TENANT}'s backups at {into_point['target']}" in output, output[-5000:]
    assert into_state(host) == before
    assert rows_by_tag_prefix(host, "") == acme_rows
    assert run_ok(host, "ls /var/lib/odoo-ops/tenant-restore 2>/dev/null | grep -c dump || true") == "0"


def test_restore_into_another_tenant_gives_it_exactly_the_source_at_t(host, into_point):
    acme_rows = rows_by_tag_prefix(host, "")
    acme_files = filestore_files(host)
    saved = pre_restore_files(host, INTO)
    started = time.monotonic()
    rc, _changed, output = playbook(
        "playbooks/restore_tenant.yml", "-e", f"tenant={TENANT}", "-e", f"into={INTO}", "-e", f"target='{into_point['target']}'"
    )
    assert rc == 0, output[-5000:]
    print(f"restore_tenant.yml into another tenant, start to healthy tenant: {time.monotonic() - started:.1f} s")
    # beta holds exactly acme's rows and files at T2, none of its own nor acme's later ones.
    assert rows_by_tag_prefix(host, "", db=INTO) == into_point["rows"]
    assert filestore_files(host, INTO_FILESTORE) == into_point["files"]
    for written in into_point["after"] + [into_point["own"]]:
        assert not host.file(f"{INTO_FILESTORE}/{written['store_fname']}").exists
    # acme itself is untouched (its rows and files after T2 are still there).
    assert rows_by_tag_prefix(host, "") == acme_rows and into_point["prefix"] + "after-t-1" in acme_rows
    assert filestore_files(host) == acme_files
    # beta's state before the restore was saved first: a dump holding its own row and an archive of its data.
    new = pre_restore_files(host, INTO) - saved
    dumps = [f for f in new if f.endswith(".dump")]
    assert len(dumps) == 1 and any(f.endswith("-filestore-node1.tar.gz") for f in new), new
    own_tag = into_point["own"]["tag"]
    data = run_ok(host, f"pg_restore --data-only --table=standin_record --file=- {PRE_RESTORE}/{dumps[0]}")
    assert own_tag in data, own_tag
    # beta serves them through Traefik, every attachment's file present, and writes again.
    status, _headers, body = ingress_to(INTO_DOMAIN, "GET", "/standin/rows")
    answer = json.loads(body)
    assert status == 200 and answer["db"] == INTO and answer["missing_count"] == 0, body
    assert answer["count"] == len(into_point["rows"].split(",")), body
    write(f"{into_point['prefix']}into-after-restore", domain=INTO_DOMAIN)
    rc, _changed, output = playbook("playbooks/check_tenants.yml")
    assert rc == 0, output[-4000:]


def test_drill_checks_the_paired_restic_snapshots(host, paired):
    rc, _changed, output = playbook("playbooks/restore_drill.yml", "-e", "restic_subset=100%")
    assert rc == 0, output[-5000:]
    report = json.loads(host.file("/var/lib/odoo-ops/pgbackrest/drill.json").content_string)
    restic = report["checks"]["restic"]
    assert report["result"] == "ok" and restic["ok"] is True, restic
    checked = restic["snapshots"][TENANT]
    assert checked["pgbackrest"] and len(checked["files"]) >= 2 and all(f["ok"] for f in checked["files"]), checked


def test_drill_fails_naming_a_damaged_restic_pack(host):
    filer = "http://127.0.0.1:8888/buckets/odoo-backups/sandbox/filestore/data"
    listing = json.loads(run_ok(host, f"curl -sf -H 'Accept: application/json' '{filer}/?limit=1000'"))
    packs = []
    for entry in listing.get("Entries") or []:
        sub = json.loads(run_ok(host, f"curl -sf -H 'Accept: application/json' '{filer}/{os.path.basename(entry['FullPath'])}/?limit=1000'"))
        packs += [e["FullPath"] for e in sub.get("Entries") or []]
    assert packs, listing
    # The biggest pack holds file data (the trees are small).
    sizes = {path: int(run_ok(host, f"curl -sf -o /dev/null -w '%{{size_download}}' 'http://127.0.0.1:8888{path}'")) for path in packs}
    pack = max(sizes, key=sizes.get)
    url = f"http://127.0.0.1:8888{pack}"
    run_ok(host, f"curl -sf -o /tmp/restic-pack-orig '{url}'")
    try:
        run_ok(host, "python3 -c \"d=bytearray(open('/tmp/restic-pack-orig','rb').read()); d[len(d)//3]^=0xff; open('/tmp/restic-pack-bad','wb').write(d)\"")
        run_ok(host, f"curl -sf -X PUT --data-binary @/tmp/restic-pack-bad '{url}'")
        rc, _changed, output = playbook("playbooks/restore_drill.yml", "-e", "restic_subset=100%")
        assert rc != 0, output[-5000:]
        assert "FAILED" in output and "restic" in output, output[-5000:]
        report = json.loads(host.file("/var/lib/odoo-ops/pgbackrest/drill.json").content_string)
        assert report["checks"]["restic"]["ok"] is False
        assert os.path.basename(pack)[:8] in report["checks"]["restic"]["detail"], report["checks"]["restic"]
    finally:
        run_ok(host, f"curl -sf -X PUT --data-binary @/tmp/restic-pack-orig '{url}'")
    run_ok(host, f"{RESTIC} check --read-data")
