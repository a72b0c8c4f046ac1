"""Behaviour of the HA estate (molecule/ha): what it must survive, measured through the app path.

Writes go from the controller (where pytest runs) to Traefik on ha-app1:443 as a user's browser would
(TLS verified with the sandbox CA, SNI/Host acme.sandbox.test), then to the stand-in's
/standin/write, which inserts a row through pg_router (HAProxy on ha-app1 following the Patroni
leader). Failures are made with `docker kill` / `docker exec` on this scenario's own containers.
Every loop is bounded in requests and seconds; every request targets app1 or the scenario's
containers. The figures printed here (outage seconds, rows lost) are recorded by benchmarks/ha.sh,
never asserted against a time budget (shared machines are noisy).

The tests run in file order and share one estate: topology -> leader loss -> switchover ->
Redis master loss -> etcd member loss -> rolling restart for a changed parameter.
"""

import http.client
import json
import os
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

APP = "172.28.14.21"
APP_HOST = "ha-app1"
DBS = {"ha-db1": "172.28.14.11", "ha-db2": "172.28.14.12", "ha-db3": "172.28.14.13"}
DOMAIN = "acme.sandbox.test"
TENANT = "acme"
REPO = Path(__file__).resolve().parents[3]
CA_FILE = REPO / ".cache" / "sandbox" / "pki" / "ca.crt"
SENTINEL_MASTER = "odoo"
# Figures of this run, one JSON line per event (benchmarks/ha.sh reads them).
RESULTS = os.environ.get("ODOO_OPS_HA_RESULTS", "")


# --- plumbing -------------------------------------------------------------------------------------

def sh(container, command, timeout=60, check=True):
    """Runs a shell command in one of this scenario's containers."""
    proc = subprocess.run(["docker", "exec", container, "timeout", str(timeout), "sh", "-c", command],
                          capture_output=True, text=True, timeout=timeout + 10, check=False)
    if check:
        assert proc.returncode == 0, f"{container}: {command!r} exited {proc.returncode}: {proc.stdout}{proc.stderr}"
    return proc.stdout.strip()


def running(container):
    proc = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", container], capture_output=True, text=True, check=False)
    return proc.stdout.strip() == "true"


def wait_for(predicate, timeout, delay=1.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)


def record(event, **figures):
    line = json.dumps({"event": event, **figures})
    print(line)
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class _IngressConnection(http.client.HTTPSConnection):
    """HTTPS to app1:443 with the tenant's name as SNI, certificate name and Host header."""

    def connect(self):
        sock = socket.create_connection((APP, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


_CONTEXT = ssl.create_default_context(cafile=str(CA_FILE))


def ingress(method, path, body=None, headers=None, timeout=8):
    conn = _IngressConnection(DOMAIN, 443, timeout=timeout, context=_CONTEXT)
    hdrs = dict(headers or {})
    if body is not None:
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


# --- the cluster as Patroni, etcd and Sentinel see it ----------------------------------------------

def patroni_cluster():
    """GET /cluster from app1 (the firewall admits the app hosts), asking each live member in turn."""
    for name, address in DBS.items():
        if not running(name):
            continue
        out = sh(APP_HOST, f"curl -fsS --max-time 3 http://{address}:8008/cluster", check=False)
        if out:
            return json.loads(out)
    return {"members": []}


def leader():
    for m in patroni_cluster()["members"]:
        if m["role"] == "leader" and m["state"] == "running":
            return m["name"]
    return None


def replicas_streaming(expected):
    """True when every name in `expected` is a replica with known lag following the current leader."""
    members = {m["name"]: m for m in patroni_cluster()["members"]}
    lead = [m for m in members.values() if m["role"] == "leader" and m["state"] == "running"]
    if not lead:
        return False
    return all(
        name in members and members[name]["role"] in ("replica", "sync_standby")
        and members[name]["state"] in ("running", "streaming")
        and isinstance(members[name].get("lag"), int) and members[name].get("timeline") == lead[0].get("timeline")
        for name in expected
    )


def settled():
    """Member roles by name once the cluster is settled: a running leader, a synchronous standby and a
    replica, both streaming on the leader's timeline (tier "critical": synchronous_mode on). After a
    failover or a switchover Patroni names the synchronous standby a few loops after the replicas
    stream again, so tests that pick a member by role wait for this first."""
    members = {m["name"]: m["role"] for m in patroni_cluster()["members"]}
    lead = [name for name, role in members.items() if role == "leader"]
    if sorted(members.values()) != ["leader", "replica", "sync_standby"] or not replicas_streaming(set(members) - set(lead)):
        return None
    return members


def wait_settled(timeout=180):
    return wait_for(settled, timeout, 2, "a leader, a sync standby and a replica streaming")


def by_role(members, role):
    return [name for name, r in members.items() if r == role][0]


def psql(container, sql, db=TENANT):
    return sh(container, f"runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d {db} -c {shlex.quote(sql)}")


def redis_password():
    for line in sh(APP_HOST, f"cat /srv/odoo/{TENANT}/session.env").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "ODOO_SESSION_REDIS_PASSWORD":
            return value.strip()
    raise AssertionError("no ODOO_SESSION_REDIS_PASSWORD in session.env")


def sentinel(command):
    return sh(APP_HOST, f"redis-cli -h {APP} -p 26379 {command}")


def sentinel_master():
    fields = sentinel(f"SENTINEL master {SENTINEL_MASTER}").splitlines()
    return dict(zip(fields[::2], fields[1::2], strict=True))


def redis_master_address():
    return sentinel(f"SENTINEL get-master-addr-by-name {SENTINEL_MASTER}").splitlines()[0]


# --- a bounded write loop through the app path -----------------------------------------------------

class WriteLoop:
    """POSTs /standin/write (a row + a filestore file) every `interval` s, from a thread.

    Acknowledged writes are those answered 200 with the row's id; `outage()` is the longest time
    between two consecutive acknowledgements, that is how long the tenant could not write."""

    def __init__(self, label, interval=0.2, max_seconds=240, max_requests=3000):
        self.prefix = f"ha-{label}-{uuid.uuid4().hex[:8]}"
        self.interval, self.max_seconds, self.max_requests = interval, max_seconds, max_requests
        self.acked = []  # (time answered, tag, id)
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self):
        started = time.monotonic()
        for n in range(self.max_requests):
            if self._stop.is_set() or time.monotonic() - started > self.max_seconds:
                return
            tag = f"{self.prefix}-{n}"
            try:
                status, _h, body = ingress("POST", "/standin/write", body=json.dumps({"tag": tag}), timeout=6)
                if status == 200:
                    self.acked.append((time.monotonic(), tag, json.loads(body)["id"]))
                else:
                    self.failed += 1
            except (OSError, http.client.HTTPException, ValueError):
                self.failed += 1
            time.sleep(self.interval)

    def acks_after(self, moment):
        return sum(1 for t, _tag, _id in self.acked if t > moment)

    def wait_acks_after(self, moment, count, timeout):
        wait_for(lambda: self.acks_after(moment) >= count, timeout, 0.5, f"{count} acknowledged writes through Traefik")

    def outage(self):
        times = [t for t, _tag, _id in self.acked]
        return max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)

    def missing_on(self, container):
        """Acknowledged tags that are not in the tenant's table on `container` (the leader)."""
        rows = psql(container, f"SELECT tag FROM standin_record WHERE tag LIKE '{self.prefix}-%'")
        present = set(rows.splitlines())
        return [tag for _t, tag, _id in self.acked if tag not in present]


def run_playbook(playbook, *extra, inventory=None):
    """ansible-playbook against this scenario's inventory (molecule's, with the linked group_vars)."""
    inventory = inventory or os.environ.get("MOLECULE_INVENTORY_FILE") or str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory")
    env = dict(os.environ)
    env.setdefault("ANSIBLE_VAULT_IDENTITY_LIST", f"sandbox@{REPO}/inventories/sandbox/.vault-pass-sandbox")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "collections"))
    env.setdefault("ANSIBLE_ROLES_PATH", str(REPO / "roles"))
    env["ANSIBLE_FORCE_COLOR"] = "0"
    local = Path(sys.executable).parent / "ansible-playbook"
    proc = subprocess.run([str(local) if local.exists() else "ansible-playbook", "-i", inventory, str(REPO / "playbooks" / playbook), *extra],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap_changed(output):
    return {line.split()[0]: int(line.split("changed=")[1].split()[0]) for line in output.splitlines() if "changed=" in line and " : ok=" in line}


# --- the estate before anything fails ---------------------------------------------------------------

def test_patroni_has_a_leader_a_sync_standby_and_streaming_replicas():
    # Tier "critical": synchronous_mode on, one synchronous standby; the third member streams async.
    members = wait_settled()
    assert set(members) == set(DBS), members
    config = json.loads(sh(APP_HOST, f"curl -fsS --max-time 3 http://{DBS[leader()]}:8008/config"))
    assert config["synchronous_mode"] is True
    assert (config["ttl"], config["loop_wait"], config["retry_timeout"]) == (20, 2, 5)


def test_etcd_has_three_healthy_members():
    out = sh("ha-db1", f"etcdctl --endpoints=http://{DBS['ha-db1']}:2379 endpoint health --cluster 2>&1")
    assert out.count("is healthy") == 3, out


def test_sentinels_see_the_master_two_replicas_and_each_other():
    master = sentinel_master()
    assert master["ip"] in DBS.values()
    assert master["num-slaves"] == "2", master
    assert master["num-other-sentinels"] == "3", master  # the 3 DB nodes + the app host
    assert master["quorum"] == "2"
    assert sentinel(f"SENTINEL ckquorum {SENTINEL_MASTER}").startswith("OK")


def test_writes_through_traefik_land_on_the_leader():
    with WriteLoop("smoke") as loop:
        loop.wait_acks_after(0, 5, 60)
    members = wait_settled()
    assert loop.missing_on(by_role(members, "leader")) == []
    # Synchronous replication: an acknowledged commit is flushed on the synchronous standby
    # (synchronous_commit on); it becomes visible there once replayed, a moment later.
    sync = by_role(members, "sync_standby")
    wait_for(lambda: loop.missing_on(sync) == [], 30, 0.5, f"the acknowledged rows replayed on {sync}")


# --- 1. the leader's host is lost -------------------------------------------------------------------

def test_leader_loss_writes_resume_on_a_new_leader_without_losing_rows():
    old = leader()
    assert old
    with WriteLoop("leader-loss") as loop:
        loop.wait_acks_after(0, 10, 60)
        killed_at = time.monotonic()
        subprocess.run(["docker", "kill", old], check=True, capture_output=True)
        # ttl 20 s: the leader key outlives the host for up to 20 s, then a replica takes over.
        loop.wait_acks_after(killed_at, 10, 150)
    new = leader()
    assert new and new != old
    lost = loop.missing_on(new)
    record("leader_loss", outage_s=round(loop.outage(), 2), acked=len(loop.acked), lost=len(lost),
           failed_requests=loop.failed, old_leader=old, new_leader=new)
    assert lost == [], f"acknowledged rows missing on the new leader {new}: {lost[:10]}"


def test_lost_leader_comes_back_as_a_replica():
    dead = [name for name in DBS if not running(name)]
    assert len(dead) == 1, dead
    subprocess.run(["docker", "start", dead[0]], check=True, capture_output=True)
    wait_for(lambda: replicas_streaming(set(DBS) - {leader() or ""}), 240, 3, f"{dead[0]} streaming again")
    assert leader() != dead[0]
    # Its etcd member is back in the cluster too.
    wait_for(lambda: sh("ha-db1" if dead[0] != "ha-db1" else "ha-db2",
                        f"etcdctl --endpoints=http://{DBS[dead[0]]}:2379 endpoint health 2>&1", check=False).count("is healthy") == 1,
             120, 2, f"etcd on {dead[0]} healthy")


# --- 2. planned switchover (playbooks/switchover.yml -> odoo_ops.hosting.patroni_switchover) ---------

def test_planned_switchover_loses_no_row_and_is_idempotent():
    members = wait_settled()
    old, candidate = by_role(members, "leader"), by_role(members, "sync_standby")
    with WriteLoop("switchover") as loop:
        loop.wait_acks_after(0, 10, 60)
        started = time.monotonic()
        rc, out = run_playbook("switchover.yml", "-e", f"candidate={candidate}")
        assert rc == 0, out
        loop.wait_acks_after(started, 10, 60)
    assert leader() == candidate
    lost = loop.missing_on(candidate)
    record("switchover", outage_s=round(loop.outage(), 2), acked=len(loop.acked), lost=len(lost),
           failed_requests=loop.failed, old_leader=old, new_leader=candidate)
    assert lost == []
    wait_for(lambda: replicas_streaming(set(DBS) - {candidate}), 120, 2, "replicas streaming from the new leader")
    # Same request again: the candidate already leads, nothing changes.
    rc, out = run_playbook("switchover.yml", "-e", f"candidate={candidate}")
    assert rc == 0, out
    assert set(recap_changed(out).values()) == {0}, out


def test_switchover_to_a_member_that_is_not_a_healthy_replica_is_refused():
    members = wait_settled()
    lead = by_role(members, "leader")
    rc, out = run_playbook("switchover.yml", "-e", f"candidate={APP_HOST}")
    assert rc != 0 and "must be members of the postgres group" in out
    # The leader itself is not a replica; in synchronous mode only the sync standby qualifies.
    async_replica = by_role(members, "replica")
    rc, out = run_playbook("switchover.yml", "-e", f"candidate={async_replica}")
    assert rc != 0 and "synchronous" in out, out
    assert leader() == lead


# --- 3. the Redis master is lost ---------------------------------------------------------------------

def _login():
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": {"login": "admin", "password": "admin"}})
    status, headers, text = ingress("POST", "/web/session/authenticate", body=body, timeout=6)
    if status != 200 or "set-cookie" not in headers:
        return None
    return headers["set-cookie"].split("session_id=", 1)[1].split(";", 1)[0]


def _session_valid(sid):
    status, _h, text = ingress("GET", "/standin/session", headers={"Cookie": f"session_id={sid}"}, timeout=6)
    return status == 200 and json.loads(text).get("uid") == 2


def test_redis_master_loss_sentinel_promotes_and_sessions_keep_working():
    sid = _login()
    assert sid and _session_valid(sid)
    old_ip = redis_master_address()
    old = [name for name, ip in DBS.items() if ip == old_ip][0]
    stopped_at = time.monotonic()
    sh(old, "systemctl stop redis-server")
    try:
        def new_session():
            try:
                return redis_master_address() != old_ip and _login()
            except (OSError, http.client.HTTPException, ValueError, AssertionError):
                return None
        new_sid = wait_for(new_session, 90, 0.5, "a session written to the new Redis master")
        seconds = time.monotonic() - stopped_at
        record("redis_master_loss", seconds_to_session_write=round(seconds, 2), old_master=old, new_master=redis_master_address())
        assert _session_valid(new_sid)
        # The session made before the failover was replicated and is still valid.
        assert _session_valid(sid)
    finally:
        sh(old, "systemctl start redis-server")
    # The old master comes back as a replica of the new one (Sentinel reconfigures it).
    password = redis_password()
    wait_for(lambda: "role:slave" in sh(old, f"redis-cli --no-auth-warning -a {shlex.quote(password)} -h {DBS[old]} INFO replication",
                                        check=False), 60, 1, f"Redis on {old} a replica")


# --- 4. one etcd member is stopped ----------------------------------------------------------------------

def test_etcd_member_loss_keeps_the_leader_and_writes():
    lead = by_role(wait_settled(), "leader")
    other = [name for name in DBS if name != lead][0]
    sh(other, "systemctl stop etcd")
    try:
        with WriteLoop("etcd-loss") as loop:
            loop.wait_acks_after(0, 5, 30)
            # Several Patroni loops (loop_wait 2) with one DCS member down.
            time.sleep(8)
            marker = time.monotonic()
            loop.wait_acks_after(marker, 10, 30)
        assert leader() == lead
        assert loop.missing_on(lead) == []
        record("etcd_member_loss", outage_s=round(loop.outage(), 2), leader_kept=leader() == lead)
    finally:
        sh(other, "systemctl start etcd")
    wait_for(lambda: sh(lead, f"etcdctl --endpoints=http://{DBS[lead]}:2379 endpoint health --cluster 2>&1", check=False).count("is healthy") == 3,
             60, 2, "etcd back to 3 healthy members")


# --- 5. a change that needs a restart: playbooks/patroni_config.yml (rolling) ------------------------

def test_patroni_config_restarts_rolling_without_losing_rows():
    lead = by_role(wait_settled(), "leader")
    current = json.loads(sh(APP_HOST, f"curl -fsS --max-time 3 http://{DBS[lead]}:8008/config"))["postgresql"]["parameters"]
    # shared_buffers needs a PostgreSQL restart; toggle it so every round of the benchmark changes it.
    target = "136MB" if current.get("shared_buffers") != "136MB" else "128MB"
    extra = json.dumps({"patroni_postgresql_parameters_extra": {
        "shared_buffers": target, "effective_cache_size": "384MB", "max_connections": 100}})
    with WriteLoop("rolling") as loop:
        loop.wait_acks_after(0, 10, 60)
        started = time.monotonic()
        rc, out = run_playbook("patroni_config.yml", "-e", extra)
        assert rc == 0, out
        loop.wait_acks_after(started, 10, 60)
    new_leader = leader()
    # Replicas first, then the leader's role moved by a switchover, then the old leader restarted.
    assert new_leader != lead
    assert "Restart PostgreSQL on" in out and "Move the leader role to a healthy replica" in out
    for name in DBS:
        assert psql(name, "SHOW shared_buffers", db="postgres") == target, name
    lost = loop.missing_on(new_leader)
    record("rolling_restart", outage_s=round(loop.outage(), 2), acked=len(loop.acked), lost=len(lost), failed_requests=loop.failed)
    assert lost == []
    # Applied and restarted: the same run again changes nothing.
    rc, out = run_playbook("patroni_config.yml", "-e", extra)
    assert rc == 0, out
    assert set(recap_changed(out).values()) == {0}, out


def test_rolling_restart_with_nothing_pending_changes_nothing():
    rc, out = run_playbook("rolling_restart.yml")
    assert rc == 0, out
    assert set(recap_changed(out).values()) == {0}, out


# --- bad input: refused before anything changes ----------------------------------------------------

def test_timing_that_breaks_patronis_rule_is_refused():
    lead = leader()
    rc, out = run_playbook("patroni_config.yml", "-e", json.dumps({"patroni_ttl": 20, "patroni_loop_wait": 10, "patroni_retry_timeout": 6}))
    assert rc != 0 and "must not exceed" in out and "patroni_retry_timeout" in out, out
    config = json.loads(sh(APP_HOST, f"curl -fsS --max-time 3 http://{DBS[lead]}:8008/config"))
    assert (config["ttl"], config["loop_wait"], config["retry_timeout"]) == (20, 2, 5)


def test_ha_tier_with_two_etcd_members_is_refused(tmp_path):
    # The same containers, described by an inventory with only 2 etcd members and the HA tier.
    inventory = tmp_path / "two-etcd.yml"
    members = {name: {} for name in list(DBS)[:2]}
    inventory.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "community.docker.docker", "odoo_ops_service_tier": "critical"},
        "children": {"etcd": {"hosts": members}, "postgres": {"hosts": members}, "app": {"hosts": {APP_HOST: {}}}}}}))
    group_vars = tmp_path / "group_vars"
    group_vars.symlink_to(REPO / "inventories" / "sandbox-ha" / "group_vars")
    rc, out = run_playbook("patroni_config.yml", inventory=str(inventory))
    assert rc != 0 and "is an HA tier" in out and "odd number of at least 3" in out, out


def test_sentinel_quorum_larger_than_the_sentinels_is_refused():
    rc, out = run_playbook("site.yml", "--tags", "redis", "-e", "redis_sentinel_quorum=5")
    assert rc != 0 and "redis_sentinel_quorum (5" in out, out
    assert sentinel_master()["quorum"] == "2"


@pytest.mark.parametrize("name", sorted(DBS))
def test_every_member_is_back_and_streaming(name):
    wait_for(lambda: replicas_streaming(set(DBS) - {leader() or ""}), 120, 2, "every member streaming")
    assert running(name)
