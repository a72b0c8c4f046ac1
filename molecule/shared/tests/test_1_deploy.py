"""Behaviour of the odoo role on app1 (create): three stand-in tenants (acme, beta, acme_stage) behind loopback ports.

Every request goes to 127.0.0.1 on app1 (through testinfra's docker connection) and is bounded.
"""

import json
import shlex

import pytest

TENANTS = {
    # name: (web port, websocket port, first domain, db password) -- test-only secrets, see molecule.yml
    "acme": (18010, 18011, "acme.example.test", "acme-db-pw-8c1f"),
    "beta": (18020, 18021, "beta.example.test", "beta-db-pw-51d0"),
    "acme_stage": (18030, 18031, "acme-stage.example.test", "stage-db-pw-7e2a"),
}
REDIS_PASSWORD = "redis-test-password-0123"

HTTP = r"""
import http.client, json, sys
port, method, path, host, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
headers = {"Host": host}
if body:
    headers["Content-Type"] = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
conn.request(method, path, body=body or None, headers=headers)
r = conn.getresponse()
print(json.dumps({"status": r.status, "body": r.read().decode("utf-8", "replace"), "cookie": r.getheader("Set-Cookie") or ""}))
"""

WEBSOCKET = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("GET /websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % sys.argv[2]).encode())
print(s.recv(4096).decode("latin-1").split("\r\n")[0])
"""


def request(host, port, path, method="GET", vhost="localhost", body=""):
    cmd = host.run(f"python3 -c {shlex.quote(HTTP)} {port} {method} {shlex.quote(path)} {shlex.quote(vhost)} {shlex.quote(body)}")
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout)


def psql(host, sql, db="postgres"):
    cmd = host.run(f"runuser -u postgres -- psql -XAtq -d {shlex.quote(db)} -c {shlex.quote(sql)}")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_health_with_database_through_loopback_port(host, name):
    port, _ws, domain, _pw = TENANTS[name]
    answer = request(host, port, "/web/health?db_server_status=1", vhost=domain)
    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"status": "pass", "db_server_status": True}


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_ports_listen_on_loopback_only(host, name):
    port, ws, _domain, _pw = TENANTS[name]
    listening = host.run("ss -Hltn").stdout
    for p in (port, ws):
        assert f"127.0.0.1:{p} " in listening
        assert f"0.0.0.0:{p} " not in listening and f"*:{p} " not in listening


def test_write_endpoint_row_is_in_the_tenant_database(host):
    port, _ws, domain, _pw = TENANTS["acme"]
    answer = request(host, port, "/standin/write", "POST", domain, json.dumps({"tag": "verify-app"}))
    assert answer["status"] == 200, answer
    written = json.loads(answer["body"])
    assert written["db"] == "acme"
    row = psql(host, f"SELECT tag FROM standin_record WHERE id = {int(written['id'])}", db="acme")
    assert row == "verify-app"
    # The filestore file is in the tenant's bind-mounted data directory on the host.
    assert host.file(f"/srv/odoo/acme/data/filestore/acme/{written['store_fname']}").exists


def test_catalogue_modules_installed(host):
    installed = psql(host, "SELECT string_agg(name, ',' ORDER BY name) FROM ir_module_module WHERE state = 'installed'", db="acme")
    assert {"base", "sale", "project"} <= set(installed.split(","))


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_websocket_upgrade_on_8072(host, name):
    _port, ws, domain, _pw = TENANTS[name]
    cmd = host.run(f"python3 -c {shlex.quote(WEBSOCKET)} {ws} {domain}")
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.startswith("HTTP/1.1 101"), cmd.stdout


def test_database_manager_is_off(host):
    port, _ws, domain, _pw = TENANTS["acme"]
    answer = request(host, port, "/web/database/list", "POST", domain, json.dumps({"jsonrpc": "2.0", "params": {}}))
    assert "AccessDenied" in answer["body"]


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_db_password_not_in_process_list(host, name):
    password = TENANTS[name][3]
    assert password not in host.run("ps auxww").stdout
    # "[x]" for the last character, so that the pattern does not match grep's own command line.
    pattern = password[:-1] + "[" + password[-1] + "]"
    assert host.run(f"grep -rlaE {shlex.quote(pattern)} /proc/[0-9]*/cmdline 2>/dev/null").stdout.strip() == ""


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_db_password_only_in_protected_files(host, name):
    password = TENANTS[name][3]
    holders = host.run(f"grep -rlF {shlex.quote(password)} /srv/odoo").stdout.split()
    assert holders == [f"/srv/odoo/{name}/odoo.conf"]
    conf = host.file(holders[0])
    assert conf.user == "root" and conf.mode == 0o640
    # Nothing under /srv/odoo that is world-readable carries a secret.
    world_readable = host.run("find /srv/odoo -type f -perm -o=r").stdout.split()
    for path in world_readable:
        assert host.run(f"grep -qF {shlex.quote(password)} {shlex.quote(path)}").rc != 0
    assert host.file(f"/srv/odoo/{name}/session.env").mode == 0o600


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_tenant_role_has_no_privileges(host, name):
    flags = psql(host, f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '{name}'")
    assert flags == "f|f|f|f"


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_cron_service_runs_jobs(host, name):
    cron = host.run("docker inspect -f '{{.State.Status}} {{json .Config.Cmd}}' " + f"{name}-cron-1").stdout
    assert cron.startswith("running") and "--no-http" in cron
    # The stand-in's cron loop runs every 5 s in this scenario (ODOO_STANDIN_CRON_INTERVAL); allow 30 s.
    cmd = host.run(f"for i in $(seq 30); do n=$(runuser -u postgres -- psql -XAtq -d {name} -c 'SELECT max(standin_run_count) FROM ir_cron');"
                   ' [ "${n:-0}" -gt 0 ] && echo $n && exit 0; sleep 1; done; exit 1')
    assert cmd.rc == 0, cmd.stdout + cmd.stderr
    web = host.run("docker inspect -f '{{json .Config.Cmd}}' " + f"{name}-web-1").stdout
    assert "--max-cron-threads=0" in web


def test_sessions_go_to_redis_with_the_tenant_prefix(host):
    port, _ws, domain, _pw = TENANTS["acme"]
    answer = request(host, port, "/web/login", "POST", domain, "login=admin&password=admin")
    assert answer["status"] == 303 and "session_id=" in answer["cookie"], answer
    keys = host.run(f"REDISCLI_AUTH={REDIS_PASSWORD} redis-cli --scan --pattern 'session:acme:*'").stdout.split()
    assert keys, "no session:acme:* key in Redis"
    for other in ("beta", "acme_stage"):
        assert host.run(f"REDISCLI_AUTH={REDIS_PASSWORD} redis-cli --scan --pattern 'session:{other}:*'").stdout.strip() == ""


def test_containers_are_limited_and_separated(host):
    out = host.run("docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.Init}} "
                   "{{.HostConfig.RestartPolicy.Name}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' acme-web-1").stdout.split()
    assert out == ["1000000000", str(1536 * 1024 * 1024), "256", "true", "unless-stopped", "acme_default"]
    for other in ("beta", "acme_stage"):
        for service in ("web", "cron"):
            net = host.run("docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' " + f"{other}-{service}-1").stdout.strip()
            assert net == f"{other}_default"


def test_image_user_ids_kept_per_image_id(host):
    """images.yml keeps the odoo user's IDs read from the image as ID.UID.GID; they are the data directories' owner."""
    image = host.check_output("docker inspect --format '{{.Config.Image}}' acme-web-1")
    image_id = host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {shlex.quote(image)}").removeprefix("sha256:")
    ids = host.check_output(f"docker run --rm --network none --entrypoint id {shlex.quote(image)} -u odoo") + "." + host.check_output(
        f"docker run --rm --network none --entrypoint id {shlex.quote(image)} -g odoo"
    )
    assert host.file(f"/srv/odoo/.image-users/{image_id}.{ids}").is_file
    assert host.check_output("ls /srv/odoo/.image-users").split() == [f"{image_id}.{ids}"]
    for name in TENANTS:
        data = host.file(f"/srv/odoo/{name}/data")
        assert f"{data.uid}.{data.gid}" == ids, name
