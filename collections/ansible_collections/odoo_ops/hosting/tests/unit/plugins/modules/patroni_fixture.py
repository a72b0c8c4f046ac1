# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real Patroni cluster on loopback for the live module tests.

``LivePatroniCluster(members=2)`` starts one etcd (v3 API only) and one Patroni with
PostgreSQL 15 per member, from the Debian packages, on 127.0.0.1 with free ports
in a temporary directory. The first member bootstraps the cluster (initdb) and
becomes the leader; the others start after it and are created by Patroni as
replicas (pg_basebackup). ``stop()`` ends every process it started, also after a
failed start. As root, etcd, Patroni and PostgreSQL run as the `postgres` user.

    cluster = LivePatroniCluster(members=2)
    try:
        cluster.start()
        ...  # cluster.url, cluster.members['n2'].api_url, cluster.client()
    finally:
        cluster.stop()

``MISSING`` lists the binaries that are not installed (skip the tests then;
`apt-get install etcd-server patroni postgresql-15` provides them).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import PatroniApiError, PatroniClient

PG_BIN = '/usr/lib/postgresql/15/bin'
ETCD = shutil.which('etcd') or '/usr/bin/etcd'
PATRONI = shutil.which('patroni') or '/usr/bin/patroni'
API_USER = 'patroni'
API_PASSWORD = 'unit-test-only'
MISSING = [p for p in (ETCD, PATRONI, os.path.join(PG_BIN, 'initdb')) if not os.access(p, os.X_OK)]
SKIP_REASON = 'needs etcd, patroni and PostgreSQL 15 (apt-get install etcd-server patroni postgresql-15); missing: %s' % ', '.join(MISSING)


def free_ports(count):
    """``count`` TCP ports free on 127.0.0.1 right now."""
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


class Member(object):
    def __init__(self, name, base_dir, api_port, pg_port):
        self.name = name
        self.dir = os.path.join(base_dir, name)
        self.api_port = api_port
        self.pg_port = pg_port
        self.api_url = 'http://127.0.0.1:%d' % api_port
        self.proc = None


class LivePatroniCluster(object):
    """etcd + ``members`` Patroni members (scope ``scope``, names n1, n2...) on loopback."""

    def __init__(self, members=2, scope='unit', dcs=None):
        self.dir = tempfile.mkdtemp(prefix='odoo-ops-patroni-')
        self.scope = scope
        ports = free_ports(2 + 2 * members)
        self.etcd_client, self.etcd_peer = ports[:2]
        self.members = {}
        for index in range(members):
            name = 'n%d' % (index + 1)
            self.members[name] = Member(name, self.dir, ports[2 + 2 * index], ports[3 + 2 * index])
        self.url = self.members['n1'].api_url
        self.dcs = dcs or {'ttl': 20, 'loop_wait': 1, 'retry_timeout': 5, 'maximum_lag_on_failover': 1048576,
                           'postgresql': {'use_pg_rewind': True, 'parameters': {'max_connections': 20, 'work_mem': '4MB'}}}
        self.procs = []
        self.user = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam('postgres')
            self.user = (entry.pw_uid, entry.pw_gid)
            os.chown(self.dir, *self.user)

    def client(self, name='n1', **kwargs):
        kwargs.setdefault('timeout', 3)
        return PatroniClient(self.members[name].api_url, **kwargs)

    def _spawn(self, args, log):
        kwargs = dict(stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        if self.user:
            kwargs.update(user=self.user[0], group=self.user[1], extra_groups=[])
        with open(os.path.join(self.dir, log), 'wb') as out:
            proc = subprocess.Popen(args, stdout=out, **kwargs)  # pylint: disable=consider-using-with
        self.procs.append(proc)
        return proc

    def config(self, member):
        return {
            'scope': self.scope, 'name': member.name,
            'restapi': {'listen': '127.0.0.1:%d' % member.api_port, 'connect_address': '127.0.0.1:%d' % member.api_port,
                        'authentication': {'username': API_USER, 'password': API_PASSWORD}},
            'etcd3': {'hosts': ['127.0.0.1:%d' % self.etcd_client]},
            'bootstrap': {'dcs': self.dcs, 'initdb': [{'encoding': 'UTF8'}]},
            'postgresql': {
                'listen': '127.0.0.1:%d' % member.pg_port, 'connect_address': '127.0.0.1:%d' % member.pg_port,
                'data_dir': os.path.join(member.dir, 'data'), 'bin_dir': PG_BIN, 'pgpass': os.path.join(member.dir, 'pgpass'),
                'authentication': {'superuser': {'username': 'postgres', 'password': 'unit-su'},
                                   'replication': {'username': 'replicator', 'password': 'unit-rep'}},
                'parameters': {'unix_socket_directories': member.dir, 'shared_buffers': '16MB'},
                'pg_hba': ['local all all trust', 'host replication replicator 127.0.0.1/32 scram-sha-256',
                           'host all all 127.0.0.1/32 scram-sha-256'],
            },
        }

    def _start_member(self, member):
        os.mkdir(member.dir, 0o700)
        path = os.path.join(member.dir, 'patroni.yml')
        with open(path, 'w') as handle:
            json.dump(self.config(member), handle)  # JSON is YAML
        if self.user:
            os.chown(member.dir, *self.user)
            os.chown(path, *self.user)
        member.proc = self._spawn([PATRONI, path], '%s.log' % member.name)

    def cluster(self):
        """GET /cluster from n1's API (members as Patroni reports them)."""
        return self.client().get_dict('/cluster')

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate(self.cluster()):
                    return
            except PatroniApiError:
                pass
            time.sleep(0.3)
        logs = '\n'.join('--- %s\n%s' % (name, self.log('%s.log' % name)[-1500:]) for name in self.members)
        raise RuntimeError('Patroni: not within %ss: %s\n%s' % (timeout, what, logs))

    def settled(self, cluster, leader=None):
        """One running leader (``leader`` when given) with a known timeline; every other member running, lag known,
        streaming from it."""
        members = cluster.get('members', [])
        leaders = [m for m in members if m.get('role') == 'leader' and m.get('state') == 'running']
        if len(leaders) != 1 or len(members) != len(self.members) or (leader and leaders[0]['name'] != leader):
            return False
        if leaders[0].get('timeline') is None:  # /cluster lists a fresh leader shortly before its timeline
            return False
        replicas = [m for m in members if m is not leaders[0]]
        if not all(m.get('state') in ('running', 'streaming') and isinstance(m.get('lag'), int) for m in replicas):
            return False
        status = self.client(leaders[0]['name']).get_dict('/patroni')
        streaming = set(r.get('application_name') for r in status.get('replication', []) if r.get('state') == 'streaming')
        return all(m['name'] in streaming for m in replicas)

    def start(self, timeout=60):
        self._spawn([ETCD, '--name', 'e1', '--data-dir', os.path.join(self.dir, 'etcd'),
                     '--listen-client-urls', 'http://127.0.0.1:%d' % self.etcd_client,
                     '--advertise-client-urls', 'http://127.0.0.1:%d' % self.etcd_client,
                     '--listen-peer-urls', 'http://127.0.0.1:%d' % self.etcd_peer,
                     '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % self.etcd_peer,
                     '--initial-cluster', 'e1=http://127.0.0.1:%d' % self.etcd_peer, '--enable-v2=false'], 'etcd.log')
        deadline = time.monotonic() + timeout
        first, others = self.members['n1'], [m for name, m in sorted(self.members.items()) if name != 'n1']
        self._start_member(first)
        self.wait(lambda c: any(m.get('role') == 'leader' and m.get('state') == 'running' for m in c.get('members', [])),
                  deadline - time.monotonic(), 'n1 runs as the leader')
        for member in others:
            self._start_member(member)
        self.wait(lambda c: self.settled(c, 'n1'), deadline - time.monotonic(), 'every replica streams from n1')

    def log(self, name):
        try:
            with open(os.path.join(self.dir, name), 'rb') as handle:
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def stop(self):
        # The Patroni members together first (each stops its PostgreSQL, with etcd still there), then etcd.
        patronis = [m.proc for m in self.members.values() if m.proc is not None]
        others = [p for p in self.procs if p not in patronis]
        for group in (patronis, others):
            for proc in group:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in group:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
        for member in self.members.values():
            pidfile = os.path.join(member.dir, 'data', 'postmaster.pid')
            if os.path.exists(pidfile):  # PostgreSQL left behind by a Patroni that did not stop cleanly
                with open(pidfile) as handle:
                    pid = int(handle.readline().strip() or 0)
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGQUIT)
        shutil.rmtree(self.dir, ignore_errors=True)
