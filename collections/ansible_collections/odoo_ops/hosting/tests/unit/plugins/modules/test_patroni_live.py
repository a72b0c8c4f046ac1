# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_cluster_info and patroni_config against a real Patroni.

The module-scoped fixture (patroni_fixture.LivePatroniCluster with one member) starts
etcd (v3 API only) and Patroni with PostgreSQL 15 from the Debian packages on 127.0.0.1
(free ports, a temporary directory), and stops them afterwards. It takes about 5 s.
When the binaries are missing the tests are skipped: `apt-get install etcd-server
patroni postgresql-15` provides them. As root, etcd, Patroni and PostgreSQL run as the
`postgres` user.
"""

from __future__ import annotations

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import KIND_REJECTED, PatroniApiError, PatroniClient
from ansible_collections.odoo_ops.hosting.plugins.modules import patroni_cluster_info, patroni_config
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules import patroni_fixture
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.patroni_fixture import API_PASSWORD, API_USER
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

pytestmark = pytest.mark.skipif(bool(patroni_fixture.MISSING), reason=patroni_fixture.SKIP_REASON)

# Bootstrap dynamic configuration the tests below expect (ttl 30, max_connections 50, work_mem 4MB).
DCS = {'ttl': 30, 'loop_wait': 2, 'retry_timeout': 10,
       'postgresql': {'use_pg_rewind': True, 'parameters': {'max_connections': 50, 'work_mem': '4MB'}}}


@pytest.fixture(scope='module')
def patroni():
    server = patroni_fixture.LivePatroniCluster(members=1, dcs=DCS)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def auth(server, **extra):
    args = {'url': server.url, 'username': API_USER, 'password': API_PASSWORD}
    args.update(extra)
    return args


def read_config(server):
    return PatroniClient(server.url).get_dict('/config')


# --- patroni_cluster_info ------------------------------------------------------------------

def test_cluster_info_reports_the_leader(patroni):
    result = run_module(patroni_cluster_info.main, {'url': patroni.url, 'include_member_status': True})
    assert result['failed'] is False and result['changed'] is False, result
    assert result['leader'] == 'n1', result
    assert result['timeline'] == 1, result
    [member] = result['members']
    assert member['role'] == 'leader' and member['state'] == 'running' and member['lag'] == 0, result
    assert member['port'] == patroni.members['n1'].pg_port and member['host'] == '127.0.0.1', result
    assert result['healthy']['ok'] is True and result['healthy']['members_running'] == 1, result
    assert result['config']['ttl'] == 30, result
    assert result['member_status']['n1']['state'] == 'running', result
    assert result['url'] == patroni.url, result


def test_cluster_info_check_mode_reads_too(patroni):
    result = run_module(patroni_cluster_info.main, auth(patroni, include_config=False, fail_on_unhealthy=True), check_mode=True)
    assert result['failed'] is False and result['changed'] is False
    assert result['leader'] == 'n1' and 'config' not in result


def test_cluster_info_unreachable():
    [port] = patroni_fixture.free_ports(1)
    result = run_module(patroni_cluster_info.main, {'url': 'http://127.0.0.1:%d' % port, 'timeout': 2})
    assert result['failed'] is True and result['kind'] == 'unreachable'
    assert 'unreachable' in result['msg'] and 'connection refused' in result['msg']


# --- patroni_config ---------------------------------------------------------------------------

def test_config_unchanged_with_numbers_as_strings(patroni):
    desired = {'ttl': '30', 'postgresql': {'use_pg_rewind': 'on', 'parameters': {'max_connections': '50', 'work_mem': '4MB'}}}
    result = run_module(patroni_config.main, auth(patroni, config=desired))
    assert result['failed'] is False, result['msg']
    assert result['changed'] is False and result['patch'] == {}
    assert result['pending_restart_members'] == [] and result['leader'] == 'n1'


def test_config_check_mode_sends_nothing(patroni):
    before = read_config(patroni)
    args = auth(patroni, config={'postgresql': {'parameters': {'work_mem': '8MB'}}}, _ansible_diff=True)
    result = run_module(patroni_config.main, args, check_mode=True)
    assert result['failed'] is False and result['changed'] is True
    assert result['patch'] == {'postgresql': {'parameters': {'work_mem': '8MB'}}}
    assert result['diff']['before']['postgresql']['parameters']['work_mem'] == '4MB'
    assert result['diff']['after']['postgresql']['parameters']['work_mem'] == '8MB'
    assert read_config(patroni) == before


def test_config_without_credentials_is_refused(patroni):
    result = run_module(patroni_config.main, {'url': patroni.url, 'config': {'postgresql': {'parameters': {'work_mem': '8MB'}}}})
    assert result['failed'] is True and result['kind'] == 'auth' and result['status'] == 401
    assert '401' in result['msg'] and 'authentication refused' in result['msg']


def test_config_wrong_password_is_refused(patroni):
    args = auth(patroni, password='wrong', config={'postgresql': {'parameters': {'work_mem': '8MB'}}})
    result = run_module(patroni_config.main, args)
    assert result['failed'] is True and result['kind'] == 'auth'
    assert 'user patroni' in result['msg']
    assert read_config(patroni)['postgresql']['parameters']['work_mem'] == '4MB'


def test_config_timing_rule_checked_before_sending(patroni):
    result = run_module(patroni_config.main, auth(patroni, config={'ttl': 20, 'retry_timeout': 10}))
    assert result['failed'] is True
    assert 'loop_wait + 2 * retry_timeout must not exceed ttl' in result['msg'] and 'nothing was sent' in result['msg']
    assert read_config(patroni)['ttl'] == 30


def test_config_change_applies_and_is_idempotent(patroni):
    desired = {'postgresql': {'parameters': {'work_mem': '8MB', 'odoo_ops.unit_marker': 'x'}}}
    result = run_module(patroni_config.main, auth(patroni, config=desired, wait_timeout=20))
    assert result['failed'] is False, result['msg']
    assert result['changed'] is True
    assert result['changed_keys'] == ['postgresql.parameters.odoo_ops.unit_marker', 'postgresql.parameters.work_mem']
    assert result['members_not_confirmed'] == []
    assert result['pending_restart_members'] == []  # work_mem needs no restart
    assert read_config(patroni)['postgresql']['parameters']['work_mem'] == '8MB'
    again = run_module(patroni_config.main, auth(patroni, config=desired))
    assert again['changed'] is False


def test_config_null_removes_a_key(patroni):
    desired = {'postgresql': {'parameters': {'odoo_ops.unit_marker': None}}}
    result = run_module(patroni_config.main, auth(patroni, config=desired, wait=False))
    assert result['changed'] is True and result['patch'] == desired
    assert 'odoo_ops.unit_marker' not in read_config(patroni)['postgresql']['parameters']
    assert run_module(patroni_config.main, auth(patroni, config=desired))['changed'] is False


def test_config_restart_parameter_reports_pending_restart(patroni):
    result = run_module(patroni_config.main, auth(patroni, config={'postgresql': {'parameters': {'max_connections': 60}}}, wait_timeout=20))
    assert result['failed'] is False and result['changed'] is True
    assert result['members_not_confirmed'] == []
    assert result['pending_restart_members'] == ['n1']
    info = run_module(patroni_cluster_info.main, {'url': patroni.url, 'include_member_status': True})
    assert info['member_status']['n1']['pending_restart'] is True


def test_empty_patch_is_rejected_by_patroni(patroni):
    client = PatroniClient(patroni.url, API_USER, API_PASSWORD)
    with pytest.raises(PatroniApiError) as err:
        client.patch_config({})
    assert err.value.kind == KIND_REJECTED and err.value.status == 400
