"""Restores on the backup scenario, after test_backup.py (file order): PITR of the whole cluster to a time T, the
restore drill passing, the drill failing loudly on a corrupted repository object, and pitr.yml's bad input refused.

Every wait is bounded; every request targets the scenario's own hosts (172.28.16.0/24).
"""

import datetime
import json
import shlex
import time

import pytest
from bk_helpers import INVENTORY, MEMBERS, STANZA, info, member, playbook, psql, roles, run_ok

testinfra_hosts = ["bk-db1"]
pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")

REPORT = "/var/lib/odoo-ops/pgbackrest/drill.json"
FILER = "http://127.0.0.1:8888/buckets/odoo-backups/molecule/odoo-bk"
ROWS = "pitr_rows"


def rows(host):
    return psql(host, f"SELECT coalesce(string_agg(tag, ',' ORDER BY id), '') FROM {ROWS}")


def wait_streaming(leader, replica, marker, timeout=180):
    """A row written on the leader now reaches the replica (Patroni GET /replica = 200, streaming)."""
    psql(leader, f"INSERT INTO {ROWS}(tag) VALUES ('{marker}')")
    address = MEMBERS[replica.backend.host]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = replica.run(f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 http://{address}:8008/replica").stdout
        if code == "200" and marker in replica.run(f"runuser -u postgres -- psql -XAtq -c 'SELECT tag FROM {ROWS}'").stdout:
            return
        time.sleep(3)
    pytest.fail(f"{replica.backend.host} did not stream {marker!r}: {replica.run('journalctl -u patroni -n 30 --no-pager').stdout}")


def test_pitr_refuses_bad_input_before_any_change():
    leader, _replica = roles()
    timeline = psql(leader, "SELECT timeline_id FROM pg_control_checkpoint()")
    future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S+00")
    cases = {
        "future": (["-e", f"target='{future}'", "-e", f"confirm_pitr={STANZA}"], "must be in the past"),
        "before_oldest_backup": (["-e", "target='2001-01-01 00:00:00+00'", "-e", f"confirm_pitr={STANZA}"], "oldest backup"),
        "no_confirmation": (["-e", "target='2001-01-01 00:00:00+00'"], "pgbackrest_pitr_confirm"),
        "wrong_confirmation": (["-e", "target='2001-01-01 00:00:00+00'", "-e", "confirm_pitr=other"], "pgbackrest_pitr_confirm"),
        "bad_form": (["-e", "target='yesterday'", "-e", f"confirm_pitr={STANZA}"], "pgbackrest_pitr_target"),
    }
    for case, (args, words) in cases.items():
        rc, changed, output = playbook("playbooks/pitr.yml", *args)
        assert rc != 0, f"{case}: accepted\n{output[-3000:]}"
        assert changed == 0, f"{case}: changed {changed}\n{output[-3000:]}"
        assert words in output, f"{case}: {output[-3000:]}"
    leader_after, _replica = roles()
    assert leader_after.backend.host == leader.backend.host
    assert psql(leader, "SELECT timeline_id FROM pg_control_checkpoint()") == timeline


def test_pitr_check_mode_changes_nothing():
    leader, _replica = roles()
    target = psql(leader, "SELECT to_char(now() AT TIME ZONE 'utc' - interval '1 second', 'YYYY-MM-DD HH24:MI:SS')") + "+00"
    rc, changed, output = playbook("playbooks/pitr.yml", "--check", "-e", f"target='{target}'", "-e", f"confirm_pitr={STANZA}")
    assert rc == 0 and changed == 0, output[-3000:]
    assert "Would stop Patroni" in output, output[-3000:]
    assert roles()[0].backend.host == leader.backend.host


def test_pitr_to_t_brings_back_exactly_the_rows_before_t():
    leader, _replica = roles()
    psql(leader, f"DROP TABLE IF EXISTS {ROWS}; CREATE TABLE {ROWS}(id serial PRIMARY KEY, tag text NOT NULL)")
    psql(leader, f"INSERT INTO {ROWS}(tag) VALUES ('before-backup-1'), ('before-backup-2')")
    rc, _changed, output = playbook("playbooks/backup_now.yml", "-e", "type=full")
    assert rc == 0, output[-3000:]
    psql(leader, f"INSERT INTO {ROWS}(tag) VALUES ('after-backup-1')")
    # T: the next whole second after that commit; the rows after T are written once the leader's clock has passed it.
    target = psql(leader, "SELECT to_char(date_trunc('second', now() AT TIME ZONE 'utc') + interval '1 second', 'YYYY-MM-DD HH24:MI:SS')")
    deadline = time.monotonic() + 10
    while psql(leader, f"SELECT clock_timestamp() > '{target}+00'::timestamptz + interval '200 milliseconds'") != "t":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    psql(leader, f"INSERT INTO {ROWS}(tag) VALUES ('after-t-1'); INSERT INTO {ROWS}(tag) VALUES ('after-t-2')")
    expected = "before-backup-1,before-backup-2,after-backup-1"
    assert rows(leader) == expected + ",after-t-1,after-t-2"

    rc, changed, output = playbook("playbooks/pitr.yml", "-e", f"target='{target}+00'", "-e", f"confirm_pitr={STANZA}")
    assert rc == 0, output[-5000:]
    assert changed > 0

    leader, replica = roles()
    assert rows(leader) == expected, "the leader does not hold exactly the rows written before T"
    assert rows(replica) == expected, "the replica does not hold exactly the rows written before T"
    journal = run_ok(replica, "journalctl -u patroni -n 200 --no-pager")
    assert "replica has been created using pgbackrest" in journal, journal[-3000:]
    wait_streaming(leader, replica, "after-pitr")  # writes work and reach the replica
    psql(leader, f"DELETE FROM {ROWS} WHERE tag = 'after-pitr'")
    assert info(leader)["status"]["code"] == 0


def drill(*args):
    return playbook("playbooks/restore_drill.yml", *args)


def test_drill_check_mode_reports_only():
    leader, _replica = roles()
    before = leader.run(f"sha256sum {REPORT}").stdout
    rc, changed, output = drill("--check")
    assert rc == 0 and changed == 0, output[-3000:]
    assert "Would count the rows of every table" in output
    assert leader.run(f"sha256sum {REPORT}").stdout == before


def test_drill_passes_with_equal_counts():
    leader, _replica = roles()
    rc, _changed, output = drill()
    assert rc == 0, output[-5000:]
    report_file = leader.file(REPORT)
    assert report_file.mode == 0o600 and report_file.user == "root"
    report = json.loads(report_file.content_string)
    assert report["result"] == "ok" and report["failed"] == [], report
    for check in ("restore", "recovery", "pg_dump", "amcheck", "row_counts", "verify"):
        assert report["checks"][check]["ok"] is True, (check, report["checks"][check])
    assert report["source_counts"]["postgres"][f"public.{ROWS}"] == 3
    assert report["checks"]["amcheck"]["indexes"] > 0
    assert f"Restore drill of stanza {STANZA}: OK" in leader.file(REPORT.replace(".json", ".txt")).content_string
    # The throwaway instance is gone and the cluster is untouched.
    assert not leader.file("/var/lib/postgresql/pgbackrest-drill").exists
    assert leader.run("ss -ltnx | grep -c 55432").stdout.strip() == "0"
    assert rows(leader) == "before-backup-1,before-backup-2,after-backup-1"


def test_drill_fails_loudly_on_a_corrupted_repository():
    leader, _replica = roles()
    s3 = member("bk-s3")
    label = info(leader)["backup"][-1]["label"]
    obj = f"{FILER}/backup/{STANZA}/{label}/pg_data/PG_VERSION.lz4"
    run_ok(s3, f"curl -sf -o /tmp/drill-orig {shlex.quote(obj)}")
    try:
        # Flip one byte of the stored (compressed, encrypted) object through SeaweedFS's filer.
        run_ok(s3, "python3 -c \"d=bytearray(open('/tmp/drill-orig','rb').read()); d[len(d)//2]^=0xff; open('/tmp/drill-bad','wb').write(d)\"")
        run_ok(s3, f"curl -sf -X PUT --data-binary @/tmp/drill-bad {shlex.quote(obj)}")
        rc, _changed, output = drill()
        assert rc != 0, output[-5000:]
        assert f"Restore drill of stanza {STANZA} FAILED" in output, output[-5000:]
        assert "PG_VERSION" in output, output[-5000:]  # pgbackrest verify names the object
        report = json.loads(leader.file(REPORT).content_string)
        assert report["result"] == "failed"
        assert report["checks"]["restore"]["ok"] is False and report["checks"]["verify"]["ok"] is False, report["checks"]
        assert f"{label}/pg_data/PG_VERSION.lz4" in report["checks"]["verify"]["detail"]
        assert not leader.file("/var/lib/postgresql/pgbackrest-drill").exists
    finally:
        run_ok(s3, f"curl -sf -X PUT --data-binary @/tmp/drill-orig {shlex.quote(obj)}")
    # The repository is whole again.
    verify = run_ok(leader, f"runuser -u postgres -- pgbackrest --stanza={STANZA} --log-level-console=info verify")
    assert "invalid" not in verify, verify
