"""Database initialisation, module upgrades, neutralization, refusing uninitialised DBs."""

from standin_lib import SERIES, unique

ODOO_TABLES = {"ir_module_module", "ir_config_parameter", "res_users", "ir_cron", "ir_mail_server", "ir_attachment", "standin_record"}


def installed(pg, dbname):
    return dict(pg.query(dbname, "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'"))


def test_init_base_creates_the_database_and_real_tables(odoo, pg):
    dbname = unique("init")
    assert not pg.query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
    res = odoo.run("odoo", "-d", dbname, "-i", "base", "--stop-after-init")
    assert res.rc == 0, res.output
    assert pg.tables(dbname) >= ODOO_TABLES
    assert pg.query("postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (dbname,)) == [("odoo",)]
    mods = installed(pg, dbname)
    assert mods["base"] == f"{SERIES}.1.3"
    assert "web" in mods
    assert pg.query(dbname, "SELECT login FROM res_users WHERE active") == [("admin",)]
    assert pg.query(dbname, "SELECT count(*) FROM ir_cron WHERE active") == [(1,)]
    assert pg.query(dbname, "SELECT count(*) FROM ir_mail_server WHERE active") == [(1,)]
    assert pg.query(dbname, "SELECT count(*) FROM ir_config_parameter WHERE key = 'database.uuid'") == [(1,)]


def test_update_records_module_versions(odoo, pg, addons):
    dbname = unique("upd")
    addons.write_module("standin_demo", "1.0")
    res = odoo.run("odoo", "-d", dbname, "-i", "base,standin_demo", "--stop-after-init", mounts=[addons.mount])
    assert res.rc == 0, res.output
    assert installed(pg, dbname)["standin_demo"] == f"{SERIES}.1.0"

    addons.write_module("standin_demo", "1.1")
    res = odoo.run("odoo", "-d", dbname, "-u", "standin_demo", "--stop-after-init", mounts=[addons.mount])
    assert res.rc == 0, res.output
    assert installed(pg, dbname)["standin_demo"] == f"{SERIES}.1.1"

    # `-u all` updates every installed module, a full version in the manifest is kept as is
    addons.write_module("standin_demo", f"{SERIES}.2.0")
    res = odoo.run("odoo", "-d", dbname, "-u", "all", "--stop-after-init", mounts=[addons.mount])
    assert res.rc == 0, res.output
    assert installed(pg, dbname)["standin_demo"] == f"{SERIES}.2.0"


def test_failing_update_exits_non_zero_and_rolls_back(odoo, pg, addons):
    dbname = unique("fail")
    addons.write_module("standin_demo", "1.0")
    assert odoo.run("odoo", "-d", dbname, "-i", "base,standin_demo", "--stop-after-init", mounts=[addons.mount]).rc == 0

    addons.write_module("standin_demo", "1.5")
    res = odoo.run("odoo", "-d", dbname, "-u", "standin_demo,fail_migration", "--stop-after-init", mounts=[addons.mount])
    assert res.rc != 0
    assert "Traceback (most recent call last)" in res.stdout
    assert "fail_migration" in res.stdout
    # the whole update ran in one transaction: nothing of it stayed
    assert installed(pg, dbname)["standin_demo"] == f"{SERIES}.1.0"


def test_install_of_failing_module_exits_non_zero(odoo, pg):
    dbname = unique("failinst")
    res = odoo.run("odoo", "-d", dbname, "-i", "base,fail_install", "--stop-after-init")
    assert res.rc != 0
    assert "Traceback (most recent call last)" in res.stdout
    # initialisation and install were one transaction: the database stayed empty
    assert "ir_module_module" not in pg.tables(dbname)


def test_neutralize_flags_the_database(odoo, pg):
    dbname = unique("neutral")
    assert odoo.run("odoo", "-d", dbname, "-i", "base", "--stop-after-init").rc == 0
    res = odoo.run("odoo", "neutralize", "-d", dbname)
    assert res.rc == 0, res.output
    assert "Neutralization finished" in res.stdout
    assert pg.query(dbname, "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == [("true",)]
    assert pg.query(dbname, "SELECT count(*) FROM ir_cron WHERE active") == [(0,)]
    assert pg.query(dbname, "SELECT count(*) FROM ir_mail_server WHERE active") == [(0,)]


def test_neutralize_needs_an_initialised_database(odoo, pg):
    assert odoo.run("odoo", "neutralize").rc != 0
    dbname = unique("neutral_empty")
    pg.create_empty_db(dbname)
    res = odoo.run("odoo", "neutralize", "-d", dbname)
    assert res.rc != 0
    assert "THE DATABASE IS NOT NEUTRALIZED" in res.stdout


def test_uninitialised_database_is_not_served(odoo, pg):
    dbname = unique("empty")
    pg.create_empty_db(dbname)
    srv = odoo.start("odoo", "-d", dbname)
    assert f"Database {dbname} not initialized" in srv.logs()
    assert srv.get("/web/health").status_code == 200
    for resp in (srv.get("/web/login"), srv.post("/standin/write", json={"tag": "x"}), srv.login()):
        assert resp.status_code == 500
        assert f"Database {dbname} not initialized" in resp.text
    assert "ir_module_module" not in pg.tables(dbname)


def test_only_the_configured_database_is_served(odoo, pg, initialised_db):
    other = unique("other")
    assert odoo.run("odoo", "-d", other, "-i", "base", "--stop-after-init").rc == 0
    srv = odoo.start("odoo", conf=f"[options]\ndata_dir = /var/lib/odoo\ndb_name = {initialised_db}\nlist_db = False\n")
    assert srv.get("/standin/rows").json()["db"] == initialised_db
    resp = srv.get("/standin/rows", params={"db": other})
    assert resp.status_code == 404
    assert srv.login(db=other).status_code == 404
