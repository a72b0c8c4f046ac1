# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_switchover: the safety checks and the settle condition, and the option validation.

The /cluster documents have the shape Patroni 3.0.2 answers with (see
test_patroni_live.py); the cases that a two-member live cluster cannot show
(nofailover tags, synchronous mode, lag, paused clusters, stopped members) are
built from it here. The REST conversation itself is tested against a real cluster
in test_patroni_switchover_live.py.
"""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import (
    parse_cluster,
    parse_iso_time,
    parse_schedule,
    plan_switchover,
    same_schedule,
    switchover_body,
    switchover_waiting,
    takeover_limitations,
)
from ansible_collections.odoo_ops.hosting.plugins.modules import patroni_switchover
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

CLUSTER = {'members': [
    {'name': 'n1', 'role': 'leader', 'state': 'running', 'api_url': 'http://127.0.0.1:18008/patroni', 'host': '127.0.0.1',
     'port': 15432, 'timeline': 4},
    {'name': 'n2', 'role': 'replica', 'state': 'running', 'api_url': 'http://127.0.0.1:18009/patroni', 'host': '127.0.0.1',
     'port': 15433, 'timeline': 4, 'lag': 0},
    {'name': 'n3', 'role': 'replica', 'state': 'streaming', 'api_url': 'http://127.0.0.1:18010/patroni', 'host': '127.0.0.1',
     'port': 15434, 'timeline': 4, 'lag': 2048},
]}
LEADER_STATUS = {'state': 'running', 'role': 'master', 'timeline': 4, 'replication': [
    {'usename': 'replicator', 'application_name': 'n2', 'client_addr': '127.0.0.1', 'state': 'streaming', 'sync_state': 'async'},
    {'usename': 'replicator', 'application_name': 'n3', 'client_addr': '127.0.0.1', 'state': 'streaming', 'sync_state': 'async'},
]}
NOW = datetime.datetime(2026, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)


def cluster_with(**changes):
    """CLUSTER with member fields changed: cluster_with(n2={'state': 'stopped'}, pause=True)."""
    data = copy.deepcopy(CLUSTER)
    for member in data['members']:
        for key, value in changes.get(member['name'], {}).items():
            if value is None:
                member.pop(key, None)
            else:
                member[key] = value
    for key in ('pause', 'scheduled_switchover'):
        if key in changes:
            data[key] = changes[key]
    return data


# --- plan_switchover ------------------------------------------------------------------------------

def test_healthy_cluster_to_named_candidate():
    plan = plan_switchover(CLUSTER, {'loop_wait': 10}, candidate='n2', leader='n1', max_lag=1048576)
    assert plan['noop'] is None and plan['problems'] == []
    assert plan['leader'] == 'n1' and plan['eligible'] == ['n2', 'n3'] and plan['synchronous_mode'] is False


def test_candidate_already_leader_is_noop_even_with_stale_leader():
    plan = plan_switchover(CLUSTER, {}, candidate='n1', leader='n2')
    assert plan['noop'] == 'member n1 is already the leader' and plan['problems'] == []


@pytest.mark.parametrize('changes, candidate, kwargs, problem', [
    ({}, 'n9', {}, 'candidate n9 is not a member of the cluster (members: n1, n2, n3)'),
    ({}, 'n2', {'leader': 'n3'}, 'the leader is n1, not n3 as expected'),
    ({'n2': {'state': 'stopped', 'lag': 'unknown'}}, 'n2', {}, 'member n2 is stopped, not running'),
    ({'n2': {'lag': 'unknown'}}, 'n2', {}, 'member n2 has unknown replication lag'),
    ({'n2': {'tags': {'nofailover': True}}}, 'n2', {}, 'member n2 has the nofailover tag'),
    ({'n2': {'tags': {'nofailover': 'true'}}}, 'n2', {}, 'member n2 has the nofailover tag'),
    ({}, 'n3', {'max_lag': 1024}, 'member n3 lags 2048 bytes behind the leader (max_lag_bytes 1024)'),
    ({'n1': {'state': 'stopping'}}, 'n2', {}, 'leader n1 is stopping, not running'),
    ({'n1': {'role': 'replica', 'lag': 0}}, 'n2', {}, 'the cluster has no leader'),
    ({'n3': {'role': 'leader'}}, 'n2', {}, 'the cluster has more than one leader: n1, n3'),
    ({'pause': True}, None, {}, 'the cluster is paused (maintenance mode); a switchover then needs a candidate'),
])
def test_refusals(changes, candidate, kwargs, problem):
    plan = plan_switchover(cluster_with(**changes), {}, candidate=candidate, **kwargs)
    assert plan['noop'] is None
    assert problem in plan['problems'], plan['problems']


def test_nofailover_false_is_fine_and_paused_with_candidate_is_allowed():
    plan = plan_switchover(cluster_with(n2={'tags': {'nofailover': False}}, pause=True), {}, candidate='n2')
    assert plan['problems'] == []


def test_synchronous_mode_needs_the_sync_standby():
    data = cluster_with(n2={'role': 'sync_standby'})
    plan = plan_switchover(data, {'synchronous_mode': 'on'}, candidate='n3')
    assert plan['problems'] == ['synchronous_mode is on and member n3 is not a synchronous standby']
    assert plan['synchronous_mode'] is True and plan['eligible'] == ['n2']
    assert plan_switchover(data, {'synchronous_mode': True}, candidate='n2')['problems'] == []
    assert plan_switchover(data, {'synchronous_mode': True})['problems'] == []


def test_without_candidate_needs_an_eligible_replica():
    data = cluster_with(n2={'tags': {'nofailover': True}}, n3={'state': 'starting', 'lag': None})
    plan = plan_switchover(data, {})
    assert plan['eligible'] == []
    assert plan['problems'] == ['no replica can take over: member n2 has the nofailover tag; member n3 is starting, not running']
    only_leader = {'members': CLUSTER['members'][:1]}
    assert plan_switchover(only_leader, {})['problems'] == ['the cluster has no replica to switch over to']
    assert plan_switchover(cluster_with(n2={'tags': {'nofailover': True}}), {})['eligible'] == ['n3']


def test_existing_scheduled_switchover():
    at = parse_schedule('2026-05-01T02:30:00Z', now=NOW)
    data = cluster_with(scheduled_switchover={'at': '2026-05-01T02:30:00+00:00', 'from': 'n1', 'to': 'n2'})
    plan = plan_switchover(data, {}, candidate='n2', leader='n1', schedule=at)
    assert plan['noop'] == 'this switchover is already scheduled at 2026-05-01T02:30:00+00:00'
    plan = plan_switchover(data, {}, candidate='n3', schedule=at)
    assert plan['noop'] is None
    assert plan['problems'] == ['another switchover is already scheduled (at 2026-05-01T02:30:00+00:00, from n1, to n2); '
                                'cancel it first with DELETE /switchover']
    assert plan_switchover(data, {}, candidate='n2')['problems'][0].startswith('another switchover is already scheduled')


def test_takeover_limitations_collects_every_reason():
    member = parse_cluster(cluster_with(n3={'tags': {'nofailover': 'yes'}}))['members'][2]
    assert takeover_limitations(member, synchronous_mode=True, max_lag=10) == [
        'member n3 has the nofailover tag', 'member n3 lags 2048 bytes behind the leader (max_lag_bytes 10)',
        'synchronous_mode is on and member n3 is not a synchronous standby']


# --- schedule ----------------------------------------------------------------------------------

def test_parse_schedule():
    assert parse_schedule('2026-05-01T02:30:00Z', now=NOW) == datetime.datetime(2026, 5, 1, 2, 30, tzinfo=datetime.timezone.utc)
    assert parse_schedule('2026-05-01T04:30:00+02:00', now=NOW).isoformat() == '2026-05-01T04:30:00+02:00'
    with pytest.raises(ValueError, match='has no timezone'):
        parse_schedule('2026-05-01T02:30:00', now=NOW)
    with pytest.raises(ValueError, match='in the past'):
        parse_schedule('2026-04-30T23:59:00Z', now=NOW)
    with pytest.raises(ValueError, match='not an ISO 8601 time'):
        parse_schedule('tomorrow', now=NOW)
    assert parse_iso_time('2020-01-01T00:00:00Z').year == 2020  # past times parse without the future check


def test_same_schedule():
    at = parse_iso_time('2026-05-01T02:30:00Z')
    wanted = {'at': at, 'leader': 'n1', 'candidate': 'n2'}
    assert same_schedule({'at': '2026-05-01T04:30:00+02:00', 'from': 'n1', 'to': 'n2'}, wanted)
    assert not same_schedule({'at': '2026-05-01T02:31:00+00:00', 'from': 'n1', 'to': 'n2'}, wanted)
    assert not same_schedule({'at': '2026-05-01T02:30:00+00:00', 'from': 'n1'}, wanted)
    assert not same_schedule({'at': 'garbage', 'from': 'n1', 'to': 'n2'}, wanted)
    assert not same_schedule({'at': '2026-05-01T02:30:00+00:00', 'from': 'n1', 'to': 'n2'}, None)


def test_switchover_body():
    assert switchover_body('n1') == {'leader': 'n1'}
    assert switchover_body('n1', 'n2', '2026-05-01T02:30:00+00:00') == {'leader': 'n1', 'candidate': 'n2', 'scheduled_at': '2026-05-01T02:30:00+00:00'}


# --- switchover_waiting ------------------------------------------------------------------------

def after(**changes):
    """The cluster after a switchover from n1 to n2 (timeline 5), with changes."""
    base = {'n1': {'role': 'replica', 'lag': 0, 'timeline': 5}, 'n2': {'role': 'leader', 'lag': None, 'timeline': 5},
            'n3': {'timeline': 5}}
    for name, fields in changes.items():
        base.setdefault(name, {}).update(fields)
    return parse_cluster(cluster_with(**base))


def status(*streaming):
    return {'role': 'master', 'replication': [{'application_name': n, 'state': 'streaming'} for n in streaming]}


def test_settled():
    assert switchover_waiting(after(), 'n1', 'n2', status('n1', 'n3'), ['n1', 'n2', 'n3']) == []
    assert switchover_waiting(after(), 'n1', None, status('n1', 'n3'), ['n1', 'n2', 'n3']) == []
    # A member that was not running before the switchover is not waited for.
    assert switchover_waiting(after(n3={'state': 'stopped'}), 'n1', 'n2', status('n1'), ['n1', 'n2']) == []


@pytest.mark.parametrize('cluster, leader_status, waiting', [
    ({'n1': {'role': 'leader'}, 'n2': {'role': 'replica', 'lag': 0}}, None, ['the leader is still n1']),
    ({'n2': {'role': 'replica', 'lag': 0}, 'n3': {'role': 'leader'}}, None, ['n3 became the leader instead of n2']),
    ({'n2': {'state': 'starting'}}, None, ['new leader n2 is starting']),
    ({'n1': {'state': 'stopped'}}, status('n3'), ['member n1 is stopped']),
    ({'n1': {'lag': 'unknown'}}, status('n1', 'n3'), ['member n1 has unknown lag']),
    ({'n1': {'timeline': 4}}, status('n1', 'n3'), ['member n1 is on timeline 4, the leader on 5']),
    ({}, status('n3'), ['member n1 does not stream from n2 yet']),
    ({}, None, ['the REST API of new leader n2 did not answer']),
    ({}, {'role': 'replica'}, ['new leader n2 reports role replica', 'member n1 does not stream from n2 yet',
                               'member n3 does not stream from n2 yet']),
])
def test_not_settled(cluster, leader_status, waiting):
    assert switchover_waiting(after(**cluster), 'n1', 'n2', leader_status, ['n1', 'n2', 'n3']) == waiting


def test_no_leader_while_switching():
    data = parse_cluster(cluster_with(n1={'role': 'replica', 'lag': 0}))
    assert switchover_waiting(data, 'n1', 'n2', None, ['n1', 'n2']) == ['the leader is still not elected']


# --- option validation (fails before any request) -----------------------------------------------

@pytest.mark.parametrize('args, message', [
    ({'candidate': 'n1', 'leader': 'n1'}, 'candidate and leader are both n1'),
    ({'candidate': ' '}, 'candidate must not be empty'),
    ({'wait_timeout': -1}, 'wait_timeout must be 0 or more'),
    ({'max_lag_bytes': -5}, 'max_lag_bytes must be 0 or more'),
    ({'timeout': 0}, 'timeout must be more than 0'),
    ({'scheduled_at': '2026-05-01 02:30'}, 'scheduled_at: \'2026-05-01 02:30\' has no timezone'),
    ({'scheduled_at': '2001-05-01T02:30:00Z'}, 'is in the past'),
    ({'scheduled_at': 'soon'}, 'is not an ISO 8601 time'),
])
def test_invalid_options(closed_port, args, message):
    params = {'url': 'http://127.0.0.1:%d' % closed_port}
    params.update(args)
    result = run_module(patroni_switchover.main, params)
    assert result['failed'] is True and message in result['msg'], result['msg']
    assert result['msg'].startswith('patroni_switchover: ')


def test_password_needs_username(closed_port):
    result = run_module(patroni_switchover.main, {'url': 'http://127.0.0.1:%d' % closed_port, 'password': 'x'})
    assert result['failed'] is True and 'username' in result['msg']
