"""Behaviour of the database tier on db1: etcd + Patroni + PostgreSQL 15.

Every wait is bounded; every request targets db1 itself (its scenario address or loopback).
"""

import json
import shlex
import time

import pytest

ADDRESS = "172.28.17.10"
API = f"http://{ADDRESS}:8008"
ENV_FILE = "/etc/patroni/patroni.env"
TENANT_PASSWORD = "tenant-a-test-only-9d2e"  # test-only, made up by this test


def run_ok(host, cmd, timeout=60):
    result = host.run(f"timeout {timeout} sh -c {shlex.quote(cmd)}")
    assert result.rc == 0, f"{cmd!r} exited {result.rc}: {result.stdout}{result.stderr}"
    return result.stdout


def psql(host, sql, db="postgres"):
    return run_ok(host, f"runuser -u postgres -- psql -XAtq -d {db} -c {shlex.quote(sql)}").strip()


def api_credentials(host):
    env = dict(line.split("=", 1) for line in host.file(ENV_FILE).content_string.splitlines() if "=" in line and not line.startswith("#"))
    return json.loads(env["PATRONI_RESTAPI_USERNAME"]), json.loads(env["PATRONI_RESTAPI_PASSWORD"])


def module(host, name, args, check=False):
    result = host.ansible(f"odoo_ops.hosting.{name}", json.dumps(args), check=check)
    return result


def wait_for(predicate, timeout=30, delay=1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(delay)


def test_etcd_cluster_healthy_v3_only(host):
    out = run_ok(host, f"etcdctl --endpoints=http://{ADDRESS}:2379 endpoint health --cluster 2>&1")
    assert f"http://{ADDRESS}:2379 is healthy" in out
    # The v2 API is off: Patroni talks etcd3.
    assert host.run(f"curl -fsS --max-time 5 http://{ADDRESS}:2379/v2/keys").rc != 0


def test_superuser_write_and_read_on_leader(host):
    psql(host, "CREATE TABLE IF NOT EXISTS verify_rw (id int primary key, note text)")
    psql(host, "INSERT INTO verify_rw VALUES (1, 'written by verify') ON CONFLICT (id) DO UPDATE SET note = excluded.note")
    assert psql(host, "SELECT note FROM verify_rw WHERE id = 1") == "written by verify"
    assert psql(host, "SELECT pg_is_in_recovery()") == "f"
    assert psql(host, "SHOW password_encryption") == "scram-sha-256"


def test_cluster_info_reports_leader(host):
    result = module(host, "patroni_cluster_info", {"url": API})
    assert result["leader"] == "db1"
    [member] = result["members"]
    assert member["role"] == "leader" and member["state"] == "running"
    assert result["healthy"]["ok"] is True
    assert result["config"]["ttl"] == 20 and result["changed"] is False


def test_unsafe_endpoints_need_auth(host):
    for extra in ("", "-u patroni:wrong-password"):
        code = run_ok(host, f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 10 -X POST {extra} {API}/restart")
        assert code == "401"
    code = run_ok(host, f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 10 -X PATCH -d '{{\"ttl\": 25}}' {API}/config")
    assert code == "401"


def test_dynamic_parameter_takes_effect(host):
    user, password = api_credentials(host)
    args = {"url": API, "username": user, "password": password, "config": {"postgresql": {"parameters": {"work_mem": "16MB"}}}}
    try:
        check = module(host, "patroni_config", args, check=True)
        assert check["changed"] is True and psql(host, "SHOW work_mem") == "8MB"
        result = module(host, "patroni_config", args)
        assert result["changed"] is True and result["pending_restart_members"] == []
        assert wait_for(lambda: psql(host, "SHOW work_mem") == "16MB", timeout=20)
    finally:
        args["config"] = {"postgresql": {"parameters": {"work_mem": "8MB"}}}
        module(host, "patroni_config", args)
    assert wait_for(lambda: psql(host, "SHOW work_mem") == "8MB", timeout=20)


def test_restart_parameter_reports_pending_restart(host):
    user, password = api_credentials(host)
    args = {"url": API, "username": user, "password": password, "config": {"postgresql": {"parameters": {"max_connections": 210}}}}
    try:
        result = module(host, "patroni_config", args)
        assert result["changed"] is True
        assert result["pending_restart_members"] == ["db1"]
        assert psql(host, "SHOW max_connections") == "200"  # nothing was restarted
    finally:
        args["config"] = {"postgresql": {"parameters": {"max_connections": 200}}}
        module(host, "patroni_config", args)
    info = wait_for(lambda: (lambda r: r if not r["member_status"]["db1"].get("pending_restart") else None)(
        module(host, "patroni_cluster_info", {"url": API, "include_member_status": True})), timeout=20)
    assert info, "pending_restart did not clear after max_connections was set back"


def test_patroni_config_refuses_wrong_password(host):
    args = {"url": API, "username": "patroni", "password": "wrong-password", "config": {"ttl": 25}}
    result = module(host, "patroni_config", args)
    # (testinfra drops the "failed" key of a failed module; kind and msg tell the failure)
    assert result["kind"] == "auth" and result["status"] == 401 and "authentication refused" in result["msg"]


@pytest.fixture
def tenant(host):
    psql(host, "DROP DATABASE IF EXISTS tenant_a")
    psql(host, "DROP DATABASE IF EXISTS tenant_b")
    psql(host, "DROP ROLE IF EXISTS tenant_a")
    psql(host, f"CREATE ROLE tenant_a LOGIN PASSWORD '{TENANT_PASSWORD}'")
    psql(host, "CREATE DATABASE tenant_a OWNER tenant_a")
    psql(host, "CREATE DATABASE tenant_b")
    yield
    psql(host, "DROP DATABASE IF EXISTS tenant_a")
    psql(host, "DROP DATABASE IF EXISTS tenant_b")
    psql(host, "DROP ROLE IF EXISTS tenant_a")


def tenant_connect(host, address, db):
    return host.run(f"timeout 20 env PGPASSWORD={TENANT_PASSWORD} PGCONNECT_TIMEOUT=5 psql -XAtq "
                    f"'host={address} port=5432 user=tenant_a dbname={db}' -c 'SELECT current_database()'")


def test_tenant_access_is_limited(host, tenant):
    ok = tenant_connect(host, ADDRESS, "tenant_a")
    assert ok.rc == 0 and ok.stdout.strip() == "tenant_a", ok.stderr
    assert tenant_connect(host, ADDRESS, "postgres").rc == 0
    other_db = tenant_connect(host, ADDRESS, "tenant_b")
    assert other_db.rc != 0 and "no pg_hba.conf entry" in other_db.stderr
    # Loopback is not an allowed source for tenants.
    loopback = tenant_connect(host, "127.0.0.1", "tenant_a")
    assert loopback.rc != 0 and "no pg_hba.conf entry" in loopback.stderr
    # The role's password is stored as SCRAM.
    assert psql(host, "SELECT left(rolpassword, 13) FROM pg_authid WHERE rolname = 'tenant_a'") == "SCRAM-SHA-256"


def test_no_debian_main_cluster(host):
    assert not host.file("/etc/postgresql/15/main").exists
    assert host.file("/var/lib/postgresql/15/odoo-db/PG_VERSION").exists


def test_config_file_holds_no_secret(host):
    config = host.file("/etc/patroni/config.yml")
    assert config.mode == 0o640 and config.user == "root" and config.group == "postgres"
    env = host.file(ENV_FILE)
    assert env.mode == 0o600 and env.user == "root"
    user, password = api_credentials(host)
    assert password not in config.content_string
