"""Behaviour of pgBackRest on the 2-member Patroni cluster bk-db1/bk-db2, backed up to S3 (SeaweedFS) on bk-s3.

The tests run IN ORDER and build on each other (stanza, WAL archive, backup_now.yml, timers, bad input). Every wait
is bounded; every request targets the scenario's own hosts (172.28.16.0/24).
"""

import json
import os
import subprocess
import time

import pytest
import yaml
from bk_helpers import CONF, INVENTORY, MEMBERS, REPO, STANZA, STATUS_DIR, TEXTFILE_DIR, info, member, playbook, psql, roles, run_ok

# Each test runs once (on bk-db1); the tests pick the member they need.
testinfra_hosts = ["bk-db1"]
pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs molecule's inventory (MOLECULE_INVENTORY_FILE)")


def test_config_holds_secrets_and_is_not_world_readable():
    for name in MEMBERS:
        conf = member(name).file(CONF)
        assert conf.mode == 0o640 and conf.user == "root" and conf.group == "postgres"
        content = conf.content_string
        assert "repo1-s3-endpoint=s3.backup.test" in content and "repo1-s3-uri-style=path" in content
        assert "repo1-cipher-type=aes-256-cbc" in content and "archive-async=y" in content
        # tier business: 4 full, 7 diff
        assert "repo1-retention-full=4" in content and "repo1-retention-diff=7" in content


def test_patroni_archives_and_builds_replicas_with_pgbackrest():
    leader, _replica = roles()
    assert psql(leader, "SHOW archive_mode") == "on"
    assert psql(leader, "SHOW archive_command") == f"pgbackrest --stanza={STANZA} archive-push %p"
    for name in MEMBERS:
        config = yaml.safe_load(member(name).file("/etc/patroni/config.yml").content_string)
        assert config["postgresql"]["create_replica_methods"] == ["pgbackrest", "basebackup"]
        assert config["postgresql"]["pgbackrest"]["no_params"] is True
        assert "archive-get" in config["postgresql"]["recovery_conf"]["restore_command"]


def test_stanza_ok():
    leader, _replica = roles()
    stanza = info(leader)
    assert stanza["name"] == STANZA
    # 0 = ok, 2 = no valid backups yet (before backup_now.yml)
    assert stanza["status"]["code"] in (0, 2), stanza["status"]
    assert stanza["repo"][0]["status"]["code"] in (0, 2), stanza["repo"]


def test_wal_segment_reaches_the_repository():
    leader, _replica = roles()
    psql(leader, "CREATE TABLE IF NOT EXISTS bk_probe(t timestamptz); INSERT INTO bk_probe VALUES (now())")
    segment = psql(leader, "SELECT pg_walfile_name(pg_switch_wal())")

    # Asynchronous archive-push: bounded poll (90 s) of the repository's WAL range.
    deadline = time.monotonic() + 90
    archives = info(leader)["archive"]
    while not (archives and archives[0]["max"] and archives[0]["max"] >= segment) and time.monotonic() < deadline:
        time.sleep(2)
        archives = info(leader)["archive"]
    assert archives and archives[0]["max"] >= segment, f"WAL segment {segment} not in the repository: {archives}"


def test_backup_now_makes_a_full_backup_on_the_leader_only():
    leader, replica = roles()
    rc, changed, output = playbook("playbooks/backup_now.yml", "-e", "type=full")
    assert rc == 0, output[-4000:]
    assert changed == 1, output[-4000:]
    backups = info(leader)["backup"]
    assert backups and backups[-1]["type"] == "full" and backups[-1]["error"] is False
    last = json.loads(leader.file(f"{STATUS_DIR}/full.json").content_string)
    assert last["result"] == "ok" and last["rc"] == 0
    assert not replica.file(f"{STATUS_DIR}/full.json").exists
    stanza = info(leader)
    assert stanza["status"]["code"] == 0, stanza["status"]


def test_timers_from_the_tier_on_every_member():
    for name in MEMBERS:
        host = member(name)
        for kind in ("full", "diff", "incr"):  # tier business schedules all three
            assert host.service(f"pgbackrest-{kind}.timer").is_enabled
            assert host.service(f"pgbackrest-{kind}.timer").is_running
        calendar = host.file("/etc/systemd/system/pgbackrest-full.timer").content_string
        assert "OnCalendar=Sun *-*-* 01:00:00" in calendar


def test_scheduled_service_skips_on_the_replica_and_records_it():
    leader, replica = roles()
    before = len(info(leader)["backup"])
    run_ok(replica, "systemctl start pgbackrest-incr.service")
    last = json.loads(replica.file(f"{STATUS_DIR}/incr.json").content_string)
    assert last["result"] == "skipped" and "not the leader" in last["detail"], last
    metrics = replica.file(f"{TEXTFILE_DIR}/pgbackrest_backup_incr.prom").content_string
    assert f'pgbackrest_backup_last_run_leader{{stanza="{STANZA}",type="incr"}} 0' in metrics, metrics
    assert len(info(leader)["backup"]) == before


def test_scheduled_service_backs_up_on_the_leader():
    leader, _replica = roles()
    before = len(info(leader)["backup"])
    run_ok(leader, "systemctl start pgbackrest-incr.service", timeout=300)
    last = json.loads(leader.file(f"{STATUS_DIR}/incr.json").content_string)
    assert last["result"] == "ok", last
    metrics = leader.file(f"{TEXTFILE_DIR}/pgbackrest_backup_incr.prom").content_string
    assert f'pgbackrest_backup_last_run_success{{stanza="{STANZA}",type="incr"}} 1' in metrics, metrics
    backups = info(leader)["backup"]
    assert len(backups) == before + 1 and backups[-1]["type"] == "incr"


def apply_role(tmp_path, *args):
    """The pgbackrest role alone on the members (as site.yml applies it), with ansible-playbook ARGS."""
    play = [
        {
            "name": "pgBackRest",
            "hosts": "postgres",
            "tasks": [
                {
                    "name": "Load the sandbox secrets",
                    "ansible.builtin.include_vars": {"file": os.path.join(REPO, "inventories/sandbox/group_vars/all/vault.yml")},
                },
                {"name": "Apply the role", "ansible.builtin.include_role": {"name": "pgbackrest"}},
            ],
        }
    ]
    path = tmp_path / "pgbackrest.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return playbook(str(path), *args)


def test_check_mode_reports_without_changing(tmp_path):
    leader, _replica = roles()
    conf_before = leader.file(CONF).sha256sum
    rc, changed, output = apply_role(tmp_path, "--check")
    assert rc == 0 and changed == 0, output[-4000:]
    rc, changed, output = apply_role(tmp_path, "--check", "-e", "pgbackrest_process_max=3")
    assert rc == 0 and changed == 2, output[-4000:]  # the configuration on each member would change...
    assert leader.file(CONF).sha256sum == conf_before  # ...but does not


def test_tier_change_removes_the_unscheduled_timer(tmp_path):
    rc, _changed, output = apply_role(tmp_path, "-e", "pgbackrest_service_tier=essential")
    assert rc == 0, output[-4000:]
    for name in MEMBERS:
        host = member(name)
        assert not host.file("/etc/systemd/system/pgbackrest-diff.timer").exists
        assert not host.service("pgbackrest-diff.timer").is_running
        assert "OnCalendar=*-*-* 01:00:00" in host.file("/etc/systemd/system/pgbackrest-incr.timer").content_string
        assert "repo1-retention-full=2" in host.file(CONF).content_string
    rc, _changed, output = apply_role(tmp_path)  # back to the scenario's tier (business)
    assert rc == 0, output[-4000:]
    assert all(member(name).service("pgbackrest-diff.timer").is_running for name in MEMBERS)


def test_replica_rebuilt_from_the_repository_joins_the_cluster():
    leader, replica = roles()
    address = MEMBERS[replica.backend.host]
    since = run_ok(replica, "date +%s").strip()
    # An empty data directory: Patroni builds the member again with create_replica_methods (pgbackrest first).
    run_ok(replica, "systemctl stop patroni && find /var/lib/postgresql/15/odoo-bk -mindepth 1 -delete && systemctl start patroni")
    marker = f"rebuilt-{since}"
    psql(leader, f"INSERT INTO bk_probe VALUES (now()); CREATE TABLE IF NOT EXISTS bk_marker(m text); INSERT INTO bk_marker VALUES ('{marker}')")
    deadline = time.monotonic() + 180
    seen = ""
    while time.monotonic() < deadline:
        code = replica.run(f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 http://{address}:8008/replica").stdout
        if code == "200":
            seen = replica.run(f"runuser -u postgres -- psql -XAtq -c \"SELECT m FROM bk_marker WHERE m = '{marker}'\"").stdout.strip()
            if seen == marker:
                break
        time.sleep(3)
    assert seen == marker, f"the rebuilt replica did not catch up: {replica.run('journalctl -u patroni -n 30 --no-pager').stdout}"
    journal = run_ok(replica, f"journalctl -u patroni --since @{since} --no-pager")
    assert "replica has been created using pgbackrest" in journal, journal[-3000:]


BAD_INPUT = {
    "s3_without_credentials": ({"pgbackrest_s3_key": "", "pgbackrest_s3_key_secret": ""}, ["pgbackrest_s3_key", "EMPTY"]),
    "retention_zero": ({"pgbackrest_retention_full": 0}, ["pgbackrest_retention_full"]),
    "endpoint_is_an_address": ({"pgbackrest_s3_endpoint": "172.28.16.20"}, ["pgbackrest_s3_endpoint"]),
}


def test_bad_input_is_refused_before_any_change(tmp_path):
    leader, _replica = roles()
    conf_before = leader.file(CONF).sha256sum
    tasks = [{"name": "Load the sandbox secrets", "ansible.builtin.include_vars": {"file": os.path.join(REPO, "inventories/sandbox/group_vars/all/vault.yml")}}]
    for case, (variables, _words) in BAD_INPUT.items():
        tasks.append(
            {
                "name": f"Case {case}",
                "block": [{"name": "Apply the role", "ansible.builtin.include_role": {"name": "pgbackrest"}, "vars": variables}],
                "rescue": [
                    {
                        "name": "Record",
                        "vars": {"bad_case": case},
                        "ansible.builtin.set_fact": {
                            "bad": "{{ bad | default({}) | combine({bad_case: {'task': ansible_failed_task.name, "
                            "'msg': ansible_failed_result.msg | default('')}}) }}"
                        },
                    }
                ],
            }
        )
    tasks.append({"name": "Report", "ansible.builtin.debug": {"var": "bad"}})
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump([{"name": "Bad input", "hosts": leader.backend.host, "gather_facts": True, "tasks": tasks}], sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0", ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"))
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, str(path)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = json.loads(proc.stdout)
    report = out["plays"][0]["tasks"][-1]["hosts"][leader.backend.host]["bad"]
    for case, (_variables, words) in BAD_INPUT.items():
        assert case in report, f"case {case}: the role did not fail"
        assert report[case]["task"].startswith("Check "), report[case]
        for word in words:
            assert word in report[case]["msg"], report[case]
    stats = out["stats"][leader.backend.host]
    assert stats["changed"] == 0, stats
    assert leader.file(CONF).sha256sum == conf_before
