# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_switchover against a real two-member Patroni cluster.

The module-scoped fixture (patroni_fixture.LivePatroniCluster) starts etcd and two
Patroni + PostgreSQL 15 members on loopback: n1 bootstraps and leads, n2 is made a
replica by pg_basebackup (loop_wait 1 s, so a switchover takes a few seconds). The
tests run in file order: the refusals and check mode first (n1 leads), then the
switchover to n2, the re-run that changes nothing, and the switchover back to n1
where Patroni picks the candidate. Skipped when the binaries are missing.
"""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.odoo_ops.hosting.plugins.modules import patroni_switchover
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.patroni_fixture import (
    API_PASSWORD,
    API_USER,
    MISSING,
    SKIP_REASON,
    LivePatroniCluster,
    free_ports,
)
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

pytestmark = pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON)


@pytest.fixture(scope='module')
def cluster():
    live = LivePatroniCluster(members=2, scope='unit-switchover')
    try:
        live.start()
        yield live
    finally:
        live.stop()


def auth(live, **extra):
    args = {'url': live.url, 'username': API_USER, 'password': API_PASSWORD, 'wait_timeout': 40}
    args.update(extra)
    return args


def leader_of(live):
    return [m['name'] for m in live.cluster()['members'] if m['role'] == 'leader']


def by_name(members):
    return dict((m['name'], m) for m in members)


# --- n1 leads: refusals and check mode --------------------------------------------------------

def test_check_mode_does_not_switch(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='n2', leader='n1'), check_mode=True)
    assert result['failed'] is False and result['changed'] is True, result
    assert result['previous_leader'] == 'n1' and result['new_leader'] == 'n2' and result['seconds'] is None, result
    assert result['eligible'] == ['n2'] and result['patroni_answer'] is None, result
    assert 'would switch over from n1 to n2' in result['msg'], result['msg']
    assert leader_of(cluster) == ['n1']


def test_check_mode_checks_the_credentials(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='n2', password='wrong'), check_mode=True)
    assert result['failed'] is True and result['kind'] == 'auth' and result['status'] == 401, result
    assert leader_of(cluster) == ['n1']


def test_unknown_candidate_is_refused(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='nope'))
    assert result['failed'] is True and result['changed'] is False, result
    assert result['problems'] == ['candidate nope is not a member of the cluster (members: n1, n2)'], result
    assert 'refusing to switch over from n1 to nope' in result['msg'] and 'nothing was sent' in result['msg'], result['msg']


def test_wrong_expected_leader_is_refused(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, leader='n2'))
    assert result['failed'] is True and result['changed'] is False, result
    assert result['problems'] == ['the leader is n1, not n2 as expected'], result
    assert leader_of(cluster) == ['n1']


def test_wrong_password_is_refused_by_patroni(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='n2', password='wrong'))
    assert result['failed'] is True and result['kind'] == 'auth' and result['status'] == 401, result
    assert 'authentication refused for user patroni' in result['msg'], result['msg']
    assert leader_of(cluster) == ['n1']


def test_unreachable_api():
    [port] = free_ports(1)
    result = run_module(patroni_switchover.main, {'url': 'http://127.0.0.1:%d' % port, 'candidate': 'n2', 'timeout': 2})
    assert result['failed'] is True and result['kind'] == 'unreachable', result
    assert 'connection refused' in result['msg'], result['msg']


def test_scheduled_switchover_is_accepted_once(cluster):
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).replace(microsecond=0).isoformat()
    args = auth(cluster, candidate='n2', leader='n1', scheduled_at=at)
    result = run_module(patroni_switchover.main, args)
    try:
        assert result['failed'] is False and result['changed'] is True, result
        assert result['scheduled_at'] == at and result['new_leader'] is None and 'scheduled' in result['patroni_answer'].lower(), result
        assert cluster.cluster()['scheduled_switchover']['to'] == 'n2'
        again = run_module(patroni_switchover.main, args)
        assert again['failed'] is False and again['changed'] is False and 'already scheduled' in again['msg'], again
        other = run_module(patroni_switchover.main, auth(cluster, candidate='n2'))
        assert other['failed'] is True and 'another switchover is already scheduled' in other['msg'], other
    finally:
        cluster.client(username=API_USER, password=API_PASSWORD).request('DELETE', '/switchover', expect_json=False)
    assert 'scheduled_switchover' not in cluster.cluster()
    assert leader_of(cluster) == ['n1']


# --- switchovers --------------------------------------------------------------------------------

def test_switchover_to_the_replica(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='n2', leader='n1', max_lag_bytes=16 * 1024 * 1024))
    assert result['failed'] is False, result['msg']
    assert result['changed'] is True and result['previous_leader'] == 'n1' and result['new_leader'] == 'n2', result
    assert isinstance(result['seconds'], float) and 0 < result['seconds'] < 40, result
    assert result['waiting'] == [] and 'switched over from n1 to n2' in result['msg'], result
    members = by_name(result['members'])
    assert members['n2']['role'] == 'leader' and members['n2']['state'] == 'running', result
    assert members['n1']['role'] == 'replica' and members['n1']['state'] in ('running', 'streaming'), result
    assert members['n1']['lag'] is not None and members['n1']['timeline'] == members['n2']['timeline'] == 2, result
    status = cluster.client('n2').get_dict('/patroni')
    assert [r['application_name'] for r in status['replication'] if r['state'] == 'streaming'] == ['n1'], status
    assert cluster.client('n1').get_dict('/patroni')['role'] == 'replica'


def test_candidate_already_leader_changes_nothing(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, candidate='n2', leader='n1'))
    assert result['failed'] is False and result['changed'] is False, result
    assert result['previous_leader'] == result['new_leader'] == 'n2' and result['seconds'] is None, result
    assert 'member n2 is already the leader' in result['msg'], result['msg']
    check = run_module(patroni_switchover.main, auth(cluster, candidate='n2'), check_mode=True)
    assert check['changed'] is False


def test_switchover_back_patroni_picks(cluster):
    result = run_module(patroni_switchover.main, auth(cluster, url=cluster.members['n2'].api_url, leader='n2'))
    assert result['failed'] is False, result['msg']
    assert result['changed'] is True and result['previous_leader'] == 'n2' and result['new_leader'] == 'n1', result
    members = by_name(result['members'])
    assert members['n2']['role'] == 'replica' and members['n2']['lag'] is not None and members['n1']['timeline'] == 3, result
    assert leader_of(cluster) == ['n1']
