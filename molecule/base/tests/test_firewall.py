"""nftables: default-deny inbound, rules from inventory groups and from other roles."""

from __future__ import annotations

import pytest
from conftest import BASE1_IP, probe_from, probe_from_controller


@pytest.fixture(scope="module")
def from_base2(base2, listeners):
    return probe_from(base2, BASE1_IP, listeners)


@pytest.fixture(scope="module")
def from_controller(listeners):
    return probe_from_controller(BASE1_IP, [*listeners, 22])


def test_listeners_answer_on_loopback(base1, listeners):
    # Control: the ports really listen, so "timeout" below can only be the firewall.
    assert probe_from(base1, "127.0.0.1", listeners) == {str(p): "open" for p in listeners}


def test_postgres_port_is_open_to_the_app_group_only(from_base2, from_controller):
    # base_firewall_allow_postgres (group_vars postgres): 5432 from groups [app] = base2.
    assert from_base2["5432"] == "open"
    assert from_controller["5432"] == "timeout"


def test_role_rules_from_firewall_rules_entry_point(base1, from_base2, from_controller):
    # converge.yml: include_role tasks_from firewall_rules, name patroni, 8008 from [postgres, app].
    assert base1.file("/etc/nftables.d/50-patroni.nft").exists
    assert from_base2["8008"] == "open"
    assert from_controller["8008"] == "timeout"


def test_rules_of_a_removed_role_are_gone(base1):
    # prepare.yml left 50-legacy.nft (port 7777); converge removed it with state absent.
    assert not base1.file("/etc/nftables.d/50-legacy.nft").exists
    assert "7777" not in base1.check_output("nft list chain inet odoo_ops input")


def test_port_range_rule_from_own_group(base1, from_base2):
    # base_firewall_allow_etcd: 2379-2380 from groups [etcd] = base1 itself, not base2.
    assert from_base2["2379"] == "timeout"
    rules = base1.check_output("nft list chain inet odoo_ops input")
    assert "tcp dport 2379-2380" in rules and "172.28.11.11" in rules


def test_ports_not_allowed_are_dropped(from_base2, from_controller):
    # 8069 is opened on app hosts only (group_vars app), 9999 nowhere.
    for port in ("8069", "9999"):
        assert from_base2[port] == "timeout"
        assert from_controller[port] == "timeout"


def test_ssh_is_open_from_the_allowed_network(from_controller):
    assert from_controller["22"] == "open"


@pytest.fixture
def docker_like_table(base1):
    """A table like the ones Docker's iptables-nft creates; removed afterwards."""
    base1.check_output(
        "nft add table ip filter && nft add chain ip filter DOCKER-USER && nft add rule ip filter DOCKER-USER counter return comment odoo-ops-test"
    )
    yield
    base1.run("nft delete table ip filter")


def test_other_tables_survive_reload_and_restart(base1, docker_like_table):
    for action in ("reload", "restart"):
        base1.check_output("systemctl %s nftables", action)
        assert "odoo-ops-test" in base1.check_output("nft list table ip filter"), action
        assert "policy drop" in base1.check_output("nft list chain inet odoo_ops input"), action


def test_dropped_packets_are_logged_last_when_asked(base1, base2):
    # base2 has base_firewall_log_dropped: the log rule comes after every accept rule.
    rules = [line.strip() for line in base2.check_output("nft list chain inet odoo_ops input").splitlines()]
    rules = [r for r in rules if r and not r.startswith(("table", "chain", "type", "}"))]
    assert rules[-1].startswith("limit rate 5/minute") and 'log prefix "odoo-ops drop: "' in rules[-1]
    assert "odoo-from-lan" in " ".join(rules[:-1])
    assert "log prefix" not in base1.check_output("nft list chain inet odoo_ops input")


def test_firewall_loads_at_boot(base1):
    assert base1.service("nftables").is_enabled
    assert base1.service("nftables").is_running
