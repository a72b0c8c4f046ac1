"""Sessions in Redis found through Sentinel (the session_redis addon's variables) survive a
Redis master failover: the stand-in asks its one Sentinel for the master on every request."""

import secrets

import pytest
import redis
from standin_lib import REDIS_A_IP, REDIS_B_IP, SENTINEL_IP, remove_later, run_container, wait_until

MASTER = "standin"


@pytest.fixture(scope="module")
def redis_ha(images, network):
    password = secrets.token_urlsafe(16)
    names = ["odoo-ops-standin-redis-a", "odoo-ops-standin-redis-b", "odoo-ops-standin-sentinel"]
    common = ["--requirepass", password, "--masterauth", password, "--repl-diskless-sync-delay", "0"]
    run_container(images["redis"], "redis-run", "server", *common, name=names[0], ip=REDIS_A_IP)
    run_container(images["redis"], "redis-run", "server", *common, "--replicaof", REDIS_A_IP, "6379", name=names[1], ip=REDIS_B_IP)
    a = redis.Redis(host=REDIS_A_IP, password=password, socket_timeout=2, decode_responses=True)
    b = redis.Redis(host=REDIS_B_IP, password=password, socket_timeout=2, decode_responses=True)
    wait_until(lambda: b.info("replication").get("master_link_status") == "up", timeout=30, what="replica linked")
    # Sentinel itself has no password: the stand-in must not send the Redis password to it.
    sentinel_conf = "\n".join([
        f"sentinel monitor {MASTER} {REDIS_A_IP} 6379 1",
        f"sentinel auth-pass {MASTER} {password}",
        f"sentinel down-after-milliseconds {MASTER} 2000",
        f"sentinel failover-timeout {MASTER} 10000",
    ])
    run_container(images["redis"], "redis-run", "sentinel", name=names[2], ip=SENTINEL_IP, env={"SENTINEL_CONF": sentinel_conf})
    sentinel = redis.Redis(host=SENTINEL_IP, port=26379, socket_timeout=2, decode_responses=True)

    def replica_known():
        replicas = sentinel.sentinel_slaves(MASTER)
        return any(r["ip"] == REDIS_B_IP and r["master-link-status"] == "ok" and "s_down" not in r["flags"] for r in replicas)

    wait_until(replica_known, timeout=30, what="Sentinel knows the replica")
    yield {"password": password, "a": a, "b": b, "sentinel": sentinel, "clients": {REDIS_A_IP: a, REDIS_B_IP: b}}
    remove_later(*names)


def test_sessions_follow_a_sentinel_failover(odoo, initialised_db, redis_ha):
    env = {
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_SENTINEL_HOST": SENTINEL_IP,
        "ODOO_SESSION_REDIS_SENTINEL_PORT": "26379",
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": MASTER,
        "ODOO_SESSION_REDIS_PASSWORD": redis_ha["password"],
        "ODOO_SESSION_REDIS_PREFIX": "tenant1",
        "ODOO_SESSION_REDIS_EXPIRATION": "3600",
    }
    srv = odoo.start("odoo", "-d", initialised_db, env=env)
    sentinel = redis_ha["sentinel"]
    old_master = sentinel.sentinel_get_master_addr_by_name(MASTER)[0]
    new_master = REDIS_B_IP if old_master == REDIS_A_IP else REDIS_A_IP

    resp = srv.login()
    assert resp.json()["result"]["session_store"] == f"redis:{old_master}:6379"
    sid = resp.cookies["session_id"]
    key = f"session:tenant1:{sid}"
    old_client, new_client = redis_ha["clients"][old_master], redis_ha["clients"][new_master]
    assert 0 < old_client.ttl(key) <= 3600
    assert not srv.exec("ls", "-A", "/var/lib/odoo/sessions").stdout.strip(), "sessions must not go to the data dir"
    wait_until(lambda: new_client.exists(key), timeout=10, what="session replicated")

    def failover():
        try:
            return sentinel.execute_command("SENTINEL FAILOVER", MASTER)
        except redis.ResponseError as exc:  # NOGOODSLAVE / INPROG while Sentinel catches up
            if "INPROG" in str(exc):
                return True
            raise

    wait_until(failover, timeout=20, interval=1, what="SENTINEL FAILOVER accepted")
    wait_until(lambda: sentinel.sentinel_get_master_addr_by_name(MASTER)[0] == new_master, timeout=30, what="new master")
    wait_until(lambda: new_client.info("replication")["role"] == "master", timeout=30, what="replica promoted")

    # the session written before the failover is still valid, now read from the new master
    info = wait_until(lambda: (r := srv.get("/standin/session", cookies={"session_id": sid})).status_code == 200 and r.json(),
                      timeout=20, what="session readable after failover")
    assert info["uid"] == 2
    assert info["session_store"] == f"redis:{new_master}:6379"

    # and a new login works and lands on the new master
    resp = srv.login()
    assert resp.json()["result"]["session_store"] == f"redis:{new_master}:6379"
    assert new_client.exists(f"session:tenant1:{resp.cookies['session_id']}")


def test_redis_unreachable_is_an_error_not_a_fallback(odoo, initialised_db, redis_ha):
    env = {
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_SENTINEL_HOST": SENTINEL_IP,
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "no-such-master",
        "ODOO_SESSION_REDIS_PASSWORD": redis_ha["password"],
    }
    srv = odoo.start("odoo", "-d", initialised_db, env=env)
    resp = srv.login()
    assert resp.status_code == 500
    assert "session store unavailable" in resp.text
