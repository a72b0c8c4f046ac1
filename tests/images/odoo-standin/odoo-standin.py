#!/usr/bin/python3
# TEST STAND-IN, NOT ODOO.  Installed as /usr/bin/odoo in the odoo-ops/odoo-standin test image.
"""odoo-standin: a small program that honours the parts of the Odoo server's contract a
deployer can see (command line, odoo.conf, ports, health check, database initialisation and
module upgrades, neutralization, sessions on disk or in Redis via Sentinel, filestore,
websocket port), so the deploy roles of odoo_ops.hosting can be tested without Odoo.

Only the Python standard library plus python3-psycopg (3.1) and python3-redis (4.3).
What it implements and where it differs from Odoo: README.md next to the Dockerfile.
"""

from __future__ import annotations

import ast
import base64
import configparser
import hashlib
import json
import logging
import os
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

SERIES = os.environ.get("ODOO_VERSION", "17.0")
SERIES_MAJOR = int(SERIES.split(".")[0]) if SERIES.split(".")[0].isdigit() else 17
PRODUCT = f"Odoo Server {SERIES} (odoo-standin: a test stand-in, not Odoo)"
DBNAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
INIT_LOCK_KEY = 0x0D00_5A1D  # pg_advisory_xact_lock key serialising module operations per database

log = logging.getLogger("odoo")
_db_ctx = threading.local()


class UsageError(Exception):
    pass


class Fatal(Exception):
    """Stops the program with a message and an exit status (like Odoo's die())."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------------------------
# Command line: the option names of Odoo 17-19's `odoo server`.  Options the stand-in does not
# use are accepted and ignored; a name that is not an Odoo option is rejected, as optparse does.
# kind: str / int / float take a value; flag stores True; noflag stores False; demo = --without-demo
# (takes a value up to 17.0, a flag from 18.0 on: follows $ODOO_VERSION)
OPTIONS = [
    (("-c", "--config"), "config", "str"),
    (("-s", "--save"), "save", "flag"),
    (("-i", "--init"), "init", "str"),
    (("-u", "--update"), "update", "str"),
    (("--without-demo",), "without_demo", "demo"),
    (("--with-demo",), "with_demo", "flag"),
    (("--skip-auto-install",), "skip_auto_install", "flag"),
    (("-P", "--import-partial"), "import_partial", "str"),
    (("--pidfile",), "pidfile", "str"),
    (("--addons-path",), "addons_path", "str"),
    (("--upgrade-path",), "upgrade_path", "str"),
    (("--pre-upgrade-scripts",), "pre_upgrade_scripts", "str"),
    (("--load",), "server_wide_modules", "str"),
    (("-D", "--data-dir"), "data_dir", "str"),
    (("--http-interface",), "http_interface", "str"),
    (("-p", "--http-port"), "http_port", "int"),
    (("--gevent-port", "--longpolling-port"), "gevent_port", "int"),
    (("--no-http",), "http_enable", "noflag"),
    (("--proxy-mode",), "proxy_mode", "flag"),
    (("--x-sendfile",), "x_sendfile", "flag"),
    (("--db-filter",), "dbfilter", "str"),
    (("--test-file",), "test_file", "str"),
    (("--test-enable",), "test_enable", "flag"),
    (("--test-tags",), "test_tags", "str"),
    (("--screencasts",), "screencasts", "str"),
    (("--screenshots",), "screenshots", "str"),
    (("--logfile",), "logfile", "str"),
    (("--syslog",), "syslog", "flag"),
    (("--log-handler",), "log_handler", "str"),
    (("--log-web",), "log_web", "flag"),
    (("--log-sql",), "log_sql", "flag"),
    (("--log-db",), "log_db", "str"),
    (("--log-db-level",), "log_db_level", "str"),
    (("--log-level",), "log_level", "str"),
    (("--email-from",), "email_from", "str"),
    (("--from-filter",), "from_filter", "str"),
    (("--smtp",), "smtp_server", "str"),
    (("--smtp-port",), "smtp_port", "int"),
    (("--smtp-ssl",), "smtp_ssl", "flag"),
    (("--smtp-user",), "smtp_user", "str"),
    (("--smtp-password",), "smtp_password", "str"),
    (("--smtp-ssl-certificate-filename",), "smtp_ssl_certificate_filename", "str"),
    (("--smtp-ssl-private-key-filename",), "smtp_ssl_private_key_filename", "str"),
    (("-d", "--database"), "db_name", "str"),
    (("-r", "--db_user"), "db_user", "str"),
    (("-w", "--db_password"), "db_password", "str"),
    (("--pg_path",), "pg_path", "str"),
    (("--db_host",), "db_host", "str"),
    (("--db_port",), "db_port", "int"),
    (("--db_sslmode",), "db_sslmode", "str"),
    (("--db_maxconn",), "db_maxconn", "int"),
    (("--db_maxconn_gevent",), "db_maxconn_gevent", "int"),
    (("--db-template",), "db_template", "str"),
    (("--db_replica_host",), "db_replica_host", "str"),
    (("--db_replica_port",), "db_replica_port", "int"),
    (("--load-language",), "load_language", "str"),
    (("-l", "--language"), "language", "str"),
    (("--i18n-export",), "translate_out", "str"),
    (("--i18n-import",), "translate_in", "str"),
    (("--i18n-overwrite",), "overwrite_existing_translations", "flag"),
    (("--modules",), "translate_modules", "str"),
    (("--no-database-list",), "list_db", "noflag"),
    (("--dev",), "dev_mode", "str"),
    (("--shell-interface",), "shell_interface", "str"),
    (("--stop-after-init",), "stop_after_init", "flag"),
    (("--osv-memory-count-limit",), "osv_memory_count_limit", "int"),
    (("--transient-age-limit",), "transient_age_limit", "float"),
    (("--max-cron-threads",), "max_cron_threads", "int"),
    (("--limit-time-worker-cron",), "limit_time_worker_cron", "int"),
    (("--unaccent",), "unaccent", "flag"),
    (("--geoip-city-db", "--geoip-db"), "geoip_city_db", "str"),
    (("--geoip-country-db",), "geoip_country_db", "str"),
    (("--workers",), "workers", "int"),
    (("--limit-memory-soft",), "limit_memory_soft", "int"),
    (("--limit-memory-hard",), "limit_memory_hard", "int"),
    (("--limit-memory-soft-gevent",), "limit_memory_soft_gevent", "int"),
    (("--limit-memory-hard-gevent",), "limit_memory_hard_gevent", "int"),
    (("--limit-time-cpu",), "limit_time_cpu", "int"),
    (("--limit-time-real",), "limit_time_real", "int"),
    (("--limit-time-real-cron",), "limit_time_real_cron", "int"),
    (("--limit-request",), "limit_request", "int"),
    (("--version",), "version", "flag"),
    (("-h", "--help"), "help", "flag"),
]
NEUTRALIZE_OPTIONS = [(("--stdout",), "to_stdout", "flag")]

INT_KEYS = {dest for _names, dest, kind in OPTIONS if kind == "int"}
BOOL_KEYS = {dest for _names, dest, kind in OPTIONS if kind in ("flag", "noflag")}
SECRET_OPTIONS = {"-w", "--db_password", "--smtp-password"}

DEFAULTS = {
    "addons_path": "",
    "data_dir": os.path.join(os.path.expanduser("~"), ".local", "share", "Odoo"),
    "db_host": False,
    "db_port": False,
    "db_user": False,
    "db_password": False,
    "db_name": False,
    "db_sslmode": "prefer",
    "db_template": "template0",
    "db_maxconn": 64,
    "dbfilter": "",
    "list_db": True,
    "proxy_mode": False,
    "workers": 0,
    "max_cron_threads": 2,
    "http_enable": True,
    "http_interface": "",
    "http_port": 8069,
    "gevent_port": 8072,
    "admin_passwd": "admin",
    "without_demo": False,
    "stop_after_init": False,
    "init": "",
    "update": "",
    "log_level": "info",
    "server_wide_modules": "base,web",
    "limit_memory_soft": 2048 * 1024 * 1024,
    "limit_memory_hard": 2560 * 1024 * 1024,
    "limit_time_cpu": 60,
    "limit_time_real": 120,
    "limit_request": 65536,
}


def _index(specs):
    long_, short = {}, {}
    for names, dest, kind in specs:
        for n in names:
            (long_ if n.startswith("--") else short)[n] = (dest, kind)
    return long_, short


def _convert(name, kind, value):
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise UsageError(f"option {name}: invalid {'integer' if kind == 'int' else 'floating-point'} value: {value!r}") from None
    return value


def parse_args(argv, extra=()):
    """optparse-like: --opt=value, --opt value, -o value, -ovalue, unique prefixes of long names."""
    long_, short = _index(list(OPTIONS) + list(extra))
    opts, positional = {}, []
    argv = list(argv)
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positional.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, has_value, value = arg.partition("=")
            if name not in long_:
                candidates = sorted({n for n in long_ if n.startswith(name)})
                if len({long_[n] for n in candidates}) == 1:
                    name = candidates[0]
                elif not candidates:
                    raise UsageError(f"no such option: {name}")
                else:
                    raise UsageError(f"ambiguous option: {name} ({', '.join(candidates)}?)")
            dest, kind = long_[name]
            if kind in ("flag", "noflag"):
                if has_value:
                    raise UsageError(f"{name} option does not take a value")
                opts[dest] = kind == "flag"
            elif kind == "demo" and SERIES_MAJOR >= 18:
                # a flag since Odoo 18.0 (17.0 and older take a value, like any other string option)
                if has_value:
                    raise UsageError(f"{name} option does not take a value")
                opts[dest] = "all"
            else:
                if not has_value:
                    if i >= len(argv):
                        raise UsageError(f"{name} option requires 1 argument")
                    value = argv[i]
                    i += 1
                opts[dest] = _convert(name, kind, value)
        elif arg.startswith("-") and len(arg) > 1:
            name, rest = arg[:2], arg[2:]
            if name not in short:
                raise UsageError(f"no such option: {name}")
            dest, kind = short[name]
            if kind in ("flag", "noflag"):
                opts[dest] = kind == "flag"
                if rest:
                    argv.insert(i, "-" + rest)
            else:
                if not rest:
                    if i >= len(argv):
                        raise UsageError(f"{name} option requires 1 argument")
                    rest = argv[i]
                    i += 1
                opts[dest] = _convert(name, kind, rest)
        else:
            positional.append(arg)
    return opts, positional


def masked_argv(argv):
    out, hide = [], False
    for a in argv:
        if hide:
            out.append("***")
            hide = False
            continue
        name, eq, _v = a.partition("=")
        if name in SECRET_OPTIONS:
            if eq:
                out.append(name + "=***")
            else:
                out.append(a)
                hide = True
            continue
        out.append(a)
    return out


def _coerce_file_value(value):
    # Same rule as Odoo's config loader.
    if value in ("True", "true"):
        return True
    if value in ("False", "false"):
        return False
    if value == "None":
        return None
    return value


class Config(dict):
    """Odoo's option set: defaults < $ODOO_RC (or -c) [options] < command line."""

    rcfile = None
    deprecations: tuple = ()

    @classmethod
    def load(cls, cli):
        cfg = cls(DEFAULTS)
        cfg.deprecations = []
        rcfile = cli.get("config") or os.environ.get("ODOO_RC") or os.environ.get("OPENERP_SERVER") or os.path.expanduser("~/.odoorc")
        if cli.get("config") and not os.access(rcfile, os.R_OK):
            raise Fatal(f"The config file '{rcfile}' selected with -c/--config doesn't exist or is not readable, use -s/--save if you want to generate it")
        cfg.rcfile = os.path.abspath(rcfile)
        if os.path.isfile(rcfile):
            parser = configparser.RawConfigParser()
            try:
                parser.read(rcfile)
            except (configparser.Error, OSError) as exc:
                raise Fatal(f"cannot read configuration file {rcfile}: {exc}") from None
            if parser.has_section("options"):
                file_opts = {k: _coerce_file_value(v) for k, v in parser.items("options")}
                if "longpolling_port" in file_opts:
                    lp = file_opts.pop("longpolling_port")
                    if "gevent_port" not in file_opts:
                        file_opts["gevent_port"] = lp
                    cfg.deprecations.append("longpolling_port is deprecated since Odoo 16.0, use gevent_port")
                cfg.update(file_opts)
        cfg.update(cli)
        for key in INT_KEYS | {"workers", "max_cron_threads", "http_port", "gevent_port"}:
            value = cfg.get(key)
            if value in (False, None, ""):
                continue
            try:
                cfg[key] = int(value)
            except (TypeError, ValueError):
                raise Fatal(f"option {key}: invalid integer value: {value!r}") from None
        for key in BOOL_KEYS:
            if isinstance(cfg.get(key), str):
                cfg[key] = cfg[key].strip().lower() in ("1", "yes", "on", "true")
        for key in ("list_db", "proxy_mode", "http_enable"):
            cfg[key] = bool(cfg.get(key))
        return cfg

    # --- helpers -------------------------------------------------------------------------
    def db_names(self):
        return [d.strip() for d in str(self["db_name"] or "").split(",") if d.strip()]

    def addons_dirs(self):
        return [p.strip() for p in str(self.get("addons_path") or "").split(",") if p.strip()]

    def pg_kwargs(self, dbname, timeout=5):
        kw = {"dbname": dbname, "connect_timeout": timeout, "application_name": "odoo-standin"}
        for key, opt in (("host", "db_host"), ("port", "db_port"), ("user", "db_user"), ("password", "db_password")):
            value = self.get(opt)
            if value not in (False, None, ""):
                kw[key] = str(value)
        if self.get("db_sslmode"):
            kw["sslmode"] = self["db_sslmode"]
        return kw

    def pg_label(self):
        return "{}@{}:{}".format(self.get("db_user") or "(default)", self.get("db_host") or "(default)", self.get("db_port") or "(default)")


def pg_connect(cfg, dbname, timeout=5, autocommit=False):
    import psycopg

    return psycopg.connect(autocommit=autocommit, **cfg.pg_kwargs(dbname, timeout))


# --------------------------------------------------------------------------------------------
# Logging in Odoo's format: "date pid LEVEL db logger: message", one line per record, stdout.
class _DbFilter(logging.Filter):
    def filter(self, record):
        record.dbname = getattr(_db_ctx, "name", None) or "?"
        return True


LOG_LEVELS = {"debug_rpc_answer": logging.DEBUG, "debug_rpc": logging.DEBUG, "debug": logging.DEBUG, "debug_sql": logging.DEBUG,
              "info": logging.INFO, "runbot": logging.INFO, "warn": logging.WARNING, "warning": logging.WARNING,
              "error": logging.ERROR, "critical": logging.CRITICAL, "notset": logging.INFO}


def setup_logging(cfg):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(dbname)s %(name)s: %(message)s"))
    handler.addFilter(_DbFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LOG_LEVELS.get(str(cfg.get("log_level") or "info").lower(), logging.INFO))


# --------------------------------------------------------------------------------------------
# Modules: "base" and a few core names are built in; other modules are directories with a
# __manifest__.py under addons_path.  Names starting with "fail_" always fail (see README).
CORE_MODULES = {
    "base": "1.3", "web": "1.0", "bus": "1.0", "base_setup": "1.0", "base_import": "2.0", "auth_signup": "1.0",
    "mail": "1.15", "contacts": "1.0", "portal": "1.0", "web_editor": "1.0", "digest": "1.1", "sale": "1.2",
    "sale_management": "1.0", "purchase": "1.2", "account": "1.2", "stock": "1.1", "crm": "1.9", "project": "1.3",
    "hr": "1.1", "website": "1.0", "l10n_generic_coa": "1.1", "payment": "2.0",
}
AUTO_INSTALLED = ("web",)


class ModuleError(Exception):
    pass


def adapt_version(version):
    version = str(version)
    if version == SERIES or not version.startswith(SERIES + "."):
        version = f"{SERIES}.{version}"
    return version


def module_info(cfg, name):
    if name.startswith("fail_"):
        return {"name": name, "version": "1.0", "depends": [], "fail": True, "installable": True}
    for directory in cfg.addons_dirs():
        mod_dir = os.path.join(directory, name)
        manifest = os.path.join(mod_dir, "__manifest__.py")
        if os.path.isfile(manifest):
            try:
                with open(manifest, encoding="utf-8") as fh:
                    data = ast.literal_eval(fh.read())
                if not isinstance(data, dict):
                    raise ValueError("manifest is not a dict")
            except (SyntaxError, ValueError) as exc:
                raise ModuleError(f"Invalid manifest {manifest}: {exc}") from exc
            return {
                "name": name,
                "version": str(data.get("version", "1.0")),
                "depends": list(data.get("depends", [])),
                "installable": data.get("installable", True),
                "path": mod_dir,
            }
    if name in CORE_MODULES:
        return {"name": name, "version": CORE_MODULES[name], "depends": [] if name == "base" else ["base"], "installable": True}
    return None


SCHEMA = [
    """CREATE TABLE ir_module_module (
        id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, state varchar NOT NULL DEFAULT 'uninstalled',
        latest_version varchar, demo boolean NOT NULL DEFAULT false,
        create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
        write_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE ir_config_parameter (
        id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL,
        create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
        write_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE res_users (
        id serial PRIMARY KEY, login varchar NOT NULL UNIQUE, password varchar, active boolean NOT NULL DEFAULT true,
        create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE ir_cron (
        id serial PRIMARY KEY, cron_name varchar NOT NULL, active boolean NOT NULL DEFAULT true,
        interval_number integer NOT NULL DEFAULT 1, interval_type varchar NOT NULL DEFAULT 'days',
        nextcall timestamp NOT NULL DEFAULT (now() at time zone 'UTC'), lastcall timestamp,
        standin_run_count integer NOT NULL DEFAULT 0)""",
    """CREATE TABLE ir_mail_server (
        id serial PRIMARY KEY, name varchar NOT NULL, smtp_host varchar, smtp_port integer NOT NULL DEFAULT 25,
        active boolean NOT NULL DEFAULT true)""",
    """CREATE TABLE ir_attachment (
        id serial PRIMARY KEY, name varchar NOT NULL, res_model varchar, res_id integer, store_fname varchar,
        checksum varchar(40), file_size integer, mimetype varchar,
        create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE standin_record (
        id serial PRIMARY KEY, tag varchar, server_addr varchar, server_port integer, in_recovery boolean,
        written_by varchar, create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC'))""",
]


def hash_password(password, rounds=25000):
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds)
    b64 = lambda b: base64.b64encode(b, b"./").decode().rstrip("=")  # noqa: E731
    return f"$pbkdf2-sha512${rounds}${b64(salt)}${b64(digest)}"


def check_password(password, stored):
    try:
        _empty, scheme, rounds, salt, digest = (stored or "").split("$")
        if scheme != "pbkdf2-sha512":
            return False
        unb64 = lambda s: base64.b64decode(s.replace(".", "+") + "=" * (-len(s) % 4))  # noqa: E731
        computed = hashlib.pbkdf2_hmac("sha512", password.encode(), unb64(salt), int(rounds))
        return secrets.compare_digest(computed, unb64(digest))
    except (ValueError, TypeError):
        return False


def is_initialized(cur):
    cur.execute("SELECT 1 FROM pg_class WHERE relkind = 'r' AND relname = 'ir_module_module' AND pg_table_is_visible(oid)")
    if not cur.fetchone():
        return False
    cur.execute("SELECT state FROM ir_module_module WHERE name = 'base'")
    row = cur.fetchone()
    return bool(row and row[0] == "installed")


def create_schema(cur, dbname):
    log.info("init db")
    for stmt in SCHEMA:
        cur.execute(stmt)
    cur.executemany(
        "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)",
        [
            ("database.uuid", str(uuid.uuid4())),
            ("database.create_date", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())),
            ("database.secret", secrets.token_hex(32)),
            ("web.base.url", "http://localhost:8069"),
        ],
    )
    cur.execute("INSERT INTO res_users (id, login, password, active) VALUES (1, '__system__', NULL, false), (2, 'admin', %s, true)", (hash_password("admin"),))
    cur.execute("SELECT setval('res_users_id_seq', 2)")
    cur.execute("INSERT INTO ir_cron (cron_name, interval_number, interval_type) VALUES ('Base: Auto-vacuum internal data', 1, 'days')")
    cur.execute("INSERT INTO ir_mail_server (name, smtp_host, smtp_port) VALUES ('localhost', 'localhost', 25)")


def _install(cfg, cur, name, seen, done):
    if name in done:
        return True
    if name in seen:
        raise ModuleError(f"circular dependency on module {name}")
    seen.add(name)
    info = module_info(cfg, name)
    if info is None:
        log.warning("module %s: not found in addons paths %s, ignored", name, cfg.addons_dirs())
        return False
    if not info["installable"]:
        log.warning("module %s: not installable, skipped", name)
        return False
    for dep in info["depends"]:
        if not _install(cfg, cur, dep, seen, done):
            log.warning("module %s: Unmet dependencies: %s", name, dep)
            return False
    if info.get("fail"):
        raise ModuleError(f"module {name} failed to install (odoo-standin: modules named fail_* always fail)")
    version = adapt_version(info["version"])
    cur.execute(
        """INSERT INTO ir_module_module (name, state, latest_version, demo) VALUES (%s, 'installed', %s, %s)
           ON CONFLICT (name) DO UPDATE SET state = 'installed', latest_version = EXCLUDED.latest_version,
           write_date = now() at time zone 'UTC'""",
        (name, version, not cfg.get("without_demo")),
    )
    log.info("module %s: installed %s", name, version)
    done.add(name)
    return True


def _update(cfg, cur, name):
    info = module_info(cfg, name)
    if info is None:
        log.warning("invalid module names, ignored: %s", name)
        return
    if info.get("fail"):
        raise ModuleError(f"module {name} failed to upgrade (odoo-standin: modules named fail_* always fail)")
    cur.execute("SELECT latest_version FROM ir_module_module WHERE name = %s AND state = 'installed'", (name,))
    row = cur.fetchone()
    if not row:
        log.warning("module %s: not installed, cannot be updated", name)
        return
    version = adapt_version(info["version"])
    cur.execute("UPDATE ir_module_module SET latest_version = %s, write_date = now() at time zone 'UTC' WHERE name = %s", (version, name))
    log.info("module %s: updated %s -> %s", name, row[0], version)


def split_modules(value):
    return [m.strip() for m in str(value or "").split(",") if m.strip()]


def load_database(cfg, dbname, init, update, created):
    """Odoo's registry preload: initialise (-i), upgrade (-u) in one transaction. True on success."""
    _db_ctx.name = dbname
    try:
        with pg_connect(cfg, dbname) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
            fresh = set()
            if not is_initialized(cur):
                if not (init or update or created):
                    log.error("Database %s not initialized, you can force it with `-i base`", dbname)
                    return True
                create_schema(cur, dbname)
                for name in ("base", *AUTO_INSTALLED):
                    _install(cfg, cur, name, set(), fresh)
            done = {r[0] for r in cur.execute("SELECT name FROM ir_module_module WHERE state = 'installed'").fetchall()}
            for name in init:
                if name in fresh:
                    continue
                if name in done:
                    _update(cfg, cur, name)
                else:
                    _install(cfg, cur, name, set(), done)
            if "all" in update:
                update = sorted(done)
            for name in update:
                _update(cfg, cur, name)
            cur.execute("SELECT count(*) FROM ir_module_module WHERE state = 'installed'")
            log.info("%s modules loaded", cur.fetchone()[0])
        return True
    except Exception:
        log.exception("Failed to load registry")
        log.critical("Failed to initialize database `%s`.", dbname)
        return False
    finally:
        _db_ctx.name = None


def ensure_database(cfg, dbname):
    """Like Odoo's server command: create the database named by -d/db_name when it is missing."""
    import psycopg

    if not re.match(DBNAME_PATTERN, dbname):
        raise Fatal(f"Invalid database name {dbname!r}")
    try:
        with pg_connect(cfg, "postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                return False
            template = cfg.get("db_template") or "template0"
            conn.execute(f"CREATE DATABASE \"{dbname}\" ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE \"{template}\"")
            log.info("Create database `%s`.", dbname)
            return True
    except psycopg.errors.InsufficientPrivilege as exc:
        log.info("Could not determine if database %s exists, skipping auto-creation: %s", dbname, exc)
    except psycopg.Error as exc:
        log.warning("Could not create database %s: %s", dbname, str(exc).strip())
    return False


# --------------------------------------------------------------------------------------------
# Which databases a web request may use (Odoo's list_dbs(force=True) + db_filter).
def list_dbs(cfg):
    if not cfg.get("dbfilter") and cfg.db_names():
        return sorted(cfg.db_names())
    with pg_connect(cfg, "postgres", timeout=3, autocommit=True) as conn:
        rows = conn.execute(
            """SELECT datname FROM pg_database
               WHERE datdba = (SELECT usesysid FROM pg_user WHERE usename = current_user)
                 AND NOT datistemplate AND datallowconn AND datname NOT IN ('postgres', %s)
               ORDER BY datname""",
            (cfg.get("db_template") or "template0",),
        ).fetchall()
    return [r[0] for r in rows]


def db_filter(cfg, dbs, host):
    dbfilter = cfg.get("dbfilter")
    if dbfilter:
        h = (host or "").partition(":")[0]
        if h.startswith("www."):
            h = h[4:]
        d = h.partition(".")[0]
        pattern = dbfilter.replace("%h", re.escape(h)).replace("%d", re.escape(d))
        return [db for db in dbs if re.match(pattern, db)]
    if cfg.db_names():
        names = cfg.db_names()
        return [db for db in dbs if db in names]
    return list(dbs)


# --------------------------------------------------------------------------------------------
# Sessions: files under data_dir/sessions, or Redis found through ONE Sentinel address per
# request (the environment variables of the session_redis addon).
SID_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


class SessionStoreError(Exception):
    pass


class FileSessionStore:
    def __init__(self, data_dir):
        self.path = os.path.join(data_dir, "sessions")

    def describe(self):
        return f"file:{self.path}"

    def _file(self, sid):
        return os.path.join(self.path, sid[:2], sid)

    def get(self, sid):
        try:
            with open(self._file(sid), encoding="utf-8") as fh:
                return json.load(fh), self.describe()
        except FileNotFoundError:
            return None, self.describe()
        except (OSError, ValueError) as exc:
            raise SessionStoreError(f"cannot read session: {exc}") from exc

    def save(self, sid, data):
        target = self._file(sid)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, target)
        except OSError as exc:
            raise SessionStoreError(f"cannot write session under {self.path}: {exc}") from exc
        return self.describe()

    def delete(self, sid):
        try:
            os.unlink(self._file(sid))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SessionStoreError(str(exc)) from exc


class RedisSessionStore:
    def __init__(self, env):
        import redis
        import redis.sentinel

        self.redis = redis
        self.password = env.get("ODOO_SESSION_REDIS_PASSWORD") or None
        prefix = env.get("ODOO_SESSION_REDIS_PREFIX") or ""
        self.prefix = f"session:{prefix}:" if prefix else "session:"
        self.expiration = int(env.get("ODOO_SESSION_REDIS_EXPIRATION") or 7 * 24 * 3600)
        self.sentinel_host = env.get("ODOO_SESSION_REDIS_SENTINEL_HOST")
        self.sentinel_port = int(env.get("ODOO_SESSION_REDIS_SENTINEL_PORT") or 26379)
        self.master_name = env.get("ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME")
        self.url = env.get("ODOO_SESSION_REDIS_URL")
        self.host = env.get("ODOO_SESSION_REDIS_HOST") or "localhost"
        self.port = int(env.get("ODOO_SESSION_REDIS_PORT") or 6379)
        self._clients = {}
        self._lock = threading.Lock()
        if self.sentinel_host:
            if not self.master_name:
                raise Fatal("ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME is required with ODOO_SESSION_REDIS_SENTINEL_HOST")
            # No password for Sentinel itself: ODOO_SESSION_REDIS_PASSWORD goes to Redis only.
            self.sentinel = redis.sentinel.Sentinel([(self.sentinel_host, self.sentinel_port)], socket_timeout=2, socket_connect_timeout=2)

    def describe(self):
        if self.sentinel_host:
            return f"redis-sentinel:{self.sentinel_host}:{self.sentinel_port}/{self.master_name}"
        return self.url or f"redis:{self.host}:{self.port}"

    def _client(self):
        """The client for the current master; Sentinel is asked on every call."""
        try:
            if self.sentinel_host:
                host, port = self.sentinel.discover_master(self.master_name)
            elif self.url:
                host, port = self.url, None
            else:
                host, port = self.host, self.port
        except self.redis.RedisError as exc:
            raise SessionStoreError(f"no Redis master from Sentinel {self.sentinel_host}:{self.sentinel_port}: {exc}") from exc
        with self._lock:
            client = self._clients.get((host, port))
            if client is None:
                if port is None:
                    client = self.redis.Redis.from_url(host, socket_timeout=2, socket_connect_timeout=2)
                else:
                    client = self.redis.Redis(host=host, port=port, password=self.password, socket_timeout=2, socket_connect_timeout=2)
                self._clients[(host, port)] = client
        return client, (f"redis:{host}:{port}" if port else "redis-url")

    def get(self, sid):
        client, where = self._client()
        try:
            raw = client.get(self.prefix + sid)
        except self.redis.RedisError as exc:
            raise SessionStoreError(f"Redis {where}: {exc}") from exc
        return (json.loads(raw) if raw else None), where

    def save(self, sid, data):
        client, where = self._client()
        try:
            client.set(self.prefix + sid, json.dumps(data), ex=self.expiration)
        except self.redis.RedisError as exc:
            raise SessionStoreError(f"Redis {where}: {exc}") from exc
        return where

    def delete(self, sid):
        client, where = self._client()
        try:
            client.delete(self.prefix + sid)
        except self.redis.RedisError as exc:
            raise SessionStoreError(f"Redis {where}: {exc}") from exc


def make_session_store(cfg, env):
    if env.get("ODOO_SESSION_REDIS") in ("1", "true", "True", "yes"):
        return RedisSessionStore(env)
    return FileSessionStore(cfg["data_dir"])


# --------------------------------------------------------------------------------------------
# HTTP
class HttpError(Exception):
    def __init__(self, status, message, as_json=False):
        super().__init__(message)
        self.status = status
        self.as_json = as_json


def _html(title, body):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}<p><small>odoo-standin: a test stand-in, not Odoo</small></p></body></html>")


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class App:
    def __init__(self, cfg, env):
        self.cfg = cfg
        self.sessions = make_session_store(cfg, env)
        self.hostname = socket.gethostname()

    def filestore(self, dbname):
        return os.path.join(self.cfg["data_dir"], "filestore", dbname)


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, kind):
        self.app = app
        self.kind = kind  # "http" (8069) or "gevent" (8072)
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "odoo-standin"
    sys_version = ""
    timeout = 75
    MAX_BODY = 10 * 1024 * 1024

    # --- plumbing -----------------------------------------------------------------------
    def log_message(self, fmt, *args):  # silence BaseHTTPRequestHandler's own stderr logging
        pass

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._run()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def do_HEAD(self):
        self._run()

    def _run(self):
        start = time.monotonic()
        self.status = 0
        self.sent = False
        self.app = self.server.app
        self.cfg = self.app.cfg
        self.cookies_out = []
        self._body = None
        try:
            self._prepare()
            self._route()
        except HttpError as exc:
            if not self.sent:
                if exc.as_json:
                    self.send_json(exc.status, {"error": str(exc)})
                else:
                    self.send_html(exc.status, _html(f"{exc.status}", f"<p>{_esc(exc)}</p>"))
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:
            log.exception("Exception during request handling.")
            if not self.sent:
                self.send_html(500, _html("500: Internal Server Error", f"<p>{_esc(type(exc).__name__)}: {_esc(exc)}</p>"))
        finally:
            _db_ctx.name = getattr(self, "dbname", None)
            logging.getLogger("werkzeug").info(
                '%s - - [%s] "%s %s %s" %s - %.3f', getattr(self, "remote_addr", self.client_address[0]),
                time.strftime("%d/%b/%Y %H:%M:%S"), self.command, self.path, self.request_version, self.status or "-",
                time.monotonic() - start)
            _db_ctx.name = None

    def _prepare(self):
        u = urlsplit(self.path)
        self.route = u.path
        self.query = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        self.remote_addr = self.client_address[0]
        self.scheme = "http"
        self.host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        self.dbname = None
        # Odoo applies werkzeug's ProxyFix (one trusted hop) only with proxy_mode and only when
        # the proxy sets X-Forwarded-Host.
        if self.cfg["proxy_mode"] and self.headers.get("X-Forwarded-Host"):
            last = lambda v: v.split(",")[-1].strip()  # noqa: E731
            if self.headers.get("X-Forwarded-For"):
                self.remote_addr = last(self.headers["X-Forwarded-For"])
            if self.headers.get("X-Forwarded-Proto"):
                self.scheme = last(self.headers["X-Forwarded-Proto"])
            self.host = last(self.headers["X-Forwarded-Host"])
        self.cookies = {}
        try:
            jar = SimpleCookie(self.headers.get("Cookie") or "")
            self.cookies = {k: m.value for k, m in jar.items()}
        except CookieError:
            pass

    @property
    def url_root(self):
        return f"{self.scheme}://{self.host}/"

    def body(self):
        if self._body is None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise HttpError(400, "bad Content-Length") from None
            if length > self.MAX_BODY:
                raise HttpError(413, "request body too large")
            self._body = self.rfile.read(length) if length > 0 else b""
        return self._body

    def json_body(self):
        raw = self.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise HttpError(400, "body is not JSON", as_json=True) from None
        if not isinstance(data, dict):
            raise HttpError(400, "JSON body must be an object", as_json=True)
        return data

    def form(self):
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            return {k: v[-1] for k, v in parse_qs(self.body().decode("utf-8", "replace"), keep_blank_values=True).items()}
        return {}

    def send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.status = status
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        for c in self.cookies_out:
            self.send_header("Set-Cookie", c)
        self.end_headers()
        self.sent = True
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, data, headers=()):
        self.send(status, json.dumps(data), "application/json", headers)

    def send_html(self, status, html, headers=()):
        self.send(status, html, "text/html; charset=utf-8", headers)

    def redirect(self, path, status=303):
        self.send(status, "", "text/html; charset=utf-8", [("Location", self.url_root.rstrip("/") + path)])

    def jsonrpc_result(self, result, request_id=None):
        self.send_json(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    def jsonrpc_error(self, name, message, request_id=None, code=200):
        self.send_json(200, {"jsonrpc": "2.0", "id": request_id, "error": {
            "code": code, "message": "Odoo Server Error", "data": {"name": name, "message": message}}})

    # --- routing ------------------------------------------------------------------------
    def _route(self):
        r = self.route
        if r == "/web/health":
            return self.r_health()
        if r == "/websocket":
            return self.r_websocket()
        if r.startswith("/web/database/"):
            return self.r_database()
        if r == "/web/webclient/version_info":
            return self.jsonrpc_result(version_info())
        if r in ("/", "/odoo"):
            return self.redirect("/web")
        if r == "/web":
            return self.r_web()
        if r == "/web/login":
            return self.r_login()
        if r == "/web/session/authenticate":
            return self.r_authenticate()
        if r == "/web/session/get_session_info":
            return self.r_session_info(jsonrpc=True)
        if r == "/web/session/logout":
            return self.r_logout()
        if r == "/standin/info":
            return self.r_info()
        if r == "/standin/session":
            return self.r_session_info(jsonrpc=False)
        if r == "/standin/write":
            return self.r_write()
        if r == "/standin/rows":
            return self.r_rows()
        raise HttpError(404, f"Not Found: {r}")

    # --- sessions -----------------------------------------------------------------------
    def load_session(self):
        sid = self.cookies.get("session_id")
        if not sid or not SID_RE.match(sid):
            return None, None, None
        try:
            data, where = self.app.sessions.get(sid)
        except SessionStoreError as exc:
            raise HttpError(500, f"session store unavailable: {exc}", as_json=True) from exc
        return sid, data, where

    def save_session(self, data):
        sid = secrets.token_urlsafe(63)
        try:
            where = self.app.sessions.save(sid, data)
        except SessionStoreError as exc:
            raise HttpError(500, f"session store unavailable: {exc}", as_json=True) from exc
        max_age = 7 * 24 * 3600
        self.cookies_out.append(f"session_id={sid}; Expires={time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(time.time() + max_age))}; "
                                f"Max-Age={max_age}; HttpOnly; Path=/; SameSite=Lax")
        return sid, where

    # --- databases ------------------------------------------------------------------------
    def select_db(self, required=True, session=None):
        try:
            dbs = db_filter(self.cfg, list_dbs(self.cfg), self.host)
        except Exception as exc:
            raise HttpError(500, f"cannot list databases: {str(exc).strip()}", as_json=True) from exc
        wanted = self.query.get("db")
        if wanted:
            if wanted not in dbs:
                raise HttpError(404, f"database {wanted!r} is not served here (db_name/dbfilter)", as_json=True)
            return wanted
        if session and session.get("db") in dbs:
            return session["db"]
        if len(dbs) == 1:
            return dbs[0]
        if required:
            raise HttpError(404, "no database selected: none or several databases match db_name/dbfilter for host " + self.host, as_json=True)
        return None

    def db_cursor_check(self, dbname):
        """Connects to an initialised database or refuses to serve it."""
        import psycopg

        self.dbname = _db_ctx.name = dbname
        try:
            conn = pg_connect(self.cfg, dbname)
        except psycopg.Error as exc:
            raise HttpError(500, f"database {dbname!r} unavailable: {str(exc).strip()}", as_json=True) from exc
        try:
            ok = is_initialized(conn.cursor())
        except psycopg.Error as exc:
            conn.close()
            raise HttpError(500, f"database {dbname!r}: {str(exc).strip()}", as_json=True) from exc
        if not ok:
            conn.close()
            raise HttpError(500, f"Database {dbname} not initialized, you can force it with `-i base`", as_json=True)
        return conn

    # --- handlers -------------------------------------------------------------------------
    def r_health(self):
        info, status = {"status": "pass"}, 200
        if self.query.get("db_server_status"):
            try:
                pg_connect(self.cfg, "postgres", timeout=2).close()
                info["db_server_status"] = True
            except Exception:
                info.update(status="fail", db_server_status=False)
                status = 500
        self.send_json(status, info)

    def r_database(self):
        action = self.route[len("/web/database/"):]
        disabled = "The database manager has been disabled by the administrator"
        if action in ("manager", "selector"):
            if not self.cfg["list_db"]:
                # Like Odoo: the page renders, says so, and lists no database.
                return self.send_html(200, _html("Odoo", f"<p class='alert'>{disabled}</p>"))
            try:
                dbs = db_filter(self.cfg, list_dbs(self.cfg), self.host)
            except Exception as exc:
                raise HttpError(500, f"cannot list databases: {exc}") from exc
            items = "".join(f"<li><a href='/web?db={quote(d)}'>{_esc(d)}</a></li>" for d in dbs)
            return self.send_html(200, _html("Odoo", f"<h2>{'Manage Databases' if action == 'manager' else 'Select a database'}</h2><ul>{items}</ul>"))
        if action == "list":
            if not self.cfg["list_db"]:
                return self.jsonrpc_error("odoo.exceptions.AccessDenied", "Access Denied")
            try:
                return self.jsonrpc_result(db_filter(self.cfg, list_dbs(self.cfg), self.host))
            except Exception as exc:
                return self.jsonrpc_error("psycopg.Error", str(exc))
        if not self.cfg["list_db"]:
            return self.send_html(200, _html("Odoo", f"<p class='alert'>Access Denied</p><p>{disabled}</p>"))
        raise HttpError(501, f"/web/database/{action} is not implemented by odoo-standin")

    def r_web(self):
        _sid, session, _where = self.load_session()
        dbname = self.select_db(required=False, session=session)
        if dbname is None:
            return self.redirect("/web/database/selector")
        self.db_cursor_check(dbname).close()
        if session and session.get("uid") and session.get("db") == dbname:
            return self.send_html(200, _html("Odoo", f"<p>Logged in as {_esc(session.get('login'))} on {_esc(dbname)}</p>"))
        return self.redirect("/web/login")

    def authenticate(self, dbname, login, password):
        conn = self.db_cursor_check(dbname)
        with conn:
            row = conn.execute("SELECT id, password FROM res_users WHERE login = %s AND active", (login,)).fetchone()
        if not row or not check_password(password or "", row[1]):
            log.info("Login failed for db:%s login:%s from %s", dbname, login, self.remote_addr)
            return None
        log.info("Login successful for db:%s login:%s from %s", dbname, login, self.remote_addr)
        return row[0]

    def r_login(self):
        _sid, session, _where = self.load_session()
        dbname = self.select_db(required=False, session=session)
        if dbname is None:
            return self.redirect("/web/database/selector")
        if self.command != "POST":
            self.db_cursor_check(dbname).close()
            form = ("<form method='post' action='/web/login'><input name='login'/><input name='password' type='password'/>"
                    "<button type='submit'>Log in</button></form>")
            return self.send_html(200, _html("Login | Odoo", form))
        form = self.form()
        uid = self.authenticate(dbname, form.get("login"), form.get("password"))
        if not uid:
            return self.send_html(200, _html("Login | Odoo", "<p class='alert'>Wrong login/password</p>"))
        self.save_session({"db": dbname, "uid": uid, "login": form.get("login"), "created": time.time(), "by": self.app.hostname})
        return self.redirect(form.get("redirect") or "/web")

    def r_authenticate(self):
        payload = self.json_body()
        params = payload.get("params") or {}
        req_id = payload.get("id")
        dbname = params.get("db")
        if dbname:
            self.query["db"] = dbname
        dbname = self.select_db(required=True)
        uid = self.authenticate(dbname, params.get("login"), params.get("password"))
        if not uid:
            return self.jsonrpc_error("odoo.exceptions.AccessDenied", "Access Denied", req_id)
        sid, where = self.save_session({"db": dbname, "uid": uid, "login": params.get("login"), "created": time.time(), "by": self.app.hostname})
        return self.jsonrpc_result({"uid": uid, "db": dbname, "username": params.get("login"), "server_version": SERIES,
                                    "session_store": where, "standin": True}, req_id)

    def r_session_info(self, jsonrpc):
        sid, session, where = self.load_session()
        if not session or not session.get("uid"):
            if jsonrpc:
                return self.jsonrpc_error("odoo.http.SessionExpiredException", "Session expired", code=100)
            return self.send_json(401, {"error": "no valid session", "session_store": where or self.app.sessions.describe()})
        info = {"uid": session["uid"], "db": session.get("db"), "username": session.get("login"), "server_version": SERIES,
                "session_store": where, "created_by": session.get("by"), "served_by": self.app.hostname}
        return self.jsonrpc_result(info) if jsonrpc else self.send_json(200, info)

    def r_logout(self):
        sid, _session, _where = self.load_session()
        if sid:
            try:
                self.app.sessions.delete(sid)
            except SessionStoreError as exc:
                raise HttpError(500, f"session store unavailable: {exc}") from exc
        return self.redirect("/web/login")

    def r_info(self):
        self.send_json(200, {
            "product": PRODUCT, "series": SERIES, "hostname": self.app.hostname, "pid": os.getpid(), "port_kind": self.server.kind,
            "remote_addr": self.remote_addr, "peer": self.client_address[0], "scheme": self.scheme, "host": self.host,
            "url_root": self.url_root, "proxy_mode": self.cfg["proxy_mode"], "workers": self.cfg["workers"],
            "db_name": self.cfg.db_names(), "dbfilter": self.cfg.get("dbfilter") or "", "list_db": self.cfg["list_db"],
            "data_dir": self.cfg["data_dir"], "session_store": self.app.sessions.describe(), "uid": os.getuid(),
        })

    def r_write(self):
        import psycopg

        if self.command != "POST":
            raise HttpError(405, "use POST", as_json=True)
        data = self.json_body() if "json" in (self.headers.get("Content-Type") or "") else self.form()
        tag = str(data.get("tag") or self.query.get("tag") or "")[:200]
        dbname = self.select_db(required=True)
        conn = self.db_cursor_check(dbname)
        store = self.app.filestore(dbname)
        path = None
        try:
            with conn:
                rec_id, addr, port, recovery = conn.execute(
                    """INSERT INTO standin_record (tag, server_addr, server_port, in_recovery, written_by)
                       SELECT %s, host(inet_server_addr()), inet_server_port(), pg_is_in_recovery(), %s
                       RETURNING id, server_addr, server_port, in_recovery""",
                    (tag, self.app.hostname)).fetchone()
                content = f"odoo-standin record {rec_id} tag {tag} db {dbname}\n".encode()
                checksum = hashlib.sha1(content).hexdigest()  # noqa: S324 - Odoo names filestore files by SHA-1
                fname = f"{checksum[:2]}/{checksum}"
                path = os.path.join(store, fname)
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    tmp = f"{path}.{threading.get_ident()}.tmp"
                    with open(tmp, "wb") as fh:
                        fh.write(content)
                    os.replace(tmp, path)
                except OSError as exc:
                    raise HttpError(500, f"cannot write the filestore {store}: {exc}", as_json=True) from exc
                att_id = conn.execute(
                    """INSERT INTO ir_attachment (name, res_model, res_id, store_fname, checksum, file_size, mimetype)
                       VALUES (%s, 'standin.record', %s, %s, %s, %s, 'text/plain') RETURNING id""",
                    (f"record-{rec_id}.txt", rec_id, fname, checksum, len(content))).fetchone()[0]
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise HttpError(503, f"database {dbname!r} is read-only (server in recovery): {str(exc).strip()}", as_json=True) from exc
        except psycopg.Error as exc:
            raise HttpError(500, f"database {dbname!r}: {str(exc).strip()}", as_json=True) from exc
        finally:
            conn.close()
        self.send_json(200, {"id": rec_id, "db": dbname, "tag": tag, "server_addr": addr, "server_port": port, "in_recovery": recovery,
                             "attachment_id": att_id, "store_fname": fname, "filestore_path": path, "hostname": self.app.hostname})

    def r_rows(self):
        import psycopg

        dbname = self.select_db(required=True)
        conn = self.db_cursor_check(dbname)
        tag = self.query.get("tag")
        try:
            with conn:
                where, args = ("WHERE tag = %s", (tag,)) if tag is not None else ("", ())
                count, max_id = conn.execute(f"SELECT count(*), max(id) FROM standin_record {where}", args).fetchone()  # noqa: S608
                addr, recovery = conn.execute("SELECT host(inet_server_addr()), pg_is_in_recovery()").fetchone()
                atts = conn.execute("SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id LIMIT 10000").fetchall()
        except psycopg.Error as exc:
            raise HttpError(500, f"database {dbname!r}: {str(exc).strip()}", as_json=True) from exc
        finally:
            conn.close()
        store = self.app.filestore(dbname)
        missing = [a[0] for a in atts if not os.path.isfile(os.path.join(store, a[0]))]
        self.send_json(200, {"db": dbname, "tag": tag, "count": count, "max_id": max_id, "server_addr": addr, "in_recovery": recovery,
                             "attachments": len(atts), "missing_files": missing[:100], "missing_count": len(missing)})

    # --- websocket (RFC 6455) -------------------------------------------------------------
    def r_websocket(self):
        if self.server.kind == "http" and self.cfg["workers"] > 0:
            # Prefork Odoo serves websockets only on the gevent port.
            raise HttpError(500, "Couldn't bind the websocket. Is the connection opened on the evented port (8072)?")
        key = self.headers.get("Sec-WebSocket-Key")
        missing = [h for h, ok in (("Upgrade", (self.headers.get("Upgrade") or "").lower() == "websocket"),
                                   ("Connection", "upgrade" in (self.headers.get("Connection") or "").lower()),
                                   ("Sec-WebSocket-Key", bool(key))) if not ok]
        if missing:
            raise HttpError(400, f"Empty or missing header(s): {', '.join(missing)}")
        if self.headers.get("Sec-WebSocket-Version") != "13":
            return self.send(426, "Unsupported websocket version", "text/plain", [("Sec-WebSocket-Version", "13")])
        accept = base64.b64encode(hashlib.sha1((key.strip() + WS_GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455
        self.send_response(101)
        self.status = 101
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.sent = True
        self.close_connection = True
        self.wfile.flush()
        self.connection.settimeout(60)
        for _ in range(10000):  # bounded: at most 10000 frames per connection
            frame = self._ws_read()
            if frame is None:
                return
            opcode, payload = frame
            if opcode in (0x1, 0x2):
                self._ws_send(opcode, payload)  # echo
            elif opcode == 0x9:
                self._ws_send(0xA, payload)
            elif opcode == 0x8:
                self._ws_send(0x8, payload[:2] or struct.pack("!H", 1000))
                return

    def _ws_read(self):
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        b1, b2 = head
        opcode, masked, length = b1 & 0x0F, b2 & 0x80, b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.rfile.read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.rfile.read(8))[0]
        if length > 1024 * 1024:
            self._ws_send(0x8, struct.pack("!H", 1009))
            return None
        mask = self.rfile.read(4) if masked else b""
        payload = self.rfile.read(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return opcode, payload

    def _ws_send(self, opcode, payload):
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.wfile.write(header + payload)
        self.wfile.flush()


def version_info():
    parts = [int(p) if p.isdigit() else p for p in (SERIES.split(".") + ["0"])[:2]]
    return {"server_version": SERIES, "server_version_info": [*parts, 0, "final", 0, ""],
            "server_serie": SERIES, "protocol_version": 1, "standin": True}


# --------------------------------------------------------------------------------------------
# Cron worker: runs the active ir_cron rows of the served databases every
# ODOO_STANDIN_CRON_INTERVAL seconds (default 60): lastcall/nextcall/standin_run_count.
def cron_loop(cfg, stop):
    interval = max(1.0, float(os.environ.get("ODOO_STANDIN_CRON_INTERVAL") or 60))
    log_cron = logging.getLogger("odoo.addons.base.models.ir_cron")
    while not stop.wait(interval):
        try:
            dbs = list_dbs(cfg)
        except Exception as exc:
            log_cron.warning("cron: cannot list databases: %s", str(exc).strip())
            continue
        for dbname in dbs:
            _db_ctx.name = dbname
            try:
                with pg_connect(cfg, dbname, timeout=3) as conn:
                    if not is_initialized(conn.cursor()):
                        continue
                    rows = conn.execute(
                        """UPDATE ir_cron SET lastcall = now() at time zone 'UTC', nextcall = now() at time zone 'UTC' + make_interval(secs => %s),
                                  standin_run_count = standin_run_count + 1
                           WHERE id IN (SELECT id FROM ir_cron WHERE active FOR UPDATE SKIP LOCKED) RETURNING id, cron_name""",
                        (interval,)).fetchall()
                for cron_id, name in rows:
                    log_cron.info("Job '%s' (%s) done", name, cron_id)
            except Exception as exc:
                log_cron.warning("cron on %s failed: %s", dbname, str(exc).strip())
            finally:
                _db_ctx.name = None


# --------------------------------------------------------------------------------------------
def check_postgres_user(cfg):
    if (cfg.get("db_user") or os.environ.get("PGUSER")) == "postgres":
        raise Fatal("Using the database user 'postgres' is a security risk, aborting.")


def prepare_data_dir(cfg):
    for sub in ("", "sessions", "filestore", os.path.join("addons", SERIES)):
        path = os.path.join(cfg["data_dir"], sub)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            log.warning("data_dir %s is not writable: %s", path, exc)
            return
    if not os.access(cfg["data_dir"], os.W_OK):
        log.warning("data_dir %s is not writable by uid %s", cfg["data_dir"], os.getuid())


def validate_addons_path(cfg, cli):
    good = []
    for path in cfg.addons_dirs():
        if os.path.isdir(path):
            good.append(os.path.abspath(path))
        elif "addons_path" in cli:
            raise UsageError(f"option --addons-path: no such directory: {path!r}")
        else:
            log.warning("addons path %s does not exist, ignored", path)
    cfg["addons_path"] = ",".join(good)


def cmd_server(argv):
    cli, positional = parse_args(argv)
    if cli.get("help"):
        return usage(0)
    if cli.get("version"):
        print(PRODUCT, flush=True)
        return 0
    cfg = Config.load(cli)
    setup_logging(cfg)
    check_postgres_user(cfg)
    validate_addons_path(cfg, cli)
    log.info("Odoo version %s", PRODUCT)
    for msg in cfg.deprecations:
        log.warning(msg)
    if positional:
        log.warning("ignoring positional arguments %s", positional)
    log.info("command line: odoo %s", " ".join(masked_argv(argv)))
    if os.path.isfile(cfg.rcfile):
        log.info("Using configuration file at %s", cfg.rcfile)
    log.info("addons paths: %s", cfg.addons_dirs())
    log.info("database: %s", cfg.pg_label())
    if cli.get("save"):
        log.warning("-s/--save is ignored by odoo-standin")
    prepare_data_dir(cfg)
    if cfg.get("pidfile"):
        try:
            with open(cfg["pidfile"], "w") as fh:
                fh.write(str(os.getpid()))
        except OSError as exc:
            log.warning("cannot write pidfile: %s", exc)
    init, update = split_modules(cfg.get("init")), split_modules(cfg.get("update"))
    rc = 0
    for dbname in cfg.db_names():
        created = ensure_database(cfg, dbname)
        if not load_database(cfg, dbname, init, update, created):
            rc = -1
    if cfg.get("stop_after_init"):
        log.info("Stopping (--stop-after-init)")
        return rc & 0xFF
    return serve(cfg)


def serve(cfg):
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("Received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app = App(cfg, os.environ)
    log.info("session store: %s", app.sessions.describe())
    servers = []
    interface = cfg.get("http_interface") or "0.0.0.0"  # noqa: S104 - a server, like Odoo
    if cfg["http_enable"]:
        ports = [("http", cfg["http_port"])]
        if cfg["workers"] > 0:
            ports.append(("gevent", cfg["gevent_port"]))
        for kind, port in ports:
            try:
                srv = StandinServer((interface, int(port)), app, kind)
            except OSError as exc:
                raise Fatal(f"cannot listen on {interface}:{port}: {exc}") from None
            servers.append(srv)
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, name=f"odoo.service.{kind}", daemon=True).start()
            log.info("%s service (werkzeug) running on %s:%s", "HTTP" if kind == "http" else "Evented (websocket)", interface, port)
        if cfg["workers"] > 0:
            log.info("Multiprocessing mode: %s workers (odoo-standin serves them with threads in one process)", cfg["workers"])
    else:
        log.info("HTTP service disabled (--no-http)")
    if int(cfg.get("max_cron_threads") or 0) > 0:
        threading.Thread(target=cron_loop, args=(cfg, stop), name="odoo.service.cron", daemon=True).start()
        log.info("cron worker started (max_cron_threads=%s)", cfg["max_cron_threads"])
    while not stop.wait(1.0):
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    log.info("Stopped")
    return 0


def cmd_neutralize(argv):
    import psycopg

    cli, _positional = parse_args(argv, NEUTRALIZE_OPTIONS)
    cfg = Config.load(cli)
    setup_logging(cfg)
    check_postgres_user(cfg)
    dbname = (cfg.db_names() or [None])[0]
    if not dbname:
        log.error('Neutralize command needs a database name. Use "-d" argument')
        return 1
    queries = [
        "UPDATE ir_cron SET active = false",
        "UPDATE ir_mail_server SET active = false",
        "INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', true) "
        "ON CONFLICT (key) DO UPDATE SET value = true, write_date = now() at time zone 'UTC'",
    ]
    if cli.get("to_stdout"):
        print("BEGIN;")
        for q in queries:
            print(q + ";")
        print("COMMIT;", flush=True)
        return 0
    _db_ctx.name = dbname
    try:
        with pg_connect(cfg, dbname) as conn, conn.cursor() as cur:
            if not is_initialized(cur):
                raise RuntimeError(f"Database {dbname} not initialized")
            log.info("Starting Neutralization")
            for q in queries:
                cur.execute(q)
        log.info("Neutralization finished")
        return 0
    except (psycopg.Error, RuntimeError):
        log.critical("An error occurred during the neutralization. THE DATABASE IS NOT NEUTRALIZED!", exc_info=True)
        return 1


def cmd_scaffold(argv):
    if not argv or argv[0].startswith("-"):
        print("usage: odoo scaffold NAME [DEST]", file=sys.stderr)
        return 1
    name = argv[0]
    dest = os.path.join(argv[1] if len(argv) > 1 else ".", name)
    os.makedirs(dest, exist_ok=False)
    with open(os.path.join(dest, "__init__.py"), "w") as fh:
        fh.write("")
    with open(os.path.join(dest, "__manifest__.py"), "w") as fh:
        fh.write(repr({"name": name, "version": "1.0", "depends": ["base"], "license": "LGPL-3"}) + "\n")
    return 0


def usage(status):
    out = sys.stdout if status == 0 else sys.stderr
    print("Usage: odoo [options]\n\n" + PRODUCT + "\n\nOptions (Odoo's option names; see README.md for what the stand-in does with them):", file=out)
    for names, _dest, kind in OPTIONS:
        print("  " + ", ".join(names) + ("" if kind in ("flag", "noflag") else " VALUE"), file=out)
    return status


COMMANDS = {"server": cmd_server, "neutralize": cmd_neutralize, "scaffold": cmd_scaffold}
NOT_IMPLEMENTED = {"shell", "db", "start", "populate", "cloc", "deploy", "tsconfig", "upgrade_code", "obfuscate", "module", "i18n", "help"}


def main(argv):
    # PID 1 in a container ignores signals it has no handler for: stop on SIGTERM from the start.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    args = list(argv)
    if len(args) > 1 and args[0].startswith("--addons-path=") and not args[1].startswith("-"):
        args = args[1:] + [args[0]]  # Odoo allows --addons-path before the command name
    command = "server"
    if args and not args[0].startswith("-"):
        command, args = args[0], args[1:]
    try:
        if command in COMMANDS:
            return COMMANDS[command](args)
        if command in NOT_IMPLEMENTED:
            print(f"odoo {command}: not implemented by odoo-standin (a test stand-in, not Odoo)", file=sys.stderr)
            return 1
        print(f"Unknown command {command!r}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"Usage: odoo [options]\n\nodoo: error: {exc}", file=sys.stderr)
        return 2
    except Fatal as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return exc.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
