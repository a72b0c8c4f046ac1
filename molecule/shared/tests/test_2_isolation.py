"""Isolation between the three shared tenants on app1 (acme, beta, acme_stage), after test_1_deploy.py.

- database: a tenant's role connects to its own database and to `postgres`, never to another tenant's;
- network: from inside a tenant's containers, a real TCP connection to another tenant's containers
  (their addresses on the other tenant's network, ports 8069 and 8072) does not open, while the other
  tenant's own cron container reaches them (the positive control: the port is open, just not for A);
- routing: through Traefik each domain reaches its own tenant's database, an unknown host gets 404.
Every connection attempt is bounded (3 s connect timeout, 20 s per docker exec).
"""

import itertools
import json
import shlex

import pytest
from tenant_ops import CA, DB_PASSWORDS, DOMAINS, through_traefik

PAIRS = list(itertools.permutations(sorted(DOMAINS), 2))

CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print("open")
except OSError as error:
    print("closed " + type(error).__name__)
"""


def _connect_db(host, user, db):
    return host.run(f"PGPASSWORD={shlex.quote(DB_PASSWORDS[user])} PGCONNECT_TIMEOUT=5 psql -XAtq -h 127.0.0.1 -U {user} -d {db} "
                    "-c 'SELECT current_database()'")


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_tenant_role_reaches_its_database_and_postgres(host, name):
    assert _connect_db(host, name, name).stdout.strip() == name
    assert _connect_db(host, name, "postgres").rc == 0


@pytest.mark.parametrize(("user", "other"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_tenant_role_is_refused_by_another_tenants_database(host, user, other):
    refused = _connect_db(host, user, other)
    assert refused.rc != 0 and "permission denied for database" in refused.stderr, refused.stdout + refused.stderr


def container_ip(host, container):
    ip = host.run("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + container).stdout.strip()
    assert ip, f"{container} has no address"
    return ip


def tcp_from(host, container, ip, port):
    """'open' or 'closed <error>' for a TCP connection attempt from inside `container`."""
    cmd = host.run(f"timeout 20 docker exec {container} python3 -c {shlex.quote(CONNECT)} {ip} {port}")
    assert cmd.rc == 0, cmd.stdout + cmd.stderr
    return cmd.stdout.strip()


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_tenants_container_cannot_open_tcp_to_another_tenants(host, source, target):
    target_ip = container_ip(host, f"{target}-web-1")
    # Positive control: the port is open, on the target's own network.
    assert tcp_from(host, f"{target}-cron-1", target_ip, 8069) == "open"
    for service in ("web", "cron"):
        for port in (8069, 8072):
            answer = tcp_from(host, f"{source}-{service}-1", target_ip, port)
            assert answer.startswith("closed"), f"{source}-{service}-1 reached {target}-web-1 ({target_ip}:{port})"


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_each_domain_reaches_only_its_tenant_through_traefik(host, name):
    status, _headers, body = through_traefik(host, name, "/standin/info")
    assert status == 200, body
    assert json.loads(body)["db_name"] in (name, [name])


def test_an_unknown_host_gets_404_from_traefik(host):
    cmd = host.run(f"curl -sS --max-time 10 --cacert {CA} --resolve nobody.example.test:443:127.0.0.1 -o /dev/null "
                   "-w '%{http_code}' https://nobody.example.test/web/health")
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip() == "404"
