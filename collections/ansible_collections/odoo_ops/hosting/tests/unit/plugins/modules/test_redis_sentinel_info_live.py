# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_sentinel_info against real Redis servers and Sentinels.

The module-scoped fixture starts, from the Debian packages, a Redis master and one
replica (requirepass + masterauth) and three Sentinels (requirepass, quorum 2,
down-after 1 s) on 127.0.0.1 with free ports in a temporary directory, and stops
them all afterwards. The tests run in file order: the failover and the quorum loss
(two Sentinels stopped) come last. When the binaries are missing the tests are
skipped: `apt-get install redis-server redis-sentinel` provides them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils.redis_sentinel import RedisSentinelError, open_connection
from ansible_collections.odoo_ops.hosting.plugins.modules import redis_sentinel_info
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

REDIS_SERVER = shutil.which('redis-server') or '/usr/bin/redis-server'
REDIS_SENTINEL = shutil.which('redis-sentinel') or '/usr/bin/redis-sentinel'
MISSING = [p for p in (REDIS_SERVER, REDIS_SENTINEL) if not os.access(p, os.X_OK)]
pytestmark = pytest.mark.skipif(bool(MISSING), reason='needs redis-server and redis-sentinel (apt-get install redis-server redis-sentinel); missing: %s'
                                % ', '.join(MISSING))

MASTER_NAME = 'odoo'
REDIS_PASSWORD = 'unit-redis-only'
SENTINEL_PASSWORD = 'unit-sentinel-only'


def _free_ports(count):
    socks = []
    try:
        while len(socks) < count:
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for(predicate, timeout, what, poll=0.2):
    """predicate()'s first true value within timeout seconds, else AssertionError naming what."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except RedisSentinelError as exc:
            last = exc.reason
        if time.monotonic() >= deadline:
            raise AssertionError('not within %ss: %s (last: %r)' % (timeout, what, last))
        time.sleep(poll)


class LiveSentinels(object):
    """Redis master + replica and three Sentinels on loopback."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='odoo-ops-sentinel-')
        ports = _free_ports(5)
        self.redis_ports = ports[:2]
        self.sentinel_ports = ports[2:]
        self.procs = {}

    def _spawn(self, name, args):
        with open(os.path.join(self.dir, name + '.log'), 'wb') as out:
            self.procs[name] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir,  # pylint: disable=consider-using-with
                                                start_new_session=True)

    def _write(self, name, lines):
        path = os.path.join(self.dir, name + '.conf')
        with open(path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        return path

    def start(self):
        master_port = self.redis_ports[0]
        for index, port in enumerate(self.redis_ports):
            name = 'redis%d' % index
            os.mkdir(os.path.join(self.dir, name))
            lines = ['bind 127.0.0.1', 'port %d' % port, 'daemonize no', 'dir %s' % os.path.join(self.dir, name), 'save ""',
                     'appendonly no', 'repl-diskless-sync-delay 0', 'requirepass %s' % REDIS_PASSWORD, 'masterauth %s' % REDIS_PASSWORD, 'logfile ""']
            if index:
                lines.append('replicaof 127.0.0.1 %d' % master_port)
            self._spawn(name, [REDIS_SERVER, self._write(name, lines)])
        wait_for(lambda: self.replica_link_up(self.redis_ports[1]), 15, 'the replica syncs with the master')
        for index, port in enumerate(self.sentinel_ports):
            name = 'sentinel%d' % index
            lines = ['bind 127.0.0.1', 'port %d' % port, 'daemonize no', 'dir %s' % self.dir, 'logfile ""',
                     'requirepass %s' % SENTINEL_PASSWORD,
                     'sentinel monitor %s 127.0.0.1 %d 2' % (MASTER_NAME, master_port),
                     'sentinel auth-pass %s %s' % (MASTER_NAME, REDIS_PASSWORD),
                     'sentinel down-after-milliseconds %s 1000' % MASTER_NAME,
                     'sentinel failover-timeout %s 10000' % MASTER_NAME]
            self._spawn(name, [REDIS_SENTINEL, self._write(name, lines)])
        for port in self.sentinel_ports:
            wait_for(lambda p=port: self.sentinel_sees(p, sentinels=2, replicas=1), 20, 'Sentinel %d sees 2 other Sentinels and the replica' % port)

    def replica_link_up(self, port):
        with open_connection('127.0.0.1', port, 2, REDIS_PASSWORD) as conn:
            return 'master_link_status:up' in conn.call('INFO', 'replication')

    def sentinel_sees(self, port, sentinels, replicas):
        with open_connection('127.0.0.1', port, 2, SENTINEL_PASSWORD) as conn:
            seen = conn.call('SENTINEL', 'SENTINELS', MASTER_NAME)
            known = conn.call('SENTINEL', 'REPLICAS', MASTER_NAME)
        return len(seen) >= sentinels and len(known) >= replicas

    def sentinel_call(self, index, *args):
        with open_connection('127.0.0.1', self.sentinel_ports[index], 2, SENTINEL_PASSWORD) as conn:
            return conn.call(*args)

    def stop_process(self, name):
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop(self):
        for name in sorted(self.procs, reverse=True):  # sentinels first, then the Redis servers
            self.stop_process(name)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope='module')
def sentinels():
    live = LiveSentinels()
    try:
        live.start()
        yield live
    finally:
        live.stop()


def args_for(live, index=0, **extra):
    args = {'port': live.sentinel_ports[index], 'master_name': MASTER_NAME, 'sentinel_password': SENTINEL_PASSWORD}
    args.update(extra)
    return args


def test_healthy_with_master_info(sentinels):
    result = run_module(redis_sentinel_info.main, args_for(sentinels, master_info=True, redis_password=REDIS_PASSWORD, fail_on_unhealthy=True))
    assert result['failed'] is False and result['changed'] is False, result
    master = result['master']
    assert master['name'] == MASTER_NAME and master['ip'] == '127.0.0.1' and master['port'] == sentinels.redis_ports[0], result
    assert master['flags'] == ['master'] and master['quorum'] == 2 and master['num_other_sentinels'] == 2, result
    [replica] = result['replicas']
    assert replica['port'] == sentinels.redis_ports[1] and replica['master_link_status'] == 'ok', result
    assert 'slave' in replica['flags'] and replica['offset'] is not None and replica['lag_bytes'] is not None and replica['lag_bytes'] >= 0, result
    assert sorted(s['port'] for s in result['sentinels']) == sorted(sentinels.sentinel_ports[1:]), result
    assert all(s['flags'] == ['sentinel'] for s in result['sentinels']), result
    assert result['quorum_reachable'] is True and result['usable_sentinels'] == 3, result
    assert result['ok'] is True and result['problems'] == [], result
    assert result['master_info']['role'] == 'master' and result['master_info']['connected_slaves'] == 1, result
    assert result['master_info']['replicas'][0]['port'] == sentinels.redis_ports[1], result
    assert result['master_info_error'] is None
    assert result['sentinel'] == '127.0.0.1:%d' % sentinels.sentinel_ports[0]
    assert 'quorum 2 reachable' in result['msg'], result['msg']


def test_check_mode_reads_too(sentinels):
    result = run_module(redis_sentinel_info.main, args_for(sentinels, 1), check_mode=True)
    assert result['failed'] is False and result['changed'] is False, result
    assert result['ok'] is True and 'master_info' not in result
    assert result['replicas'][0]['lag_bytes'] is None


def test_wrong_sentinel_password(sentinels):
    result = run_module(redis_sentinel_info.main, args_for(sentinels, sentinel_password='wrong'))
    assert result['failed'] is True and result['kind'] == 'auth', result
    assert 'refused the password' in result['msg'] and 'WRONGPASS' in result['msg'], result['msg']
    assert 'wrong' not in result['msg'].replace('WRONGPASS', '')


def test_missing_sentinel_password(sentinels):
    result = run_module(redis_sentinel_info.main, {'port': sentinels.sentinel_ports[0], 'master_name': MASTER_NAME})
    assert result['failed'] is True and result['kind'] == 'auth', result
    assert 'requires a password' in result['msg'] and 'NOAUTH' in result['msg'], result['msg']


def test_wrong_redis_password_fails(sentinels):
    result = run_module(redis_sentinel_info.main, args_for(sentinels, master_info=True, redis_password='wrong'))
    assert result['failed'] is True and result['kind'] == 'auth', result
    assert 'Redis master %s at 127.0.0.1:%d refused the password' % (MASTER_NAME, sentinels.redis_ports[0]) in result['msg'], result['msg']


def test_unknown_master_name(sentinels):
    result = run_module(redis_sentinel_info.main, args_for(sentinels, master_name='nope'))
    assert result['failed'] is True and result['kind'] == 'unknown_master', result
    assert 'does not monitor a master named nope' in result['msg'], result['msg']


def test_unreachable_sentinel():
    [port] = _free_ports(1)
    result = run_module(redis_sentinel_info.main, {'port': port, 'master_name': MASTER_NAME, 'timeout': 2})
    assert result['failed'] is True and result['kind'] == 'unreachable', result
    assert 'connection refused by 127.0.0.1:%d' % port in result['msg'], result['msg']


def test_failover_is_reflected(sentinels):
    old_master, old_replica = sentinels.redis_ports
    assert sentinels.sentinel_call(0, 'SENTINEL', 'FAILOVER', MASTER_NAME) == 'OK'

    def switched():
        # Sentinel refreshes a replica's link status only every 10 s: the master's own INFO tells the rejoin at once.
        result = run_module(redis_sentinel_info.main, args_for(sentinels, 2, master_info=True, redis_password=REDIS_PASSWORD))
        listed = [r for r in result.get('replicas', []) if r['port'] == old_master]
        online = [r for r in (result.get('master_info') or {}).get('replicas', []) if r['port'] == old_master and r['state'] == 'online']
        if result['failed'] is False and result['master']['port'] == old_replica and result['ok'] and listed and online:
            return result
        return None

    result = wait_for(switched, 25, 'Sentinel reports %d as master and %d as its replica' % (old_replica, old_master), poll=0.5)
    assert result['master']['config_epoch'] >= 1 and result['master']['flags'] == ['master'], result
    assert result['master_info']['role'] == 'master' and result['master_info']['connected_slaves'] == 1, result
    assert [r['port'] for r in result['replicas']] == [old_master], result


def test_quorum_lost_after_two_sentinels_stop(sentinels):
    sentinels.stop_process('sentinel1')
    sentinels.stop_process('sentinel2')

    def lost():
        result = run_module(redis_sentinel_info.main, args_for(sentinels, 0))
        return result if result['failed'] is False and result['quorum_reachable'] is False else None

    result = wait_for(lost, 15, 'Sentinel 0 reports the quorum as unreachable', poll=0.5)
    assert result['ok'] is False and result['usable_sentinels'] == 1, result
    assert 'NOQUORUM' in result['quorum_message'], result
    assert any('quorum not reachable' in p for p in result['problems']), result
    assert sum('s_down' in s['flags'] for s in result['sentinels']) == 2, result
    assert 'is unhealthy' in result['msg']
    failing = run_module(redis_sentinel_info.main, args_for(sentinels, 0, fail_on_unhealthy=True))
    assert failing['failed'] is True and failing['quorum_reachable'] is False and 'quorum not reachable' in failing['msg'], failing
