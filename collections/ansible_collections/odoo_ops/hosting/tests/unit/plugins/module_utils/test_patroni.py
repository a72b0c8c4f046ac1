# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of module_utils/patroni.py: comparison, PATCH building, timing rule, /cluster parsing.

The /cluster and /config documents below were captured from a real Patroni 3.0.2
(Debian bookworm) cluster of three members on loopback with etcd 3.4; the REST
interaction itself is tested against a live Patroni in
tests/unit/plugins/modules/test_patroni_live.py and in the molecule db scenario.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import (
    KIND_PROTOCOL,
    KIND_REJECTED,
    KIND_UNREACHABLE,
    PatroniApiError,
    PatroniClient,
    apply_patch,
    check_timing,
    check_types,
    config_patch,
    flatten_keys,
    normalize_scalar,
    parse_cluster,
    values_equal,
)

# GET /cluster, synchronous_mode on, three members (captured; n3's api_url as Patroni reported it).
CLUSTER_SYNC = json.loads("""
{"members": [
  {"name": "n1", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:18008/patroni",
   "host": "127.0.0.1", "port": 15432, "timeline": 1, "pending_restart": true},
  {"name": "n2", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:18009/patroni",
   "host": "127.0.0.1", "port": 15433, "timeline": 1, "pending_restart": true, "lag": 0},
  {"name": "n3", "role": "sync_standby", "state": "running", "api_url": "http://127.0.0.1:180010/patroni",
   "host": "127.0.0.1", "port": 15434, "timeline": 1, "pending_restart": true, "lag": 0}]}
""")

# GET /cluster while n3 was shutting down (nosync tag set, lag growing) (captured).
CLUSTER_STOPPING = json.loads("""
{"members": [
  {"name": "n1", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:18008/patroni",
   "host": "127.0.0.1", "port": 15432, "timeline": 1, "pending_restart": true},
  {"name": "n2", "role": "sync_standby", "state": "running", "api_url": "http://127.0.0.1:18009/patroni",
   "host": "127.0.0.1", "port": 15433, "timeline": 1, "pending_restart": true, "lag": 0},
  {"name": "n3", "role": "replica", "state": "running", "api_url": "http://127.0.0.1:180010/patroni",
   "host": "127.0.0.1", "port": 15434, "timeline": 1, "pending_restart": true, "tags": {"nosync": true}, "lag": 56}]}
""")

# GET /config (captured).
CONFIG = json.loads("""
{"ttl": 30, "loop_wait": 10, "retry_timeout": 10, "synchronous_mode": true,
 "postgresql": {"use_pg_rewind": true, "parameters": {"max_connections": 60, "work_mem": "8MB"}}}
""")


# --- normalisation and comparison ---------------------------------------------------------

@pytest.mark.parametrize('a, b', [
    ('100', 100), (100, 100.0), ('0.9', 0.9), (' 42 ', 42), ('on', True), ('OFF', False), ('true', True),
    ('4MB', '4MB'), ({'a': '1'}, {'a': 1}), (['1', 'x'], [1, 'x']), (None, None),
])
def test_values_equal(a, b):
    assert values_equal(a, b) and values_equal(b, a)


@pytest.mark.parametrize('a, b', [
    ('4MB', '4096kB'), (1, True), (0, False), ('1', True), ('100', 101), ({'a': 1}, {'a': 1, 'b': 2}),
    ([1], [1, 2]), ({'a': 1}, [1]), ('x', None), ('on', 'off'),
])
def test_values_differ(a, b):
    assert not values_equal(a, b) and not values_equal(b, a)


def test_normalize_scalar():
    assert normalize_scalar('1e3') == 1000
    assert normalize_scalar('1.5') == 1.5
    assert normalize_scalar(2.0) == 2 and isinstance(normalize_scalar(2.0), int)
    assert normalize_scalar('8MB') == '8MB'


# --- PATCH building ----------------------------------------------------------------------------

def test_patch_contains_only_differences():
    desired = {'ttl': '30', 'loop_wait': 10, 'synchronous_mode': False,
               'postgresql': {'use_pg_rewind': 'on', 'parameters': {'max_connections': '60', 'work_mem': '16MB', 'wal_keep_size': '1GB'}}}
    patch = config_patch(CONFIG, desired)
    assert patch == {'synchronous_mode': False, 'postgresql': {'parameters': {'work_mem': '16MB', 'wal_keep_size': '1GB'}}}
    assert flatten_keys(patch) == ['postgresql.parameters.wal_keep_size', 'postgresql.parameters.work_mem', 'synchronous_mode']


def test_patch_empty_when_equal():
    assert config_patch(CONFIG, {'ttl': 30, 'postgresql': {'parameters': {'max_connections': 60}}}) == {}
    assert config_patch(CONFIG, {}) == {}


def test_patch_removes_keys_with_none():
    desired = {'synchronous_mode': None, 'postgresql': {'parameters': {'work_mem': None, 'absent': None}}, 'absent': None}
    patch = config_patch(CONFIG, desired)
    assert patch == {'synchronous_mode': None, 'postgresql': {'parameters': {'work_mem': None}}}
    after = apply_patch(CONFIG, patch)
    assert 'synchronous_mode' not in after and after['postgresql']['parameters'] == {'max_connections': 60}
    assert CONFIG['synchronous_mode'] is True  # not modified in place
    assert config_patch(after, desired) == {}


def test_patch_adds_new_sections_without_nulls():
    patch = config_patch({'ttl': 30}, {'postgresql': {'parameters': {'work_mem': '8MB', 'x': None}}})
    assert patch == {'postgresql': {'parameters': {'work_mem': '8MB'}}}
    assert apply_patch({'ttl': 30}, patch) == {'ttl': 30, 'postgresql': {'parameters': {'work_mem': '8MB'}}}


def test_patch_replaces_lists_and_non_dicts():
    current = {'slots': {'a': {'type': 'physical'}}, 'standby_cluster': 'x', 'ignore_slots': [{'name': 'a'}]}
    desired = {'standby_cluster': {'host': 'h'}, 'ignore_slots': [{'name': 'a'}, {'name': 'b'}]}
    patch = config_patch(current, desired)
    assert patch == {'standby_cluster': {'host': 'h'}, 'ignore_slots': [{'name': 'a'}, {'name': 'b'}]}


# --- checks --------------------------------------------------------------------------------

def test_timing_rule():
    assert check_timing({}) == []
    assert check_timing({'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10}) == []
    assert check_timing({'ttl': '20', 'loop_wait': '5', 'retry_timeout': '5'}) == []
    [problem] = check_timing({'ttl': 25, 'loop_wait': 10, 'retry_timeout': 10})
    assert problem == 'loop_wait + 2 * retry_timeout must not exceed ttl, got 10 + 2 * 10 = 30 > ttl 25'


def test_timing_minimums_and_types():
    problems = check_timing({'ttl': 10, 'loop_wait': 0, 'retry_timeout': 'abc'})
    assert 'ttl must be at least 20, got 10' in problems
    assert 'loop_wait must be at least 1, got 0' in problems
    assert "retry_timeout must be an integer, got 'abc'" in problems


def test_check_types():
    assert check_types(CONFIG) == []
    problems = check_types({'ttl': 'abc', 'maximum_lag_on_failover': True, 'synchronous_mode': 'maybe', 'postgresql': {'parameters': []}})
    assert "ttl must be an integer, got 'abc'" in problems
    assert 'maximum_lag_on_failover must be an integer, got True' in problems
    assert "synchronous_mode must be a boolean, got 'maybe'" in problems
    assert 'postgresql.parameters must be a dict, got []' in problems
    assert check_types({'synchronous_mode': 'on', 'ttl': '30'}) == []


# --- /cluster parsing ----------------------------------------------------------------------

def test_parse_cluster_sync():
    info = parse_cluster(CLUSTER_SYNC)
    assert info['leader'] == 'n1' and info['timeline'] == 1
    roles = dict((m['name'], m['role']) for m in info['members'])
    assert roles == {'n1': 'leader', 'n2': 'replica', 'n3': 'sync_standby'}
    assert info['members'][0]['lag'] == 0 and info['members'][0]['port'] == 15432
    health = info['healthy']
    assert health['ok'] is True and health['has_leader'] is True
    assert health['members_total'] == 3 and health['members_running'] == 3
    assert health['pending_restart'] == ['n1', 'n2', 'n3'] and health['max_lag'] == 0


def test_parse_cluster_lag_threshold():
    info = parse_cluster(CLUSTER_STOPPING, max_lag=10)
    assert info['members'][2]['tags'] == {'nosync': True} and info['members'][2]['lag'] == 56
    assert info['healthy']['ok'] is False
    assert info['healthy']['problems'] == ['replica n3 lags 56 bytes (more than 10)']
    assert parse_cluster(CLUSTER_STOPPING)['healthy']['ok'] is True


def test_parse_cluster_without_leader_and_stopped_member():
    data = {'members': [
        {'name': 'a', 'role': 'replica', 'state': 'stopped', 'lag': 'unknown', 'timeline': 2},
        {'name': 'b', 'role': 'replica', 'state': 'streaming', 'lag': 'unknown', 'timeline': 2},
    ]}
    info = parse_cluster(data)
    assert info['leader'] is None and info['timeline'] is None
    assert info['healthy']['has_leader'] is False and info['healthy']['not_running'] == ['a']
    assert info['healthy']['problems'] == ['no leader', 'member a is stopped', 'replica b has unknown lag']
    assert info['members'][0]['lag'] is None


def test_parse_cluster_master_role_is_leader():
    info = parse_cluster({'members': [{'name': 'a', 'role': 'master', 'state': 'running', 'timeline': 3}]})
    assert info['leader'] == 'a' and info['members'][0]['role'] == 'leader' and info['timeline'] == 3


def test_parse_cluster_rejects_other_documents():
    with pytest.raises(PatroniApiError) as err:
        parse_cluster(['not', 'a', 'cluster'])
    assert err.value.kind == KIND_PROTOCOL


# --- client errors without a server ------------------------------------------------------------------

def test_client_base_url_ignores_path():
    assert PatroniClient('http://10.0.0.1:8008/patroni').base_url == 'http://10.0.0.1:8008'
    assert PatroniClient('https://db1').base_url == 'https://db1:443'
    assert PatroniClient('http://10.0.0.1:8008').for_member('http://10.0.0.2:8008/patroni').base_url == 'http://10.0.0.2:8008'


def test_client_unreachable(closed_port):
    with pytest.raises(PatroniApiError) as err:
        PatroniClient('http://127.0.0.1:%d' % closed_port, timeout=2).get('/cluster')
    assert err.value.kind == KIND_UNREACHABLE and err.value.status == -1
    assert 'connection refused' in err.value.reason


def test_client_answer_not_json(http_server):
    with pytest.raises(PatroniApiError) as err:
        PatroniClient(http_server.url('/')).get('/text')
    assert err.value.kind == KIND_PROTOCOL and 'not with JSON' in err.value.reason


def test_client_error_status(http_server):
    with pytest.raises(PatroniApiError) as err:
        PatroniClient(http_server.url('/')).get('/status/503')
    assert err.value.kind == KIND_REJECTED and err.value.status == 503


def test_client_sends_basic_auth_and_json(http_server):
    response, echo = PatroniClient(http_server.url('/'), 'patroni', 's3cret').request('POST', '/echo', {'ttl': 30})
    assert response.status == 200 and echo['method'] == 'POST'
    headers = dict((k.lower(), v) for k, v in echo['headers'].items())
    assert headers['authorization'] == 'Basic cGF0cm9uaTpzM2NyZXQ='
    assert headers['content-type'] == 'application/json' and json.loads(echo['body']) == {'ttl': 30}
