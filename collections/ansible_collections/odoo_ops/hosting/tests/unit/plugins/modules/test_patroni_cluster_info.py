# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_cluster_info: option validation and failures without a Patroni.

Behaviour against a real Patroni is in test_patroni_live.py.
"""

from __future__ import annotations

from ansible_collections.odoo_ops.hosting.plugins.modules import patroni_cluster_info
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module


def test_url_required():
    result = run_module(patroni_cluster_info.main, {})
    assert result['failed'] is True and 'url' in result['msg']


def test_password_needs_username(closed_port):
    result = run_module(patroni_cluster_info.main, {'url': 'http://127.0.0.1:%d' % closed_port, 'password': 'x'})
    assert result['failed'] is True and 'username' in result['msg']


def test_bad_url():
    result = run_module(patroni_cluster_info.main, {'url': 'ftp://db1:8008'})
    assert result['failed'] is True and result['msg'].startswith('patroni_cluster_info: ')
    assert 'scheme must be http or https' in result['msg']


def test_negative_max_lag(closed_port):
    result = run_module(patroni_cluster_info.main, {'url': 'http://127.0.0.1:%d' % closed_port, 'max_lag': -1})
    assert result['failed'] is True and result['msg'] == 'patroni_cluster_info: max_lag must be 0 or more, got -1'


def test_bad_timeout(closed_port):
    result = run_module(patroni_cluster_info.main, {'url': 'http://127.0.0.1:%d' % closed_port, 'timeout': 0})
    assert result['failed'] is True and 'timeout must be more than 0' in result['msg']


def test_unreachable_fails_in_check_mode_too(closed_port):
    result = run_module(patroni_cluster_info.main, {'url': 'http://127.0.0.1:%d' % closed_port}, check_mode=True)
    assert result['failed'] is True and result['kind'] == 'unreachable' and result['status'] == -1


def test_not_patroni(http_server):
    result = run_module(patroni_cluster_info.main, {'url': http_server.url('/')})
    assert result['failed'] is True and result['kind'] == 'rejected' and '404' in result['msg']
