# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_config: option validation and failures without a Patroni.

Behaviour against a real Patroni (PATCH, diff, check mode, 401, pending restart) is
in test_patroni_live.py.
"""

from __future__ import annotations

from ansible_collections.odoo_ops.hosting.plugins.modules import patroni_config
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module


def test_config_required(closed_port):
    result = run_module(patroni_config.main, {'url': 'http://127.0.0.1:%d' % closed_port})
    assert result['failed'] is True and 'config' in result['msg']


def test_config_types_checked_before_any_request(closed_port):
    args = {'url': 'http://127.0.0.1:%d' % closed_port, 'config': {'ttl': 'thirty', 'synchronous_mode': 'maybe'}}
    result = run_module(patroni_config.main, args)
    assert result['failed'] is True
    assert result['msg'].startswith('patroni_config: invalid config: ')
    assert "ttl must be an integer, got 'thirty'" in result['msg'] and "synchronous_mode must be a boolean" in result['msg']


def test_negative_wait_timeout(closed_port):
    args = {'url': 'http://127.0.0.1:%d' % closed_port, 'config': {}, 'wait_timeout': -1}
    result = run_module(patroni_config.main, args)
    assert result['failed'] is True and 'wait_timeout must be 0 or more' in result['msg']


def test_unreachable(closed_port):
    args = {'url': 'http://127.0.0.1:%d' % closed_port, 'config': {'ttl': 30}, 'timeout': 2}
    result = run_module(patroni_config.main, args, check_mode=True)
    assert result['failed'] is True and result['kind'] == 'unreachable'
    assert 'patroni_config: Patroni REST API at http://127.0.0.1:%d/config is unreachable' % closed_port in result['msg']
