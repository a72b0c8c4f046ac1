"""HTTP side of the stand-in: health, ports, websocket, write endpoint, database manager,
proxy mode, file sessions, cron service, SIGTERM."""

import time

import pytest
from standin_lib import PG2_IP, docker, port_open, remove_later, start_postgres, wait_until, websocket_exchange


@pytest.fixture
def server(odoo, initialised_db):
    return odoo.start("odoo", "-d", initialised_db)


def test_health(server):
    resp = server.get("/web/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "pass"}
    resp = server.get("/web/health", params={"db_server_status": "1"})
    assert (resp.status_code, resp.json()) == (200, {"status": "pass", "db_server_status": True})


def test_health_fails_when_postgresql_stops(images, odoo):
    pg2 = start_postgres(images, "odoo-ops-standin-pg2", PG2_IP)
    try:
        srv = odoo.start("odoo", env={"HOST": pg2.ip, "PASSWORD": pg2.odoo_password})
        assert srv.get("/web/health", params={"db_server_status": "1"}).status_code == 200
        docker("stop", "-t", "10", pg2.name, timeout=30)
        resp = srv.get("/web/health", params={"db_server_status": "1"})
        assert resp.status_code == 500
        assert resp.json() == {"status": "fail", "db_server_status": False}
        # without the parameter the check does not touch PostgreSQL
        assert srv.get("/web/health").status_code == 200
    finally:
        remove_later(pg2.name)


def test_gevent_port_closed_without_workers(server):
    assert port_open(server.ip, 8069)
    assert not port_open(server.ip, 8072)
    # threaded mode (workers = 0) serves the websocket on the HTTP port
    status, _headers, echo = websocket_exchange(server.ip, 8069, "ping-threaded")
    assert (status, echo) == (101, "ping-threaded")


def test_websocket_on_gevent_port_with_workers(odoo, initialised_db):
    srv = odoo.start("odoo", "-d", initialised_db, "--workers", "2")
    wait_until(lambda: port_open(srv.ip, 8072), timeout=10, what="port 8072")
    status, headers, echo = websocket_exchange(srv.ip, 8072, '{"event_name": "subscribe"}')
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"
    assert echo == '{"event_name": "subscribe"}'
    # prefork Odoo cannot upgrade websockets on the HTTP port
    status, _headers, _echo = websocket_exchange(srv.ip, 8069, "x")
    assert status == 500


def test_gevent_port_from_config(odoo, initialised_db):
    conf = f"[options]\ndata_dir = /var/lib/odoo\ndb_name = {initialised_db}\nworkers = 2\nlongpolling_port = 8090\nhttp_port = 8079\n"
    srv = odoo.start("odoo", conf=conf, wait_port=8079)
    wait_until(lambda: port_open(srv.ip, 8090), timeout=10, what="port 8090")
    assert not port_open(srv.ip, 8072)
    assert websocket_exchange(srv.ip, 8090, "alias")[2] == "alias"


def test_write_endpoint_inserts_rows_and_filestore_files(server, pg, initialised_db):
    before = server.get("/standin/rows", params={"tag": "w1"}).json()["count"]
    ids = []
    for _ in range(3):
        resp = server.post("/standin/write", json={"tag": "w1"})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["db"] == initialised_db
        assert body["server_addr"] == pg.ip
        assert body["in_recovery"] is False
        ids.append(body["id"])
        server.exec("test", "-s", body["filestore_path"])
        assert body["filestore_path"].startswith(f"/var/lib/odoo/filestore/{initialised_db}/")
    rows = pg.query(initialised_db, "SELECT id, tag, server_addr FROM standin_record WHERE id = ANY(%s) ORDER BY id", (ids,))
    assert rows == [(i, "w1", pg.ip) for i in ids]
    atts = pg.query(initialised_db, "SELECT count(*) FROM ir_attachment WHERE res_model = 'standin.record' AND res_id = ANY(%s)", (ids,))
    assert atts == [(3,)]
    rows = server.get("/standin/rows", params={"tag": "w1"}).json()
    assert rows["count"] == before + 3
    assert rows["missing_count"] == 0


def test_list_db_false_disables_the_database_manager(odoo, initialised_db):
    srv = odoo.start("odoo", conf="[options]\ndata_dir = /var/lib/odoo\nlist_db = False\n")
    for path in ("/web/database/manager", "/web/database/selector"):
        resp = srv.get(path)
        assert "The database manager has been disabled by the administrator" in resp.text
        assert initialised_db not in resp.text
    listing = srv.post("/web/database/list", json={"jsonrpc": "2.0", "method": "call", "params": {}}).json()
    assert listing["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    backup = srv.post("/web/database/backup", data={"master_pwd": "admin", "name": initialised_db, "backup_format": "zip"})
    assert "Access Denied" in backup.text
    assert backup.headers["Content-Type"].startswith("text/html")

    enabled = odoo.start("odoo")
    resp = enabled.get("/web/database/manager")
    assert resp.status_code == 200
    assert initialised_db in resp.text
    assert initialised_db in enabled.post("/web/database/list", json={"jsonrpc": "2.0", "params": {}}).json()["result"]


def test_proxy_mode(odoo, initialised_db):
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "erp.example.test"}
    plain = odoo.start("odoo", "-d", initialised_db)
    info = plain.get("/standin/info", headers=forwarded).json()
    assert (info["scheme"], info["remote_addr"]) == ("http", info["peer"])
    assert plain.get("/", headers=forwarded).headers["Location"] == f"http://{plain.ip}:8069/web"

    proxied = odoo.start("odoo", "-d", initialised_db, "--proxy-mode")
    info = proxied.get("/standin/info", headers=forwarded).json()
    assert (info["scheme"], info["host"], info["remote_addr"]) == ("https", "erp.example.test", "203.0.113.7")
    assert proxied.get("/", headers=forwarded).headers["Location"] == "https://erp.example.test/web"
    # like Odoo (werkzeug ProxyFix), nothing is trusted without X-Forwarded-Host
    info = proxied.get("/standin/info", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}).json()
    assert (info["scheme"], info["remote_addr"]) == ("http", info["peer"])
    wait_until(lambda: "203.0.113.7" in proxied.logs(), timeout=10, what="forwarded address in the request log")


def test_sessions_in_data_dir(server, initialised_db):
    bad = server.login(password="wrong").json()
    assert bad["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    resp = server.login()
    result = resp.json()["result"]
    assert result["uid"] == 2 and result["db"] == initialised_db
    sid = resp.cookies["session_id"]
    server.exec("test", "-f", f"/var/lib/odoo/sessions/{sid[:2]}/{sid}")
    info = server.get("/standin/session", cookies={"session_id": sid})
    assert info.status_code == 200
    assert info.json()["uid"] == 2
    assert server.get("/standin/session").status_code == 401
    assert server.get("/standin/session", cookies={"session_id": "x" * 84}).status_code == 401
    # form login as well
    form = server.post("/web/login", data={"login": "admin", "password": "admin"})
    assert form.status_code == 303 and "session_id" in form.cookies


def test_one_log_line_per_request(server):
    for i in range(3):
        server.get("/web/health", params={"n": i})

    def counts():
        lines = server.logs().splitlines()
        return [sum(1 for line in lines if f'"GET /web/health?n={i} HTTP/1.1" 200' in line) for i in range(3)]

    # the line is written once the response is sent: give docker logs a moment
    wait_until(lambda: all(counts()), timeout=10, what="request log lines")
    assert counts() == [1, 1, 1]


def test_cron_service_without_http(odoo, pg, initialised_db):
    before = pg.query(initialised_db, "SELECT max(standin_run_count) FROM ir_cron")[0][0]
    srv = odoo.start("odoo", "-d", initialised_db, "--no-http", "--max-cron-threads", "1", env={"ODOO_STANDIN_CRON_INTERVAL": "1"}, wait_port=None)
    wait_until(lambda: pg.query(initialised_db, "SELECT max(standin_run_count) FROM ir_cron")[0][0] > before, timeout=20, what="a cron run")
    assert not port_open(srv.ip, 8069)
    assert not port_open(srv.ip, 8072)
    assert "HTTP service disabled" in srv.logs()


def test_sigterm_stops_cleanly(server):
    start = time.monotonic()
    docker("stop", "-t", "10", server.name, timeout=30)
    assert time.monotonic() - start < 5
    assert docker("inspect", "-f", "{{.State.ExitCode}}", server.name).stdout.strip() == "0"
    assert "Stopped" in server.logs()
