"""The image and its entrypoint honour the official odoo image's contract."""

import json
import time

import pytest
from standin_lib import docker

NO_DB_HOST = "odoo-ops-standin-no-such-host"


def test_image_metadata(images):
    cfg = json.loads(docker("image", "inspect", images["standin"]).stdout)[0]["Config"]
    assert cfg["User"] == "odoo"
    assert cfg["Entrypoint"] == ["/entrypoint.sh"]
    assert cfg["Cmd"] == ["odoo"]
    assert set(cfg["ExposedPorts"]) == {"8069/tcp", "8071/tcp", "8072/tcp"}
    assert set(cfg["Volumes"]) == {"/var/lib/odoo", "/mnt/extra-addons"}
    env = dict(e.split("=", 1) for e in cfg["Env"])
    assert env["ODOO_RC"] == "/etc/odoo/odoo.conf"
    assert not [k for k in env if "PASSWORD" in k or "SECRET" in k], env


def test_shipped_config_and_user(odoo):
    res = odoo.run("bash", "-c", "cat $ODOO_RC; id -un; stat -c %U /var/lib/odoo /mnt/extra-addons /etc/odoo/odoo.conf",
                   env={"HOST": NO_DB_HOST})
    assert res.rc == 0, res.output
    lines = res.stdout.splitlines()
    options = lines[:3]
    assert options == ["[options]", "addons_path = /mnt/extra-addons", "data_dir = /var/lib/odoo"]
    assert lines[-4:] == ["odoo", "odoo", "odoo", "odoo"]


def test_other_commands_are_executed_as_is_without_db_wait(odoo):
    start = time.monotonic()
    res = odoo.run("bash", "-c", "echo executed-as-is; id -un", env={"HOST": NO_DB_HOST, "ODOO_STANDIN_DB_WAIT_TIMEOUT": "20"})
    assert res.rc == 0, res.output
    assert res.stdout.split() == ["executed-as-is", "odoo"]
    assert time.monotonic() - start < 15, "bash must not wait for the database"


@pytest.mark.parametrize("cmd", [("odoo", "--version"), ("--", "--version"), ("--version",)], ids=["odoo", "double-dash", "dash-option"])
def test_odoo_dispatch_waits_for_db_then_runs_odoo(odoo, cmd):
    ok = odoo.run(*cmd)
    assert ok.rc == 0, ok.output
    assert ok.stdout.startswith("Odoo Server 17.0"), ok.output
    failed = odoo.run(*cmd, env={"HOST": NO_DB_HOST, "ODOO_STANDIN_DB_WAIT_TIMEOUT": "1"})
    assert failed.rc != 0
    assert "Database connection failure" in failed.stderr
    assert "Odoo Server" not in failed.stdout


def test_db_wait_failure_exits_non_zero(odoo):
    # PostgreSQL is up but nothing listens on that port: the wait gives up after its timeout.
    start = time.monotonic()
    res = odoo.run("odoo", "-d", "whatever", env={"PORT": "5999", "ODOO_STANDIN_DB_WAIT_TIMEOUT": "3"}, timeout=30)
    elapsed = time.monotonic() - start
    assert res.rc != 0
    assert "Database connection failure" in res.stderr
    assert 3 <= elapsed < 20


def test_scaffold_does_not_wait_for_db(odoo):
    res = odoo.run("odoo", "scaffold", "my_module", "/tmp", env={"HOST": NO_DB_HOST, "ODOO_STANDIN_DB_WAIT_TIMEOUT": "20"})
    assert res.rc == 0, res.output


def test_db_args_added_from_environment(odoo, pg):
    srv = odoo.start("odoo", env={"HOST": pg.ip, "PORT": "5432", "USER": "odoo", "PASSWORD": pg.odoo_password})
    argv = srv.cmdline()
    assert argv[-8:] == ["--db_host", pg.ip, "--db_port", "5432", "--db_user", "odoo", "--db_password", pg.odoo_password], argv
    assert srv.get("/web/health", params={"db_server_status": "1"}).json() == {"status": "pass", "db_server_status": True}


def test_odoo_rc_values_are_still_passed_on_the_command_line(odoo, pg):
    # The official 17.0/18.0 entrypoint reads db_* from odoo.conf and passes them again as
    # arguments: a password kept in odoo.conf is visible in `ps` when /entrypoint.sh starts odoo.
    # (That is why the odoo role starts the `odoo` program directly.)
    conf = ("[options]\naddons_path = /mnt/extra-addons\ndata_dir = /var/lib/odoo\n"
            f"db_host = {pg.ip}\ndb_port = 5432\ndb_user = odoo\ndb_password = {pg.odoo_password}\n")
    # The environment points elsewhere: the values come from odoo.conf.
    srv = odoo.start("odoo", conf=conf, env={"HOST": NO_DB_HOST, "PASSWORD": "wrong"})
    argv = srv.cmdline()
    assert argv[-8:] == ["--db_host", pg.ip, "--db_port", "5432", "--db_user", "odoo", "--db_password", pg.odoo_password], argv
    assert srv.get("/web/health", params={"db_server_status": "1"}).json()["db_server_status"] is True


def test_odoo_rc_values_win_over_the_environment(odoo, pg):
    conf = f"[options]\ndata_dir = /var/lib/odoo\ndb_password = {pg.odoo_password}\n"
    srv = odoo.start("odoo", conf=conf, env={"HOST": pg.ip, "PASSWORD": "wrong"})
    argv = srv.cmdline()
    assert argv[argv.index("--db_password") + 1] == pg.odoo_password and "--db_host" in argv and "wrong" not in argv, argv


def test_odoo_program_started_directly_keeps_the_password_off_the_command_line(odoo, pg):
    # What the odoo role does (entrypoint ["odoo"], -c odoo.conf); here the entrypoint's
    # exec-as-is branch starts the program the same way.
    conf = ("[options]\naddons_path = /mnt/extra-addons\ndata_dir = /var/lib/odoo\n"
            f"db_host = {pg.ip}\ndb_port = 5432\ndb_user = odoo\ndb_password = {pg.odoo_password}\n")
    srv = odoo.start("/usr/bin/odoo", "-c", "/etc/odoo/odoo.conf", conf=conf, env={"HOST": NO_DB_HOST, "PASSWORD": "wrong"})
    argv = srv.cmdline()
    assert pg.odoo_password not in " ".join(argv), argv
    assert srv.get("/web/health", params={"db_server_status": "1"}).json()["db_server_status"] is True


def test_pg_environment_variables_skip_db_args(odoo, pg):
    srv = odoo.start("odoo", env={"HOST": NO_DB_HOST, "PGHOST": pg.ip, "PASSWORD": "", "PGPASSWORD": pg.odoo_password})
    argv = srv.cmdline()
    assert "--db_host" not in argv and "--db_password" not in argv, argv
    assert srv.get("/web/health", params={"db_server_status": "1"}).status_code == 200


def test_password_file_overrides_password(odoo, pg, tmp_path):
    secret = tmp_path / "db_password"
    secret.write_text(pg.odoo_password + "\n")
    secret.chmod(0o644)
    dbname = f"pwfile_{int(time.time() * 1000) % 10**8}"
    res = odoo.run("odoo", "-d", dbname, "-i", "base", "--stop-after-init",
                   env={"PASSWORD": "wrong", "PASSWORD_FILE": "/run/secrets/db_password"},
                   mounts=[(str(secret), "/run/secrets/db_password:ro")])
    assert res.rc == 0, res.output
    assert "base" in {r[0] for r in pg.query(dbname, "SELECT name FROM ir_module_module WHERE state = 'installed'")}


def test_server_runs_as_odoo(odoo):
    srv = odoo.start("odoo")
    assert srv.exec("id", "-un").stdout.strip() == "odoo"
    status = srv.exec("cat", "/proc/1/status").stdout
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert set(uid_line.split()[1:]) != {"0"}
    assert srv.exec("cat", "/proc/1/comm").stdout.strip() in ("odoo", "python3")


def test_unknown_option_is_rejected_like_optparse(odoo):
    res = odoo.run("odoo", "--no-such-option")
    assert res.rc == 2
    assert "no such option: --no-such-option" in res.stderr


def test_postgres_superuser_is_refused(odoo, pg):
    res = odoo.run("odoo", "--stop-after-init", env={"USER": "postgres", "PASSWORD": pg.superuser_password})
    assert res.rc != 0
    assert "Using the database user 'postgres' is a security risk, aborting." in res.stderr
