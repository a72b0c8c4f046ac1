# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules of the base role (``base_firewall_allow*`` and ``base_firewall_rules``).

A rule is ``{name, port, proto, sources and/or groups}``. The base role hands the rules over as
items ``{where, rule}``, ``where`` naming the variable and the rule for messages.

Filters:

* ``odoo_ops.hosting.firewall_rule_errors(items, groups, name_re, ipv4_re, ipv6_re, keys)``: every
  problem of every rule as ``<where>: what is wrong`` (empty list = valid). ``groups`` is Ansible's
  ``groups`` (group -> hosts); the regular expressions and the allowed keys come from the role, so
  that the role's vars stay the one definition of them.
* ``odoo_ops.hosting.firewall_rule_hosts(items, groups)``: the hosts the rules' ``groups`` name.
* ``odoo_ops.hosting.firewall_rules_resolve(items, groups, addresses, ipv4_re)``: the rules as
  ``{where, name, port (string), proto, v4: [...], v6: [...]}`` with every group replaced by the
  addresses of its hosts (``addresses``: host -> address), duplicates removed in first-seen order.

One filter call replaces a loop of assert tasks per rule: each loop item was a task result per
host, which made every role that opens a port pay for it on every run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _port_error(port):
    """None when ``port`` is an integer 1-65535 or a range 'a-b' with 1 <= a < b <= 65535."""
    if isinstance(port, bool):
        port = None
    if isinstance(port, int):
        if 1 <= port <= 65535:
            return None
    elif isinstance(port, str):
        if re.fullmatch(r'[0-9]{1,5}', port) and 1 <= int(port) <= 65535:
            return None
        m = re.fullmatch(r'([0-9]{1,5})-([0-9]{1,5})', port)
        if m and 1 <= int(m.group(1)) < int(m.group(2)) <= 65535:
            return None
    shown = '(missing)' if port is None else port
    return "port '%s' is invalid: use an integer 1-65535 or a range \"a-b\" with 1 <= a < b <= 65535." % (shown,)


def firewall_rule_errors(items, groups, name_re, ipv4_re, ipv6_re, keys):
    """Every problem of the rules in ``items`` (list of {where, rule}), as messages."""
    errors = []
    for item in items or []:
        where = item.get('where', '?')
        rule = item.get('rule')
        if not isinstance(rule, Mapping):
            errors.append('%s: a firewall rule is a mapping with the keys %s; got %r.' % (where, ', '.join(keys), rule))
            continue
        unknown = sorted(set(rule) - set(keys))
        name = rule.get('name')
        if unknown or not isinstance(name, str) or not re.match(name_re, name):
            errors.append('%s: a firewall rule is a mapping with a name (%s) and only the keys %s; got %s.'
                          % (where, name_re, ', '.join(keys), dict(rule)))
        port_error = _port_error(rule.get('port'))
        if port_error:
            errors.append('%s: %s' % (where, port_error))
        if rule.get('proto') not in ('tcp', 'udp'):
            errors.append("%s: proto '%s' is invalid: use tcp or udp." % (where, rule.get('proto', '(missing)')))
        sources = rule.get('sources', [])
        rule_groups = rule.get('groups', [])
        if not _is_list(sources) or not _is_list(rule_groups) or len(sources) + len(rule_groups) == 0:
            errors.append('%s: needs `sources` (a list of IPv4/IPv6 addresses or CIDRs) and/or `groups` '
                          '(a list of inventory groups) with at least one entry.' % where)
            continue
        bad = [str(s) for s in sources if not re.match(ipv4_re, str(s)) and not re.match(ipv6_re, str(s))]
        unknown_groups = [str(g) for g in rule_groups if str(g) not in groups]
        if bad or unknown_groups:
            errors.append('%s: bad sources: %s, unknown groups: %s (sources are IPv4/IPv6 addresses or CIDRs, '
                          'groups are inventory groups).' % (where, bad, unknown_groups))
    return errors


def firewall_rule_hosts(items, groups):
    """The hosts named through the ``groups`` of the rules, first-seen order."""
    hosts = []
    for item in items or []:
        rule = item.get('rule') if isinstance(item, Mapping) else None
        for group in (rule or {}).get('groups', []) if isinstance(rule, Mapping) else []:
            for host in groups.get(group, []):
                if host not in hosts:
                    hosts.append(host)
    return hosts


def firewall_rules_resolve(items, groups, addresses, ipv4_re):
    """The rules with their groups replaced by addresses, split into IPv4 and IPv6 sources."""
    resolved = []
    for item in items or []:
        rule = item['rule']
        sources = [str(s) for s in rule.get('sources', [])]
        for group in rule.get('groups', []):
            sources.extend(str(addresses[h]) for h in groups.get(group, []))
        unique = []
        for source in sources:
            if source not in unique:
                unique.append(source)
        resolved.append({
            'where': item['where'],
            'name': rule['name'],
            'port': str(rule['port']),
            'proto': rule['proto'],
            'v4': [s for s in unique if re.match(ipv4_re, s)],
            'v6': [s for s in unique if not re.match(ipv4_re, s)],
        })
    return resolved


class FilterModule(object):
    """Firewall rule filters of the odoo_ops.hosting collection."""

    def filters(self):
        return {
            'firewall_rule_errors': firewall_rule_errors,
            'firewall_rule_hosts': firewall_rule_hosts,
            'firewall_rules_resolve': firewall_rules_resolve,
        }
