"""Behaviour of redis (+ Sentinel), pg_router and traefik on edge1.

Every request targets edge1 itself (loopback or its own address on the scenario network) and
every loop is bounded in count and time. The tenant upstreams and the Patroni members are the
stand-ins from prepare.yml (molecule/edge/files/edge_stubs.py).
"""

import json
import shlex
import time

import pytest

ADDRESS = "172.28.18.11"
CA = "/usr/local/share/edge-test-ca.crt"
TENANT = "odoo-a.edge.test"
SECRETS_ENV = "REDISCLI_AUTH=$(sed -n 's/^requirepass //p' /etc/redis/redis-odoo-ops.conf)"


def curl(host, url, *args, resolve_to=ADDRESS, domain=TENANT, port=443):
    """curl from edge1 with the run's CA; returns (status, headers dict (lower-case), body)."""
    cmd = (
        f"curl -sS --max-time 5 --cacert {CA} --resolve {domain}:{port}:{resolve_to} "
        f"-D /tmp/edge-headers -o /tmp/edge-body -w '%{{http_code}}' {' '.join(shlex.quote(a) for a in args)} {shlex.quote(url)}"
    )
    result = host.run(cmd)
    headers = {}
    for line in host.file("/tmp/edge-headers").content_string.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return result.stdout.strip(), headers, host.file("/tmp/edge-body").content.decode(errors="replace")


# --- Traefik --------------------------------------------------------------------------------------


def test_https_reaches_the_tenant_with_security_headers(host):
    status, headers, body = curl(host, f"https://{TENANT}/odoo/action-1")
    assert status == "200", (status, headers, body[:300])
    assert headers["x-upstream"] == "web"
    sts = headers["strict-transport-security"]
    assert "max-age=31536000" in sts and "includeSubDomains" in sts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    seen = {k.lower(): v for k, v in json.loads(body)["headers"].items()}
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-host"] == TENANT
    assert seen["x-forwarded-for"] == ADDRESS
    # X-Robots-Tag only on /web paths.
    assert "x-robots-tag" not in headers
    _, web_headers, _ = curl(host, f"https://{TENANT}/web/login")
    assert web_headers["x-robots-tag"] == "noindex, nofollow"


def test_second_domain_of_the_tenant(host):
    status, headers, _ = curl(host, "https://odoo-a-alias.edge.test/", domain="odoo-a-alias.edge.test")
    assert status == "200" and headers["x-upstream"] == "web"


def test_web_route_is_compressed(host):
    _, headers, _ = curl(host, f"https://{TENANT}/odoo", "-H", "Accept-Encoding: gzip")
    assert headers.get("content-encoding") == "gzip", headers


def test_http_redirects_to_https(host):
    result = host.run(f"curl -sS --max-time 5 -o /dev/null -w '%{{http_code}} %{{redirect_url}}' -H 'Host: {TENANT}' http://{ADDRESS}/web/login")
    status, location = result.stdout.split(" ", 1)
    assert status in ("301", "308"), result.stdout
    assert location == f"https://{TENANT}/web/login"


def test_database_manager_denied_outside_the_allow_list(host):
    # An empty allow list lets only 127.0.0.1 through (deny by default, documented).
    status, _, _ = curl(host, f"https://{TENANT}/web/database/manager")
    assert status == "403"
    status, _, body = curl(host, f"https://{TENANT}/web/database/manager", resolve_to="127.0.0.1")
    assert status == "200" and json.loads(body)["path"] == "/web/database/manager"


def test_database_manager_allowed_from_the_allow_list(host):
    status, _, _ = curl(host, "https://odoo-rl.edge.test/web/database/manager", domain="odoo-rl.edge.test")
    assert status == "200"


def test_websocket_goes_to_the_websocket_upstream_uncompressed(host):
    # Upgrade answered by the websocket stand-in (101, RFC 6455 accept key of the sample key).
    result = host.run(
        f"curl -sS --http1.1 --max-time 3 --cacert {CA} --resolve {TENANT}:443:{ADDRESS} -D - -o /dev/null "
        "-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' "
        f"-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' https://{TENANT}/websocket"
    )
    lines = result.stdout.splitlines()
    assert lines and " 101" in lines[0], result.stdout + result.stderr
    assert "x-upstream: websocket" in result.stdout.lower()
    assert "s3pplmbitxaq9kygzzhzrbk+xoo=" in result.stdout.lower()
    # A plain request on /websocket also lands there, and is not compressed.
    status, headers, _ = curl(host, f"https://{TENANT}/websocket", "-H", "Accept-Encoding: gzip")
    assert status == "200" and headers["x-upstream"] == "websocket"
    assert "content-encoding" not in headers


def test_maintenance_tenant_answers_503(host):
    status, _, _ = curl(host, "https://odoo-m.edge.test/web/login", domain="odoo-m.edge.test")
    assert status == "503"


def test_retired_tenant_is_gone(host):
    assert not host.file("/etc/traefik/dynamic/tenant-retired.yml").exists
    status, _, _ = curl(host, "https://retired.edge.test/", domain="retired.edge.test")
    assert status == "404"


def test_rate_limit_answers_429_after_the_burst(host):
    # odoo-rl: average 1/s, burst 5. At most 20 requests, 15 s.
    script = (
        "for i in $(seq 20); do "
        f"curl -s -o /dev/null --max-time 2 -w '%{{http_code}}\\n' --cacert {CA} --resolve odoo-rl.edge.test:443:{ADDRESS} "
        "https://odoo-rl.edge.test/odoo; done"
    )
    codes = host.run(f"timeout 15 sh -c {shlex.quote(script)}").stdout.split()
    assert "200" in codes and "429" in codes, codes
    assert codes.index("429") >= 4, codes


def test_ping_only_on_the_internal_entry_point(host):
    assert host.run("curl -sS --max-time 3 http://127.0.0.1:8082/ping").stdout == "OK"
    metrics = host.run("curl -sS --max-time 3 http://127.0.0.1:8082/metrics").stdout
    assert "traefik_entrypoint_requests_total" in metrics
    # Not on the public entry points: a host no tenant owns gets 404, a tenant's /ping is its upstream's.
    status, _, _ = curl(host, "https://nobody.edge.test/ping", domain="nobody.edge.test")
    assert status == "404"
    _, headers, _ = curl(host, f"https://{TENANT}/ping")
    assert headers["x-upstream"] == "web"
    assert host.run(f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 3 http://{ADDRESS}/ping").stdout in ("301", "308")
    assert host.run(f"curl -s --max-time 3 http://{ADDRESS}:8082/ping").rc != 0
    assert host.run("curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:8082/api/rawdata").stdout == "404"
    assert host.run("curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:8082/dashboard/").stdout == "404"


def test_traefik_runs_unprivileged_and_logs_no_error(host):
    assert host.service("traefik").is_running
    assert host.run("systemctl show -p User --value traefik").stdout.strip() == "traefik"
    for name in ("edge-test.crt", "edge-test.key"):
        f = host.file(f"/etc/traefik/tls/{name}")
        assert f.user == "traefik" and f.mode == 0o600
    errors = [line for line in host.file("/var/log/traefik/traefik.log").content_string.splitlines() if '"level":"error"' in line]
    assert not errors, errors[:5]
    access = host.file("/var/log/traefik/access.log").content_string.splitlines()
    assert access and json.loads(access[-1])["RequestHost"]


# --- Redis and Sentinel -----------------------------------------------------------------------------


def test_redis_refuses_commands_without_auth(host):
    for address in ("127.0.0.1", ADDRESS):
        out = host.run(f"redis-cli -h {address} SET probe 1")
        assert "NOAUTH" in out.stdout + out.stderr, out


def test_redis_accepts_commands_with_auth(host):
    out = host.run(f"{SECRETS_ENV} redis-cli --no-auth-warning -h {ADDRESS} SET probe 1 EX 60")
    assert out.stdout.strip() == "OK", out.stderr


def test_redis_settings_from_the_role(host):
    out = host.run(f"{SECRETS_ENV} redis-cli --no-auth-warning CONFIG GET maxmemory-policy appendonly protected-mode maxmemory")
    live = dict(zip(out.stdout.split()[0::2], out.stdout.split()[1::2], strict=True))
    assert live == {"maxmemory-policy": "volatile-lru", "appendonly": "yes", "protected-mode": "yes", "maxmemory": str(64 * 1024 * 1024)}


def test_redis_conf_is_seeded_not_owned(host):
    conf = host.file("/etc/redis/redis.conf")
    assert conf.contains("^include /etc/redis/redis-odoo-ops.conf$")
    assert conf.user == "redis" and conf.mode == 0o640
    assert host.file("/etc/redis/redis-odoo-ops.conf").mode == 0o640


def test_sentinel_knows_the_master(host):
    out = host.run("redis-cli -h 127.0.0.1 -p 26379 SENTINEL get-master-addr-by-name odoo")
    assert out.stdout.split() == [ADDRESS, "6379"]
    out = host.run(f"redis-cli -h {ADDRESS} -p 26379 SENTINEL master odoo")
    fields = out.stdout.split()
    info = dict(zip(fields[0::2], fields[1::2], strict=False))
    assert info["flags"] == "master" and info["quorum"] == "1"


def test_overcommit_is_configured(host):
    lines = host.file("/etc/sysctl.d/60-redis.conf").content_string.replace(" ", "").splitlines()
    assert "vm.overcommit_memory=1" in lines


# --- pg_router -------------------------------------------------------------------------------------


def haproxy_states(host):
    script = "import socket;s=socket.socket(socket.AF_UNIX);s.connect('/run/haproxy/admin.sock');s.sendall(b'show stat\\n');print(s.makefile().read())"
    out = host.run(f"python3 -c {shlex.quote(script)}").stdout
    states = {}
    for line in out.splitlines():
        cols = line.split(",")
        if len(cols) > 17 and cols[0] in ("primary", "replicas") and cols[1] not in ("FRONTEND", "BACKEND"):
            states[(cols[0], cols[1])] = cols[17]
    return states


def wait_states(host, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    states = haproxy_states(host)
    while time.monotonic() < deadline and any(not states.get(k, "").startswith(v) for k, v in wanted.items()):
        time.sleep(1)
        states = haproxy_states(host)
    return states


def routed_member(host, port=5000):
    script = f"import socket;s=socket.create_connection(('{ADDRESS}',{port}),timeout=3);print(s.recv(64).decode().strip())"
    return host.run(f"python3 -c {shlex.quote(script)}").stdout.strip()


def test_haproxy_config_is_valid(host):
    assert host.run("haproxy -c -f /etc/haproxy/haproxy.cfg").rc == 0


def test_router_follows_the_patroni_leader(host):
    before = {("primary", "pg-a"): "UP", ("primary", "pg-b"): "DOWN", ("replicas", "pg-a"): "DOWN", ("replicas", "pg-b"): "UP"}
    states = wait_states(host, before)
    assert all(states.get(k, "").startswith(v) for k, v in before.items()), states
    assert routed_member(host) == "pg-a"
    assert routed_member(host, 5001) == "pg-b"
    # "Failover": pg-b becomes the leader; the router follows without any change to its config.
    host.run("echo replica > /run/edge-stubs/18008 && echo primary > /run/edge-stubs/28008")
    try:
        after = {("primary", "pg-a"): "DOWN", ("primary", "pg-b"): "UP", ("replicas", "pg-a"): "UP", ("replicas", "pg-b"): "DOWN"}
        states = wait_states(host, after)
        assert all(states.get(k, "").startswith(v) for k, v in after.items()), states
        assert routed_member(host) == "pg-b"
    finally:
        host.run("echo primary > /run/edge-stubs/18008 && echo replica > /run/edge-stubs/28008")
        wait_states(host, before)


def test_router_stats_on_loopback_only(host):
    assert "haproxy_process" in host.run("curl -sS --max-time 3 http://127.0.0.1:7000/metrics").stdout
    assert host.run(f"curl -s --max-time 3 http://{ADDRESS}:7000/").rc != 0


@pytest.mark.parametrize("port", [5000, 5001])
def test_router_listens_on_private_address_and_loopback(host, port):
    listening = host.run("ss -Htln").stdout
    assert f"{ADDRESS}:{port}" in listening and f"127.0.0.1:{port}" in listening
