# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rule validation and resolution of the base role."""

from __future__ import annotations

import pytest

from ansible_collections.odoo_ops.hosting.plugins.filter import firewall as fw

# The base role's own expressions (roles/base/vars/main.yml).
RE_IPV4 = (r'^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
           r'(/(3[0-2]|[12]?[0-9]))?$')
RE_IPV6 = r'^(?=.*:)[0-9A-Fa-f:.]{2,45}(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?$'
RE_NAME = r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'
KEYS = ['name', 'port', 'proto', 'sources', 'groups']
GROUPS = {'all': ['db1', 'db2', 'app1'], 'postgres': ['db1', 'db2'], 'app': ['app1']}


def items(*rules):
    return [{'where': 'rules[%d]' % i, 'rule': r} for i, r in enumerate(rules)]


def errors(*rules):
    return fw.firewall_rule_errors(items(*rules), GROUPS, RE_NAME, RE_IPV4, RE_IPV6, KEYS)


def test_valid_rules_have_no_errors():
    assert errors(
        {'name': 'pg', 'port': 5432, 'proto': 'tcp', 'groups': ['postgres', 'app']},
        {'name': 'range', 'port': '2379-2380', 'proto': 'tcp', 'sources': ['10.0.0.0/8', 'fd00::/8']},
        {'name': 'dns', 'port': '53', 'proto': 'udp', 'sources': ['192.0.2.1']},
    ) == []


@pytest.mark.parametrize('rule, fragment', [
    ('not a mapping', 'a firewall rule is a mapping'),
    ({'name': 'x', 'port': 1, 'proto': 'tcp', 'sources': ['10.0.0.1'], 'extra': 1}, 'only the keys'),
    ({'name': '-bad', 'port': 1, 'proto': 'tcp', 'sources': ['10.0.0.1']}, 'a name'),
    ({'port': 1, 'proto': 'tcp', 'sources': ['10.0.0.1']}, 'a name'),
    ({'name': 'x', 'port': 0, 'proto': 'tcp', 'sources': ['10.0.0.1']}, "port '0' is invalid"),
    ({'name': 'x', 'port': 65536, 'proto': 'tcp', 'sources': ['10.0.0.1']}, "port '65536' is invalid"),
    ({'name': 'x', 'port': '20-10', 'proto': 'tcp', 'sources': ['10.0.0.1']}, "port '20-10' is invalid"),
    ({'name': 'x', 'port': True, 'proto': 'tcp', 'sources': ['10.0.0.1']}, 'is invalid'),
    ({'name': 'x', 'proto': 'tcp', 'sources': ['10.0.0.1']}, "port '(missing)' is invalid"),
    ({'name': 'x', 'port': 1, 'proto': 'icmp', 'sources': ['10.0.0.1']}, "proto 'icmp' is invalid"),
    ({'name': 'x', 'port': 1, 'proto': 'tcp'}, 'needs `sources`'),
    ({'name': 'x', 'port': 1, 'proto': 'tcp', 'sources': '10.0.0.1'}, 'needs `sources`'),
    ({'name': 'x', 'port': 1, 'proto': 'tcp', 'sources': ['10.0.0.300']}, "bad sources: ['10.0.0.300']"),
    ({'name': 'x', 'port': 1, 'proto': 'tcp', 'groups': ['nope']}, "unknown groups: ['nope']"),
])
def test_each_problem_is_named(rule, fragment):
    found = errors({'name': 'ok', 'port': 22, 'proto': 'tcp', 'sources': ['10.0.0.1']}, rule)
    assert len(found) == 1, found
    assert found[0].startswith('rules[1]: ')
    assert fragment in found[0]


def test_every_problem_of_a_rule_is_reported():
    found = errors({'name': 'x', 'port': 'http', 'proto': 'sctp', 'groups': ['nope']})
    assert [e.split(': ', 1)[1].split(' ')[0] for e in found] == ["port", "proto", "bad"]


def test_hosts_of_the_groups_in_first_seen_order():
    assert fw.firewall_rule_hosts(items(
        {'name': 'a', 'groups': ['app', 'postgres']}, {'name': 'b', 'groups': ['all']}, 'junk',
    ), GROUPS) == ['app1', 'db1', 'db2']


def test_resolve_replaces_groups_by_addresses_and_splits_families():
    addresses = {'db1': '10.0.0.11', 'db2': 'fd00::12', 'app1': '10.0.0.21'}
    resolved = fw.firewall_rules_resolve(items(
        {'name': 'pg', 'port': 5432, 'proto': 'tcp', 'sources': ['10.0.0.21', '192.0.2.0/24'], 'groups': ['postgres', 'app']},
    ), GROUPS, addresses, RE_IPV4)
    assert resolved == [{
        'where': 'rules[0]', 'name': 'pg', 'port': '5432', 'proto': 'tcp',
        'v4': ['10.0.0.21', '192.0.2.0/24', '10.0.0.11'], 'v6': ['fd00::12'],
    }]
