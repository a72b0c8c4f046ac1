"""Behaviour of the single-host estate (node1: every component, tenant acme of the sandbox catalogue).

Requests to the tenant go from the controller (where pytest runs) to node1's address on 443, as a
user's browser would: TLS verified with the sandbox CA, SNI and Host acme.sandbox.test. Checks of
services that must not be reachable from outside run inside node1 (testinfra's docker connection).
Every request loop is bounded in count and time and targets node1 only.
"""

import http.client
import json
import shlex
import socket
import ssl
import time
import uuid
from pathlib import Path

import pytest

NODE = "172.28.13.11"
DOMAIN = "acme.sandbox.test"
TENANT = "acme"
REPO = Path(__file__).resolve().parents[3]
CA_FILE = REPO / ".cache" / "sandbox" / "pki" / "ca.crt"
# The tenant's rate limit in the sandbox catalogue (inventories/sandbox/group_vars/all/main.yml).
RATE_BURST = 20


class _IngressConnection(http.client.HTTPSConnection):
    """HTTPS to NODE:443 with the tenant's name as SNI, certificate name and Host header."""

    def connect(self):
        sock = socket.create_connection((NODE, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _context():
    return ssl.create_default_context(cafile=str(CA_FILE))


def ingress(method, path, body=None, headers=None, conn=None):
    """One request through Traefik; returns (status, headers dict (lower-case names), body text)."""
    own = conn is None
    conn = conn or _IngressConnection(DOMAIN, 443, timeout=10, context=_context())
    hdrs = dict(headers or {})
    if body is not None and "Content-Type" not in hdrs:
        hdrs["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
    finally:
        if own:
            conn.close()


def run_ok(host, command):
    cmd = host.run(command)
    assert cmd.rc == 0, f"{command}: rc={cmd.rc} {cmd.stderr}"
    return cmd.stdout.strip()


def psql_superuser(host, sql, db="postgres"):
    """psql as postgres over the Unix socket of the local PostgreSQL (node1 is the only member)."""
    return run_ok(host, f"runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d {shlex.quote(db)} -c {shlex.quote(sql)}")


def conf_value(host, path, key, sep):
    for line in host.file(path).content_string.splitlines():
        name, _, value = line.partition(sep)
        if name.strip() == key:
            return value.strip()
    raise AssertionError(f"{key} not in {path}")


@pytest.fixture(scope="module")
def tenant_db_password(host):
    return conf_value(host, f"/srv/odoo/{TENANT}/odoo.conf", "db_password", "=")


@pytest.fixture(scope="module")
def redis_password(host):
    return conf_value(host, f"/srv/odoo/{TENANT}/session.env", "ODOO_SESSION_REDIS_PASSWORD", "=")


# --- the tenant through Traefik --------------------------------------------------------------------

def test_health_with_database_through_traefik():
    status, _headers, body = ingress("GET", "/web/health?db_server_status=1")
    assert status == 200, body
    assert json.loads(body) == {"status": "pass", "db_server_status": True}


def test_security_headers():
    status, headers, _body = ingress("GET", "/web/health")
    assert status == 200
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "includesubdomains" in headers["strict-transport-security"].lower()
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_tenant_sees_https_and_its_host_through_the_proxy():
    status, _headers, body = ingress("GET", "/standin/info")
    assert status == 200, body
    info = json.loads(body)
    assert info["scheme"] == "https"
    assert info["host"] == DOMAIN
    assert info["db_name"] in (TENANT, [TENANT])


def test_write_through_traefik_lands_on_the_patroni_leader(host):
    # node1 is the Patroni leader: its REST API answers 200 on /primary.
    assert run_ok(host, f"curl -s -o /dev/null -w '%{{http_code}}' http://{NODE}:8008/primary") == "200"
    tag = f"verify-default-{uuid.uuid4().hex[:12]}"
    status, _headers, body = ingress("POST", "/standin/write", body=json.dumps({"tag": tag}))
    assert status == 200, body
    written = json.loads(body)
    assert written["db"] == TENANT and written["in_recovery"] is False
    row = psql_superuser(host, f"SELECT tag FROM standin_record WHERE id = {int(written['id'])}", db=TENANT)
    assert row == tag


def test_websocket_upgrade_through_traefik():
    raw = socket.create_connection((NODE, 443), timeout=10)
    with _context().wrap_socket(raw, server_hostname=DOMAIN) as tls:
        tls.sendall(
            (
                f"GET /websocket HTTP/1.1\r\nHost: {DOMAIN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status_line = tls.recv(4096).decode("latin-1").split("\r\n")[0]
    assert status_line.startswith("HTTP/1.1 101"), status_line


def test_database_manager_refused_outside_the_allow_list():
    status, _headers, _body = ingress("GET", "/web/database/manager")
    assert status == 403


def test_session_from_the_login_endpoint_is_stored_in_redis(host, redis_password):
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": {"login": "admin", "password": "admin"}})
    status, headers, text = ingress("POST", "/web/session/authenticate", body=body)
    assert status == 200, text
    result = json.loads(text)["result"]
    assert result["uid"] == 2
    # The stand-in asked the sentinel on the host for the master: Redis on node1's private address.
    assert result["session_store"] == f"redis:{NODE}:6379", result
    sid = headers["set-cookie"].split("session_id=", 1)[1].split(";", 1)[0]
    exists = run_ok(host, f"redis-cli --no-auth-warning -a {shlex.quote(redis_password)} EXISTS {shlex.quote(f'session:{TENANT}:{sid}')}")
    assert exists == "1"


# --- what must stay closed ---------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["127.0.0.1", NODE])
def test_redis_refuses_commands_without_auth(host, address):
    out = host.run(f"redis-cli -h {address} -p 6379 PING")
    assert "NOAUTH" in out.stdout + out.stderr


def test_tenant_role_reaches_its_database_and_postgres_only(host, tenant_db_password):
    def as_tenant(db):
        return host.run(
            f"PGPASSWORD={shlex.quote(tenant_db_password)} PGCONNECT_TIMEOUT=5 "
            f"psql -XAtq -h 127.0.0.1 -p 5000 -U {TENANT} -d {shlex.quote(db)} -c 'SELECT current_database()'"
        )

    # Through pg_router (HAProxy on 127.0.0.1:5000), as the tenant's containers connect.
    for db in (TENANT, "postgres"):
        ok = as_tenant(db)
        assert ok.rc == 0 and ok.stdout.strip() == db, ok.stderr
    psql_superuser(host, "DROP DATABASE IF EXISTS verify_other")
    psql_superuser(host, "CREATE DATABASE verify_other")
    try:
        refused = as_tenant("verify_other")
        assert refused.rc != 0
        assert "pg_hba.conf" in refused.stderr or "permission denied" in refused.stderr, refused.stderr
    finally:
        psql_superuser(host, "DROP DATABASE IF EXISTS verify_other")


@pytest.mark.parametrize("port", [5432, 8008, 2379, 2380, 5000, 6379, 26379])
def test_internal_ports_unreachable_from_the_controller(port):
    with pytest.raises(OSError):
        socket.create_connection((NODE, port), timeout=2).close()


def test_https_reachable_from_the_controller():
    socket.create_connection((NODE, 443), timeout=5).close()


# --- a re-run restarts nothing ---------------------------------------------------------------------

def _epoch(host, command):
    return int(run_ok(host, command))


def test_nothing_restarted_after_the_first_converge(host):
    """The idempotence run (second site.yml) must not have restarted or recreated anything.

    Reference: the tenant's Traefik route, written near the end of the first converge and left
    untouched by an idempotent re-run. Every service and container started before it.
    """
    reference = _epoch(host, f"stat -c %Y /etc/traefik/dynamic/tenant-{TENANT}.yml")
    for unit in ("etcd", "patroni", "redis-server", "redis-sentinel", "haproxy", "traefik", "docker"):
        started = _epoch(host, f"date -d \"$(systemctl show -p ActiveEnterTimestamp --value {unit})\" +%s")
        assert started <= reference, f"{unit} (re)started after the first converge"
    postmaster = int(float(psql_superuser(host, "SELECT extract(epoch FROM pg_postmaster_start_time())")))
    assert postmaster <= reference, "PostgreSQL restarted after the first converge"
    for service in ("web", "cron"):
        created, started = run_ok(
            host, f"docker inspect -f '{{{{.Created}}}} {{{{.State.StartedAt}}}}' {TENANT}-{service}-1"
        ).split()
        for label, stamp in (("created", created), ("started", started)):
            assert _epoch(host, f"date -d {shlex.quote(stamp)} +%s") <= reference, f"{TENANT}-{service} {label} after the first converge"


# --- last: it spends the client's rate-limit tokens ---------------------------------------------------

def test_rate_limit_answers_429_after_the_burst():
    conn = _IngressConnection(DOMAIN, 443, timeout=10, context=_context())
    statuses = []
    deadline = time.monotonic() + 30
    try:
        for _ in range(RATE_BURST * 5):
            if time.monotonic() > deadline:
                break
            status, _headers, _body = ingress("GET", "/web/health", conn=conn)
            statuses.append(status)
            if status == 429:
                break
    finally:
        conn.close()
    assert statuses[-1] == 429, statuses
    assert statuses.count(200) >= RATE_BURST // 2, statuses
    time.sleep(3)  # let the bucket refill (10/s) for whatever runs next
