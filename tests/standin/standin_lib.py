"""Helpers for the tests of the Odoo stand-in image (tests/images/odoo-standin).

Everything runs in containers on a dedicated docker network with a fixed subnet that this
suite creates and removes: a real PostgreSQL 15, a real Redis master + replica + Sentinel
(Debian packages, images under tests/images/standin-deps) and the stand-in itself. Tests
only talk to those containers (by address on that network) and to loopback. Every wait is
bounded in tries and in time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import struct
import subprocess
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

REPO = Path(__file__).resolve().parents[2]
NETWORK = "odoo-ops-standin-test"
SUBNET = "172.28.50.0/24"
GATEWAY = "172.28.50.1"
DYNAMIC_RANGE = "172.28.50.128/25"  # docker picks addresses for the stand-in containers here
PG_IP = "172.28.50.10"
PG2_IP = "172.28.50.11"
REDIS_A_IP = "172.28.50.20"
REDIS_B_IP = "172.28.50.21"
SENTINEL_IP = "172.28.50.25"
LABEL = "odoo-ops.test=standin"
SERIES = "17.0"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ----------------------------------------------------------------------------------------
# small helpers
def docker(*args, timeout=60, check=True, input=None):
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def wait_until(fn, timeout=30.0, interval=0.25, what="condition"):
    """Calls fn until it returns a truthy value: at most timeout seconds and timeout/interval tries."""
    deadline = time.monotonic() + timeout
    last = None
    for _ in range(int(timeout / interval) + 1):
        try:
            result = fn()
            if result:
                return result
            last = result
        except Exception as exc:  # noqa: BLE001 - reported on timeout
            last = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def port_open(ip, port, timeout=1.0):
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def websocket_exchange(ip, port, text, path="/websocket", timeout=5.0):
    """Opens a websocket by hand (RFC 6455), sends one masked text frame, returns
    (status, headers, echoed_text or None)."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((ip, port), timeout=timeout) as sock:
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{ip}:{port}\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if status != 101:
            return status, headers, None
        expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert headers.get("sec-websocket-accept") == expected, headers
        payload = text.encode()
        mask = os.urandom(4)
        assert len(payload) < 126
        sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

        def read_exact(n):
            nonlocal rest
            while len(rest) < n:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError("websocket closed early")
                rest += chunk
            out, rest = rest[:n], rest[n:]
            return out

        b1, b2 = read_exact(2)
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", read_exact(2))[0]
        data = read_exact(length)
        assert b1 & 0x0F == 0x1, f"expected a text frame, got opcode {b1 & 0x0F}"
        # close politely
        sock.sendall(struct.pack("!BB", 0x88, 0x82) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(struct.pack("!H", 1000))))
        return status, headers, data.decode()


# ----------------------------------------------------------------------------------------
# images
def build_image(cmd, env):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc.stdout.strip().splitlines()[-1]


# ----------------------------------------------------------------------------------------
# network and containers
_pending_removals = []


def remove_later(*names):
    """Removes containers in the background (the network teardown waits for it)."""
    if names:
        _pending_removals.append(subprocess.Popen(["docker", "rm", "-f", "-v", *names], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def cleanup_test_containers():
    for proc in _pending_removals:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    _pending_removals.clear()
    ids = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False, timeout=120)
    docker("network", "rm", NETWORK, check=False)


def run_container(image, *cmd, name, ip=None, env=None, detach=True, extra=(), timeout=60):
    args = ["run", "--name", name, "--network", NETWORK, "--label", LABEL, "--hostname", name[:60]]
    if detach:
        args.append("-d")
    if ip:
        args += ["--ip", ip]
    for k, v in (env or {}).items():
        args += ["-e", f"{k}={v}"]
    args += list(extra)
    args.append(image)
    args += list(cmd)
    return docker(*args, timeout=timeout, check=detach)


def container_ip(name):
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).stdout.strip()


# ----------------------------------------------------------------------------------------
# PostgreSQL
@dataclass
class Postgres:
    name: str
    ip: str
    superuser_password: str
    odoo_user: str = "odoo"
    odoo_password: str = ""

    def connect(self, dbname="postgres", user=None, password=None, autocommit=True):
        return psycopg.connect(host=self.ip, port=5432, dbname=dbname, user=user or "postgres",
                               password=password or self.superuser_password, connect_timeout=5, autocommit=autocommit)

    def query(self, dbname, sql, params=()):
        with self.connect(dbname) as conn:
            return conn.execute(sql, params).fetchall()

    def tables(self, dbname):
        return {r[0] for r in self.query(dbname, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def create_empty_db(self, dbname):
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" OWNER "{self.odoo_user}"')


def start_postgres(images, name, ip):
    pw = secrets.token_urlsafe(16)
    run_container(images["postgres"], name=name, ip=ip, env={"POSTGRES_PASSWORD": pw})
    pg = Postgres(name=name, ip=ip, superuser_password=pw, odoo_password=secrets.token_urlsafe(12))

    def ready():
        with pg.connect() as conn:
            return conn.execute("SELECT 1").fetchone()

    try:
        wait_until(ready, timeout=30, what=f"PostgreSQL in {name}")
    except AssertionError:
        print(docker("logs", name, check=False).stderr)
        raise
    with pg.connect() as conn:
        conn.execute(f"CREATE ROLE {pg.odoo_user} LOGIN CREATEDB PASSWORD '{pg.odoo_password}'")
    return pg


# ----------------------------------------------------------------------------------------
# the stand-in
@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self):
        return self.stdout + self.stderr


@dataclass
class Server:
    name: str
    ip: str
    runner: OdooRunner = field(repr=False)

    def url(self, path="/", port=8069):
        return f"http://{self.ip}:{port}{path}"

    def get(self, path, port=8069, **kw):
        kw.setdefault("timeout", 10)
        kw.setdefault("allow_redirects", False)
        return requests.get(self.url(path, port), **kw)

    def post(self, path, port=8069, **kw):
        kw.setdefault("timeout", 10)
        kw.setdefault("allow_redirects", False)
        return requests.post(self.url(path, port), **kw)

    def exec(self, *cmd, check=True):
        return docker("exec", self.name, *cmd, check=check)

    def logs(self):
        proc = docker("logs", self.name, check=False)
        return proc.stdout + proc.stderr

    def cmdline(self):
        raw = docker("exec", self.name, "cat", "/proc/1/cmdline").stdout
        return raw.split("\0")[:-1] if raw.endswith("\0") else raw.split("\0")

    def login(self, login="admin", password="admin", db=None):
        params = {"login": login, "password": password}
        if db:
            params["db"] = db
        resp = self.post("/web/session/authenticate", json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1})
        return resp


class OdooRunner:
    """Runs the stand-in image: one-shot commands (run) and servers (start)."""

    def __init__(self, image, pg, tmp_path):
        self.image = image
        self.pg = pg
        self.tmp = tmp_path
        self.names = []

    def default_env(self):
        return {"HOST": self.pg.ip, "PASSWORD": self.pg.odoo_password}

    def _args(self, env, conf, mounts, use_default_env):
        full_env = self.default_env() if use_default_env else {}
        full_env.update(env or {})
        extra = []
        if conf is not None:
            path = self.tmp / f"odoo-{uuid.uuid4().hex[:6]}.conf"
            path.write_text(conf)
            path.chmod(0o644)
            extra += ["-v", f"{path}:/etc/odoo/odoo.conf:ro"]
        for src, dst in mounts:
            extra += ["-v", f"{src}:{dst}"]
        return full_env, extra

    def run(self, *cmd, env=None, conf=None, mounts=(), timeout=60, use_default_env=True):
        name = f"odoo-ops-standin-run-{uuid.uuid4().hex[:8]}"
        full_env, extra = self._args(env, conf, mounts, use_default_env)
        self.names.append(name)
        try:
            proc = run_container(self.image, *cmd, name=name, env=full_env, detach=False, extra=["--rm", *extra], timeout=timeout)
        except subprocess.TimeoutExpired:
            docker("rm", "-f", "-v", name, check=False)
            raise
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def start(self, *cmd, env=None, conf=None, mounts=(), wait_port=8069, use_default_env=True, timeout=30):
        name = f"odoo-ops-standin-srv-{uuid.uuid4().hex[:8]}"
        full_env, extra = self._args(env, conf, mounts, use_default_env)
        self.names.append(name)
        run_container(self.image, *cmd, name=name, env=full_env, extra=extra)
        server = Server(name=name, ip=container_ip(name), runner=self)
        if wait_port:
            def up():
                state = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
                if state != "true":
                    raise AssertionError(f"container exited:\n{server.logs()}")
                return port_open(server.ip, wait_port)

            wait_until(up, timeout=timeout, what=f"{name} listening on {wait_port}")
        return server

    def cleanup(self):
        remove_later(*self.names)


class Addons:
    """A directory mounted as /mnt/extra-addons, with modules written by write_module()."""

    def __init__(self, root):
        self.root = root

    def write_module(self, name, version, depends=("base",)):
        mod = self.root / name
        mod.mkdir(exist_ok=True)
        mod.chmod(0o755)
        (mod / "__init__.py").write_text("")
        (mod / "__manifest__.py").write_text(textwrap.dedent(f"""\
            {{
                "name": "{name}",
                "version": "{version}",
                "depends": {list(depends)!r},
                "license": "LGPL-3",
            }}
        """))
        for f in mod.iterdir():
            f.chmod(0o644)
        return mod

    @property
    def mount(self):
        return (str(self.root), "/mnt/extra-addons:ro")
