"""DB node membership on the live HA estate (after test_ha.py): playbooks/remove_db_node.yml and
playbooks/add_db_node.yml (issue #4).

A replica is removed while tenants write through Traefik: the cluster goes on with 2 members
(Patroni, etcd, Redis + Sentinel, HAProxy all without it) and every acknowledged row is on the
leader; the leader's removal is refused naming it, and an HA tier left with 2 etcd members is
refused unless a replacement follows (-e replace=true). The node is added back: 3 members
streaming, 3 healthy etcd members, the Sentinels see it. Every re-run changes nothing. The estate
is left as it was found: 3 streaming members.

The plumbing (docker exec, bounded waits, the write loop, ansible-playbook) is test_ha.py's.
"""

import json
import os
import subprocess
import time
from unittest import mock

import pytest
import test_ha
from test_ha import (
    APP_HOST,
    DBS,
    SENTINEL_MASTER,
    WriteLoop,
    leader,
    patroni_cluster,
    recap_changed,
    replicas_streaming,
    run_playbook,
    sentinel,
    sh,
    wait_for,
    wait_settled,
)

# Not in `make test` yet: the round trip adds about 25 minutes to the ha scenario on a 2-core machine,
# more than CI's 90 minutes leave. Run it on a live ha estate with
#   ODOO_OPS_HA_MEMBERSHIP=1 molecule verify -s ha
pytestmark = pytest.mark.skipif(os.environ.get("ODOO_OPS_HA_MEMBERSHIP") != "1",
                                reason="DB node round trip (~25 min): set ODOO_OPS_HA_MEMBERSHIP=1 to run it")

STATE = {}


def run_long(playbook, *extra):
    """test_ha.run_playbook with more room: add_db_node.yml runs roles on every host (about 10 min on a loaded
    2-core machine, more than run_playbook's 600 s)."""
    real_run = subprocess.run

    def longer(*args, **kwargs):
        kwargs["timeout"] = 1800
        return real_run(*args, **kwargs)

    with mock.patch.object(test_ha.subprocess, "run", longer):
        return run_playbook(playbook, *extra)


def etcd_members(via):
    out = sh(via, f"etcdctl --endpoints=http://{DBS[via]}:2379 member list --write-out=json")
    return sorted(m.get("name", "") for m in json.loads(out)["members"])


def etcd_healthy(via):
    return sh(via, f"etcdctl --endpoints=http://{DBS[via]}:2379 endpoint health --cluster 2>&1", check=False).count("is healthy")


def sentinel_view():
    fields = sentinel(f"SENTINEL master {SENTINEL_MASTER}").splitlines()
    master = dict(zip(fields[::2], fields[1::2], strict=True))
    return int(master["num-slaves"]), int(master["num-other-sentinels"])


def haproxy_servers():
    """Server names of pg_router's backends on the app host (HAProxy admin socket)."""
    out = sh(APP_HOST, "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock');"
                       " s.sendall(b'show stat\\n'); print(s.recv(65536).decode())\"")
    return {line.split(",")[1] for line in out.splitlines() if line and not line.startswith("#")} - {"FRONTEND", "BACKEND"}


def unchanged(out):
    changed = recap_changed(out)
    return changed and set(changed.values()) == {0}


def add_back(node):
    """add_db_node.yml for `node`: 3 streaming members, 3 healthy etcd members, the Sentinels see 2 replicas and
    3 other Sentinels, HAProxy has every member (also used by test_membership_lost.py)."""
    rc, out = run_long("add_db_node.yml", "-e", f"node={node}")
    assert rc == 0, out
    wait_for(lambda: replicas_streaming(set(DBS) - {leader() or ""}), 180, 2, f"{node} streaming again")
    lead = leader()
    assert etcd_members(lead) == sorted(DBS)
    assert etcd_healthy(lead) == 3
    wait_for(lambda: sentinel_view() == (2, 3), 60, 2, "the sentinels seeing 2 replicas and 3 other sentinels")
    assert set(DBS) <= haproxy_servers()
    wait_settled()


def test_removing_the_leader_is_refused_and_changes_nothing():
    members = wait_settled()
    lead = leader()
    rc, out = run_playbook("remove_db_node.yml", "-e", f"node={lead}", "-e", "replace=true")
    assert rc != 0 and f"node: {lead} is the current Patroni leader" in out, out
    assert unchanged(out), out
    assert {m["name"] for m in patroni_cluster()["members"]} == set(members)
    assert len(etcd_members(lead)) == 3


def test_an_ha_tier_left_with_two_etcd_members_is_refused():
    members = wait_settled()
    replica = [name for name, role in members.items() if role == "replica"][0]
    rc, out = run_playbook("remove_db_node.yml", "-e", f"node={replica}")
    assert rc != 0 and "leaves 2 etcd member(s)" in out and "replace=true" in out, out
    assert unchanged(out), out
    assert {m["name"] for m in patroni_cluster()["members"]} == set(DBS)


def test_removing_a_replica_leaves_two_members_serving_writes():
    members = wait_settled()
    node = [name for name, role in members.items() if role == "replica"][0]
    STATE["node"] = node
    # Tenants write through Traefik all along (the playbook takes minutes here).
    with WriteLoop("remove-node", max_seconds=1500, max_requests=6000, interval=0.3) as loop:
        loop.wait_acks_after(0, 5, 60)
        rc, out = run_long("remove_db_node.yml", "-e", f"node={node}", "-e", "replace=true")
        assert rc == 0, out
        lead = leader()
        stayed = set(DBS) - {node}
        assert {m["name"] for m in patroni_cluster()["members"]} == stayed
        assert replicas_streaming(stayed - {lead})
        assert etcd_members(lead) == sorted(stayed)
        assert etcd_healthy(lead) == 2
        assert sentinel_view() == (1, 2)  # app1's sentinel: 1 replica, the 2 other sentinels that stay
        assert node not in haproxy_servers() and stayed <= haproxy_servers()
        loop.wait_acks_after(time.monotonic(), 10, 60)
    assert loop.missing_on(lead) == []
    assert sh(node, "systemctl is-active patroni etcd redis-server redis-sentinel", check=False).split() == ["inactive"] * 4


def test_removing_it_again_changes_nothing():
    rc, out = run_long("remove_db_node.yml", "-e", f"node={STATE['node']}", "-e", "replace=true")
    assert rc == 0 and unchanged(out), out


def test_adding_it_back_gives_three_streaming_members():
    add_back(STATE["node"])


def test_adding_it_again_changes_nothing():
    rc, out = run_long("add_db_node.yml", "-e", f"node={STATE['node']}")
    assert rc == 0 and unchanged(out), out
    wait_settled()
