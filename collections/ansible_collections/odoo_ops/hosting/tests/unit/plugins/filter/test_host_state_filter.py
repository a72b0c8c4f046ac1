# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing a host_state read with the wanted state."""

from __future__ import annotations

from ansible_collections.odoo_ops.hosting.plugins.filter.host_state import host_state_stale, host_state_units_down

READ = {
    '/etc/a.conf': {'type': 'file', 'owner': 'root', 'group': 'postgres', 'mode': '0640', 'sha1': 'aa'},
    '/var/lib/x': {'type': 'dir', 'owner': 'postgres', 'group': 'postgres', 'mode': '0750'},
    '/etc/link': {'type': 'link', 'owner': 'root', 'group': 'root', 'mode': '0777', 'target': '/usr/share/z'},
    '/etc/gone': {'type': 'absent'},
}


def test_nothing_differs():
    assert host_state_stale([
        {'path': '/etc/a.conf', 'owner': 'root', 'group': 'postgres', 'mode': '0640', 'sha1': 'aa'},
        {'path': '/var/lib/x', 'type': 'dir', 'mode': '0750'},
        {'path': '/etc/link', 'type': 'link', 'target': '/usr/share/z'},
        {'path': '/etc/gone', 'type': 'absent'},
        {'path': '/never/read', 'type': 'absent'},
    ], READ) == []


def test_each_difference_is_found():
    assert host_state_stale([
        {'path': '/etc/a.conf', 'sha1': 'bb'},
        {'path': '/var/lib/x', 'type': 'dir', 'owner': 'root'},
        {'path': '/etc/link', 'type': 'link', 'target': '/elsewhere'},
        {'path': '/etc/gone'},
        {'path': '/never/read', 'type': 'dir'},
        {'path': '/etc/a.conf', 'type': 'absent'},
        {'path': '/var/lib/x', 'type': 'file'},
    ], READ) == ['/etc/a.conf', '/var/lib/x', '/etc/link', '/etc/gone', '/never/read', '/etc/a.conf', '/var/lib/x']


def test_keys_not_given_or_none_are_not_compared():
    assert host_state_stale([{'path': '/etc/a.conf', 'mode': None}, {'path': '/var/lib/x', 'type': 'dir'}], READ) == []


def test_mode_given_as_a_number_string_is_compared_as_text():
    assert host_state_stale([{'path': '/var/lib/x', 'type': 'dir', 'mode': '0755'}], READ) == ['/var/lib/x']


def test_units_down():
    read = {'a.timer': {'active': 'active', 'enabled': 'enabled'}, 'b.timer': {'active': 'inactive', 'enabled': 'enabled'},
            'c.timer': {'active': 'active', 'enabled': 'disabled'}}
    assert host_state_units_down(['a.timer', 'b.timer', 'c.timer', 'd.timer'], read) == ['b.timer', 'c.timer', 'd.timer']
    assert host_state_units_down([], read) == []
