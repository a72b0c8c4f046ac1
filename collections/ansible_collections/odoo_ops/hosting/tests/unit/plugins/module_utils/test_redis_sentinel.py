# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/redis_sentinel.py: the RESP client and the parsing of Sentinel's answers.

The RESP client is tested over real TCP connections: a scripted server on 127.0.0.1
answers each command with given bytes (split in small pieces, to exercise the
buffering), and the fixtures of tests/unit/conftest.py give a refused port, a port
that never answers and an HTTP server. The key/value lists below have the shape
Redis 7.0 Sentinel answers with; the conversation with real Sentinels is tested in
tests/unit/plugins/modules/test_redis_sentinel_info_live.py.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils.redis_sentinel import (
    KIND_AUTH,
    KIND_ERROR,
    KIND_PROTOCOL,
    KIND_UNKNOWN_MASTER,
    KIND_UNREACHABLE,
    RedisSentinelError,
    ReplyError,
    RespConnection,
    add_replica_lag,
    encode_command,
    open_connection,
    pairs_to_dict,
    parse_info,
    parse_master,
    parse_replica,
    parse_sentinel,
    read_sentinel,
    summarize,
)

MASTER = ['name', 'odoo', 'ip', '10.0.0.21', 'port', '6379', 'runid', 'abc', 'flags', 'master', 'link-pending-commands', '0',
          'num-slaves', '1', 'num-other-sentinels', '2', 'quorum', '2', 'down-after-milliseconds', '5000',
          'failover-timeout', '60000', 'parallel-syncs', '1', 'config-epoch', '3']
REPLICA = ['name', '10.0.0.22:6379', 'ip', '10.0.0.22', 'port', '6379', 'runid', 'def', 'flags', 'slave', 'master-link-down-time', '0',
           'master-link-status', 'ok', 'master-host', '10.0.0.21', 'master-port', '6379', 'slave-priority', '100',
           'slave-repl-offset', '1000', 'replica-announced', '1']
SENTINEL = ['name', 'f00', 'ip', '10.0.0.23', 'port', '26379', 'runid', 'f00', 'flags', 's_down,sentinel,disconnected',
            'last-ok-ping-reply', '5210']
INFO = ('# Replication\r\nrole:master\r\nconnected_slaves:1\r\n'
        'slave0:ip=10.0.0.22,port=6379,state=online,offset=1000,lag=0\r\n'
        'master_failover_state:no-failover\r\nmaster_replid:8a1b\r\nmaster_repl_offset:1200\r\n')


def resp(value):
    """RESP2 encoding of a test value (str -> bulk, int, None -> nil, list, ReplyError -> error)."""
    if isinstance(value, ReplyError):
        return b'-%s\r\n' % value.message.encode()
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return b':%d\r\n' % value
    if value is None:
        return b'$-1\r\n'
    if isinstance(value, list):
        return b'*%d\r\n' % len(value) + b''.join(resp(v) for v in value)
    data = value.encode()
    return b'$%d\r\n%s\r\n' % (len(data), data)


class ScriptedServer(object):
    """Accepts connections; answers each command (matched by its first words) with scripted bytes."""

    def __init__(self, answers):
        self.answers = answers  # {'SENTINEL MASTER': bytes, ...}; the longest matching prefix wins
        self.commands = []
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_command(self, reader):
        header = reader.readline()
        if not header:
            return None
        words = []
        for _index in range(int(header[1:])):
            size = int(reader.readline()[1:])
            words.append(reader.read(size + 2)[:-2].decode())
        return words

    def _serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile('rb') as reader:
                while True:
                    words = self._read_command(reader)
                    if words is None:
                        break
                    self.commands.append(words)
                    text = ' '.join(words).upper()
                    keys = sorted((k for k in self.answers if text.startswith(k)), key=len, reverse=True)
                    answer = self.answers[keys[0]] if keys else resp(ReplyError('ERR unknown command'))
                    for start in range(0, len(answer), 7):  # small pieces: the client must buffer
                        conn.sendall(answer[start:start + 7])
                        time.sleep(0.0005)

    def close(self):
        self.sock.close()


@pytest.fixture
def scripted():
    servers = []

    def make(answers):
        server = ScriptedServer(answers)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


# --- encoding and parsing ----------------------------------------------------------------------

def test_encode_command():
    assert encode_command(('AUTH', 'pé', 3)) == b'*3\r\n$4\r\nAUTH\r\n$3\r\np\xc3\xa9\r\n$1\r\n3\r\n'


def test_pairs_to_dict():
    assert pairs_to_dict(['a', '1', 'b', '2']) == {'a': '1', 'b': '2'}
    with pytest.raises(ValueError):
        pairs_to_dict(['a'])
    with pytest.raises(ValueError):
        pairs_to_dict('a')


def test_parse_master():
    master = parse_master(MASTER)
    assert master == dict(name='odoo', ip='10.0.0.21', port=6379, runid='abc', flags=['master'], num_replicas=1, num_other_sentinels=2,
                          quorum=2, down_after_ms=5000, failover_timeout_ms=60000, parallel_syncs=1, config_epoch=3)


def test_parse_replica_and_sentinel():
    replica = parse_replica(REPLICA)
    assert replica['ip'] == '10.0.0.22' and replica['port'] == 6379 and replica['flags'] == ['slave']
    assert replica['master_link_status'] == 'ok' and replica['master_port'] == 6379 and replica['priority'] == 100
    assert replica['offset'] == 1000 and replica['lag_bytes'] is None
    sentinel = parse_sentinel(SENTINEL)
    assert sentinel == dict(name='f00', ip='10.0.0.23', port=26379, runid='f00', flags=['s_down', 'sentinel', 'disconnected'],
                            last_ok_ping_reply_ms=5210)


def test_parse_info_and_lag():
    info = parse_info(INFO)
    assert info['role'] == 'master' and info['connected_slaves'] == 1 and info['master_repl_offset'] == 1200
    assert info['master_replid'] == '8a1b' and info['master_failover_state'] == 'no-failover'
    assert info['replicas'] == [{'ip': '10.0.0.22', 'port': 6379, 'state': 'online', 'offset': 1000, 'lag': 0}]
    assert 'slave0' not in info
    replicas = add_replica_lag([parse_replica(REPLICA)], info)
    assert replicas[0]['lag_bytes'] == 200
    assert add_replica_lag([parse_replica(REPLICA)], None)[0]['lag_bytes'] is None
    replica_info = parse_info('role:slave\nmaster_host:10.0.0.21\nmaster_link_status:up\n')
    assert replica_info == {'role': 'slave', 'master_host': '10.0.0.21', 'master_link_status': 'up'}


def test_summarize():
    state = dict(master=parse_master(MASTER), quorum_reachable=True, quorum_message='OK 3 usable Sentinels')
    assert summarize(state) == {'ok': True, 'problems': []}
    state['master']['flags'] = ['master', 's_down', 'o_down']
    state['quorum_reachable'] = False
    state['quorum_message'] = 'NOQUORUM 1 usable Sentinels'
    result = summarize(state, 'master unreachable')
    assert result['ok'] is False
    assert result['problems'] == ['master odoo (10.0.0.21:6379) is s_down', 'master odoo (10.0.0.21:6379) is o_down',
                                  'quorum not reachable: NOQUORUM 1 usable Sentinels', 'master unreachable']


# --- the RESP client over TCP ------------------------------------------------------------------

def test_reply_types(scripted):
    server = scripted({'PING': b'+PONG\r\n', 'DBSIZE': resp(42), 'GET': resp(None), 'LRANGE': resp(['a', ['b', 7], None, '']),
                       'NILARRAY': b'*-1\r\n'})
    with RespConnection('127.0.0.1', server.port, 5).connect() as conn:
        assert conn.call('PING') == 'PONG'
        assert conn.call('DBSIZE') == 42
        assert conn.call('GET', 'x') is None
        assert conn.call('LRANGE', 'x', 0, -1) == ['a', ['b', 7], None, '']
        assert conn.call('NILARRAY') is None
        with pytest.raises(ReplyError) as err:
            conn.call('NOPE')
        assert err.value.code == 'ERR' and err.value.message == 'ERR unknown command'
        assert conn.call('PING') == 'PONG'  # the connection is still usable after an error reply
    assert server.commands[2] == ['GET', 'x']


def test_read_sentinel_with_and_without_quorum(scripted):
    answers = {'PING': b'+PONG\r\n', 'SENTINEL MASTER': resp(MASTER), 'SENTINEL REPLICAS': resp([REPLICA]),
               'SENTINEL SENTINELS': resp([SENTINEL]),
               'SENTINEL CKQUORUM': b'+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n'}
    server = scripted(answers)
    with open_connection('127.0.0.1', server.port, 5) as conn:
        state = read_sentinel(conn, 'odoo')
    assert state['master']['ip'] == '10.0.0.21' and state['replicas'][0]['port'] == 6379 and state['sentinels'][0]['port'] == 26379
    assert state['quorum_reachable'] is True and state['usable_sentinels'] == 3
    answers['SENTINEL CKQUORUM'] = resp(ReplyError('NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority'))
    server = scripted(answers)
    with open_connection('127.0.0.1', server.port, 5) as conn:
        state = read_sentinel(conn, 'odoo')
    assert state['quorum_reachable'] is False and state['usable_sentinels'] == 1 and state['quorum_message'].startswith('NOQUORUM')
    assert ['SENTINEL', 'MASTER', 'odoo'] in server.commands


def test_read_sentinel_unknown_master_and_other_errors(scripted):
    server = scripted({'PING': b'+PONG\r\n', 'SENTINEL MASTER': resp(ReplyError('ERR No such master with that name'))})
    with open_connection('127.0.0.1', server.port, 5) as conn, pytest.raises(RedisSentinelError) as err:
        read_sentinel(conn, 'nope')
    assert err.value.kind == KIND_UNKNOWN_MASTER and 'does not monitor a master named nope' in err.value.reason
    server = scripted({'PING': b'+PONG\r\n', 'SENTINEL MASTER': resp(MASTER), 'SENTINEL REPLICAS': resp(ReplyError('ERR boom'))})
    with open_connection('127.0.0.1', server.port, 5) as conn, pytest.raises(RedisSentinelError) as err:
        read_sentinel(conn, 'odoo')
    assert err.value.kind == KIND_ERROR and 'ERR boom' in err.value.reason
    server = scripted({'PING': b'+PONG\r\n', 'SENTINEL MASTER': resp(['name', 'odoo', 'ip'])})
    with open_connection('127.0.0.1', server.port, 5) as conn, pytest.raises(RedisSentinelError) as err:
        read_sentinel(conn, 'odoo')
    assert err.value.kind == KIND_PROTOCOL and 'unexpected answer' in err.value.reason


def test_auth_sent_with_and_without_user(scripted):
    server = scripted({'AUTH': b'+OK\r\n', 'PING': b'+PONG\r\n'})
    open_connection('127.0.0.1', server.port, 5, password='s3cret').close()
    open_connection('127.0.0.1', server.port, 5, password='s3cret', username='monitor').close()
    deadline = time.monotonic() + 5
    while len(server.commands) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.commands == [['AUTH', 's3cret'], ['PING'], ['AUTH', 'monitor', 's3cret'], ['PING']]


def test_auth_refused_and_required(scripted):
    server = scripted({'AUTH': resp(ReplyError('WRONGPASS invalid username-password pair or user is disabled.'))})
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', server.port, 5, password='bad', what='Sentinel')
    assert err.value.kind == KIND_AUTH and 'Sentinel at 127.0.0.1:%d refused the password of the default user' % server.port in err.value.reason
    assert 'bad' not in err.value.reason
    server = scripted({'PING': resp(ReplyError('NOAUTH Authentication required.'))})
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', server.port, 5)
    assert err.value.kind == KIND_AUTH and 'requires a password' in err.value.reason


def test_refused(closed_port):
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', closed_port, 2)
    assert err.value.kind == KIND_UNREACHABLE and err.value.reason == 'connection refused by 127.0.0.1:%d' % closed_port


def test_silent_port_times_out(silent_port):
    started = time.monotonic()
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', silent_port, 0.5)
    assert err.value.kind == KIND_UNREACHABLE and 'timed out after 0.5s' in err.value.reason
    assert time.monotonic() - started < 2


def test_http_server_is_not_redis(http_server):
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', http_server.server_address[1], 2)
    assert err.value.kind in (KIND_PROTOCOL, KIND_UNREACHABLE), err.value.reason
    assert '127.0.0.1:%d' % http_server.server_address[1] in err.value.reason


def test_garbage_is_a_protocol_error(scripted):
    server = scripted({'PING': b'HTTP/1.1 400 Bad Request\r\n\r\n'})
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', server.port, 2)
    assert err.value.kind == KIND_PROTOCOL and 'did not answer in the Redis protocol' in err.value.reason
    server = scripted({'PING': b'$5\r\nabcdefg\r\n'})
    with pytest.raises(RedisSentinelError) as err:
        open_connection('127.0.0.1', server.port, 2)
    assert err.value.kind == KIND_PROTOCOL


def test_closed_mid_answer(scripted):
    server = scripted({'PING': b'$10\r\nabc'})
    conn = RespConnection('127.0.0.1', server.port, 0.5).connect()
    with conn, pytest.raises(RedisSentinelError) as err:
        conn.call('PING')
    assert err.value.kind == KIND_UNREACHABLE
