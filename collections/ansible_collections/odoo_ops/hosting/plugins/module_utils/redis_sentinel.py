# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redis Sentinel and Redis state for the odoo_ops.hosting modules, standard library only.

The pieces:

* ``RespConnection`` is a minimal RESP2 client over a TCP socket (commands are
  arrays of bulk strings; replies are simple strings, errors, integers, bulk
  strings and arrays). One deadline bounds the whole conversation.
* ``open_connection()`` connects and authenticates (``AUTH [user] password``);
  every failure becomes ``RedisSentinelError`` whose ``kind`` is ``unreachable``
  (no TCP connection or no answer in time), ``auth`` (password missing, wrong
  or superfluous), ``unknown_master`` (Sentinel does not monitor that name),
  ``error`` (another error reply) or ``protocol`` (not RESP);
* ``read_sentinel()`` asks one Sentinel about one master: SENTINEL MASTER,
  REPLICAS, SENTINELS and CKQUORUM, turned into the dicts the module returns;
* ``read_replication()`` reads INFO replication from a Redis server;
* ``summarize()`` gives ``ok`` and the problems.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time

KIND_UNREACHABLE = 'unreachable'
KIND_AUTH = 'auth'
KIND_UNKNOWN_MASTER = 'unknown_master'
KIND_ERROR = 'error'
KIND_PROTOCOL = 'protocol'

DEFAULT_TIMEOUT = 5.0
MAX_BULK_BYTES = 16 * 1024 * 1024
MAX_ARRAY_ITEMS = 100000
MAX_LINE_BYTES = 64 * 1024
MAX_DEPTH = 8

DOWN_FLAGS = ('s_down', 'o_down')
_USABLE_RE = re.compile(r'(\d+)\s+usable\s+sentinel', re.IGNORECASE)
_AUTH_ERROR_PREFIXES = ('NOAUTH', 'WRONGPASS', 'NOPERM')


class RedisSentinelError(Exception):
    """A conversation with Sentinel or Redis that did not give the expected answer.

    ``kind`` is unreachable, auth, unknown_master, error or protocol; ``reason``
    is a sentence a person can act on; ``address`` is host:port.
    """

    def __init__(self, kind, reason, address=None):
        super(RedisSentinelError, self).__init__(reason)
        self.kind = kind
        self.reason = reason
        self.address = address


class ReplyError(Exception):
    """An error reply (``-ERR ...``) from the server; ``message`` is its text."""

    def __init__(self, message):
        super(ReplyError, self).__init__(message)
        self.message = message

    @property
    def code(self):
        return self.message.split(' ', 1)[0] if self.message else ''


def format_address(host, port):
    if ':' in host and not host.startswith('['):
        return '[%s]:%s' % (host, port)
    return '%s:%s' % (host, port)


def encode_command(args):
    """The RESP form of one command: an array of bulk strings."""
    parts = [b'*%d\r\n' % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode('utf-8')
        parts.append(b'$%d\r\n%s\r\n' % (len(data), data))
    return b''.join(parts)


class RespConnection(object):
    """One TCP connection speaking RESP2; ``timeout`` bounds everything from connect() to close()."""

    def __init__(self, host, port, timeout=DEFAULT_TIMEOUT):
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self.address = format_address(host, port)
        self.deadline = None
        self.sock = None
        self._buffer = b''

    # -- transport --------------------------------------------------------------------------

    def _left(self, what):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RedisSentinelError(KIND_UNREACHABLE, 'timed out after %ss %s %s' % (self.timeout, what, self.address), self.address)
        return left

    def connect(self):
        self.deadline = time.monotonic() + self.timeout
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except socket.gaierror as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'DNS lookup of %s failed: %s' % (self.host, exc.strerror or exc), self.address) from exc
        except socket.timeout as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'timed out after %ss connecting to %s' % (self.timeout, self.address), self.address) from exc
        except ConnectionRefusedError as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'connection refused by %s' % self.address, self.address) from exc
        except OSError as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'cannot connect to %s: %s' % (self.address, exc.strerror or exc), self.address) from exc
        return self

    def close(self):
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _recv(self, what):
        self.sock.settimeout(self._left(what))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'timed out after %ss %s %s' % (self.timeout, what, self.address), self.address) from exc
        except OSError as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'connection to %s failed: %s' % (self.address, exc.strerror or exc), self.address) from exc
        if not chunk:
            raise RedisSentinelError(KIND_UNREACHABLE, '%s closed the connection %s' % (self.address, what), self.address)
        self._buffer += chunk

    def _readline(self):
        while True:
            end = self._buffer.find(b'\r\n')
            if end >= 0:
                line, self._buffer = self._buffer[:end], self._buffer[end + 2:]
                return line
            if len(self._buffer) > MAX_LINE_BYTES:
                raise RedisSentinelError(KIND_PROTOCOL, '%s sent a line longer than %d bytes: not a Redis server?' % (self.address, MAX_LINE_BYTES),
                                         self.address)
            self._recv('waiting for the answer of')

    def _read_exact(self, size):
        while len(self._buffer) < size:
            self._recv('waiting for the answer of')
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _protocol_error(self, line):
        text = line[:80].decode('utf-8', 'replace')
        return RedisSentinelError(KIND_PROTOCOL, '%s did not answer in the Redis protocol (got %r): is it a Redis or Sentinel port?'
                                  % (self.address, text), self.address)

    def _int(self, line, body):
        try:
            return int(body)
        except ValueError:
            raise self._protocol_error(line) from None

    def read_reply(self, depth=0):
        """One reply: str, int, None, list (nested) or a ReplyError instance (not raised)."""
        if depth > MAX_DEPTH:
            raise RedisSentinelError(KIND_PROTOCOL, '%s sent replies nested deeper than %d levels' % (self.address, MAX_DEPTH), self.address)
        line = self._readline()
        if not line:
            raise self._protocol_error(line)
        marker, body = line[:1], line[1:]
        if marker == b'+':
            return body.decode('utf-8', 'replace')
        if marker == b'-':
            return ReplyError(body.decode('utf-8', 'replace'))
        if marker == b':':
            return self._int(line, body)
        if marker == b'$':
            size = self._int(line, body)
            if size < 0:
                return None
            if size > MAX_BULK_BYTES:
                raise RedisSentinelError(KIND_PROTOCOL, '%s sent a reply of %d bytes (more than %d)' % (self.address, size, MAX_BULK_BYTES), self.address)
            data = self._read_exact(size + 2)
            if data[-2:] != b'\r\n':
                raise self._protocol_error(data[-2:])
            return data[:-2].decode('utf-8', 'replace')
        if marker == b'*':
            count = self._int(line, body)
            if count < 0:
                return None
            if count > MAX_ARRAY_ITEMS:
                raise RedisSentinelError(KIND_PROTOCOL, '%s sent an array of %d items' % (self.address, count), self.address)
            return [self.read_reply(depth + 1) for dummy in range(count)]
        raise self._protocol_error(line)

    def call(self, *args):
        """Send one command and return its reply; an error reply raises ReplyError."""
        what = ' '.join(str(a) for a in args[:2])
        self._left('sending %s to' % what)
        try:
            self.sock.sendall(encode_command(args))
        except socket.timeout as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'timed out after %ss sending %s to %s' % (self.timeout, what, self.address), self.address) from exc
        except OSError as exc:
            raise RedisSentinelError(KIND_UNREACHABLE, 'connection to %s failed: %s' % (self.address, exc.strerror or exc), self.address) from exc
        reply = self.read_reply()
        if isinstance(reply, ReplyError):
            raise reply
        return reply


def open_connection(host, port, timeout=DEFAULT_TIMEOUT, password=None, username=None, what='Redis'):
    """A connected RespConnection, authenticated when a password is given.

    ``what`` names the server in messages (Sentinel, Redis master...). The
    connection is checked with PING, so a server that wants a password and got
    none fails here with kind ``auth``.
    """
    conn = RespConnection(host, port, timeout)
    try:
        conn.connect()
        if password is not None:
            args = ('AUTH', username, password) if username else ('AUTH', password)
            try:
                conn.call(*args)
            except ReplyError as exc:
                who = 'user %s' % username if username else 'the default user'
                raise RedisSentinelError(KIND_AUTH, '%s at %s refused the password of %s: %s'
                                         % (what, conn.address, who, exc.message), conn.address) from None
        try:
            conn.call('PING')
        except ReplyError as exc:
            if exc.code in _AUTH_ERROR_PREFIXES:
                raise RedisSentinelError(KIND_AUTH, '%s at %s requires a password: %s' % (what, conn.address, exc.message), conn.address) from None
            raise RedisSentinelError(KIND_ERROR, '%s at %s answered PING with an error: %s' % (what, conn.address, exc.message), conn.address) from None
    except BaseException:
        conn.close()
        raise
    return conn


# --- parsing -----------------------------------------------------------------------------

def pairs_to_dict(items):
    """A flat [key, value, key, value...] reply as a dict."""
    if not isinstance(items, list) or len(items) % 2:
        raise ValueError('not a list of key/value pairs: %r' % (items,))
    return dict((str(items[i]), items[i + 1]) for i in range(0, len(items), 2))


def parse_flags(value):
    return [f for f in str(value or '').split(',') if f]


def to_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_master(raw):
    """SENTINEL MASTER's pairs in the form the module returns."""
    data = pairs_to_dict(raw)
    return dict(
        name=data.get('name'),
        ip=data.get('ip'),
        port=to_int(data.get('port')),
        runid=data.get('runid') or None,
        flags=parse_flags(data.get('flags')),
        num_replicas=to_int(data.get('num-slaves')),
        num_other_sentinels=to_int(data.get('num-other-sentinels')),
        quorum=to_int(data.get('quorum')),
        down_after_ms=to_int(data.get('down-after-milliseconds')),
        failover_timeout_ms=to_int(data.get('failover-timeout')),
        parallel_syncs=to_int(data.get('parallel-syncs')),
        config_epoch=to_int(data.get('config-epoch')),
    )


def parse_replica(raw):
    """One entry of SENTINEL REPLICAS in the form the module returns."""
    data = pairs_to_dict(raw)
    return dict(
        name=data.get('name'),
        ip=data.get('ip'),
        port=to_int(data.get('port')),
        runid=data.get('runid') or None,
        flags=parse_flags(data.get('flags')),
        master_link_status=data.get('master-link-status'),
        master_link_down_time_ms=to_int(data.get('master-link-down-time')),
        master_host=data.get('master-host'),
        master_port=to_int(data.get('master-port')),
        priority=to_int(data.get('slave-priority', data.get('replica-priority'))),
        offset=to_int(data.get('slave-repl-offset', data.get('replica-repl-offset'))),
        lag_bytes=None,
    )


def parse_sentinel(raw):
    """One entry of SENTINEL SENTINELS in the form the module returns."""
    data = pairs_to_dict(raw)
    return dict(
        name=data.get('name'),
        ip=data.get('ip'),
        port=to_int(data.get('port')),
        runid=data.get('runid') or None,
        flags=parse_flags(data.get('flags')),
        last_ok_ping_reply_ms=to_int(data.get('last-ok-ping-reply')),
    )


def parse_info(text):
    """INFO output as a dict; replicaN lines (ip=...,port=...) become dicts, numbers ints."""
    result = {}
    replicas = []
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#') or ':' not in line:
            continue
        key, value = line.split(':', 1)
        if re.match(r'^slave\d+$', key) and '=' in value:
            entry = {}
            for item in value.split(','):
                name, dummy, val = item.partition('=')
                number = to_int(val)
                entry[name] = number if number is not None and name != 'ip' else val
            replicas.append(entry)
            continue
        number = to_int(value) if re.match(r'^-?\d+$', value) else None
        result[key] = number if number is not None else value
    if replicas or result.get('role') == 'master':
        result['replicas'] = replicas
    return result


def check_quorum(conn, master_name):
    """(reachable, message, usable sentinels or None) from SENTINEL CKQUORUM."""
    try:
        reply = conn.call('SENTINEL', 'CKQUORUM', master_name)
        reachable = True
        message = str(reply)
    except ReplyError as exc:
        if exc.code != 'NOQUORUM':
            raise
        reachable = False
        message = exc.message
    match = _USABLE_RE.search(message)
    return reachable, message, int(match.group(1)) if match else None


def _sentinel_call(conn, master_name, *args):
    try:
        return conn.call('SENTINEL', *args)
    except ReplyError as exc:
        if 'no such master' in exc.message.lower():
            raise RedisSentinelError(KIND_UNKNOWN_MASTER, 'Sentinel at %s does not monitor a master named %s: %s'
                                     % (conn.address, master_name, exc.message), conn.address) from None
        if exc.code in _AUTH_ERROR_PREFIXES:
            raise RedisSentinelError(KIND_AUTH, 'Sentinel at %s requires a password: %s' % (conn.address, exc.message), conn.address) from None
        raise RedisSentinelError(KIND_ERROR, 'Sentinel at %s answered SENTINEL %s with an error: %s'
                                 % (conn.address, ' '.join(str(a) for a in args), exc.message), conn.address) from None


def read_sentinel(conn, master_name):
    """What one Sentinel knows about one master: master, replicas, sentinels and quorum."""
    try:
        master = parse_master(_sentinel_call(conn, master_name, 'MASTER', master_name))
        replicas = [parse_replica(r) for r in _sentinel_call(conn, master_name, 'REPLICAS', master_name) or []]
        sentinels = [parse_sentinel(s) for s in _sentinel_call(conn, master_name, 'SENTINELS', master_name) or []]
    except (ValueError, TypeError) as exc:
        raise RedisSentinelError(KIND_PROTOCOL, 'Sentinel at %s gave an unexpected answer: %s' % (conn.address, exc), conn.address) from None
    try:
        reachable, message, usable = check_quorum(conn, master_name)
    except ReplyError as exc:
        raise RedisSentinelError(KIND_ERROR, 'Sentinel at %s answered SENTINEL CKQUORUM with an error: %s'
                                 % (conn.address, exc.message), conn.address) from None
    return dict(master=master, replicas=replicas, sentinels=sentinels,
                quorum_reachable=reachable, quorum_message=message, usable_sentinels=usable)


def read_replication(host, port, timeout=DEFAULT_TIMEOUT, password=None, username=None, what='Redis'):
    """INFO replication of one Redis server, parsed."""
    with open_connection(host, port, timeout, password, username, what) as conn:
        try:
            text = conn.call('INFO', 'replication')
        except ReplyError as exc:
            kind = KIND_AUTH if exc.code in _AUTH_ERROR_PREFIXES else KIND_ERROR
            raise RedisSentinelError(kind, '%s at %s answered INFO replication with an error: %s' % (what, conn.address, exc.message),
                                     conn.address) from None
    if not isinstance(text, str):
        raise RedisSentinelError(KIND_PROTOCOL, '%s at %s answered INFO replication with %r' % (what, format_address(host, port), text))
    return parse_info(text)


def add_replica_lag(replicas, master_info):
    """Set each replica's lag_bytes from the master's master_repl_offset (when known)."""
    master_offset = to_int((master_info or {}).get('master_repl_offset'))
    for replica in replicas:
        if master_offset is not None and replica['offset'] is not None:
            replica['lag_bytes'] = max(0, master_offset - replica['offset'])
    return replicas


def summarize(state, master_info_error=None):
    """``ok`` and ``problems``: master not subjectively/objectively down, quorum reachable."""
    problems = []
    master = state['master']
    for flag in DOWN_FLAGS:
        if flag in master['flags']:
            problems.append('master %s (%s) is %s' % (master['name'], format_address(master['ip'] or '?', master['port']), flag))
    if not state['quorum_reachable']:
        problems.append('quorum not reachable: %s' % state['quorum_message'])
    if master_info_error:
        problems.append(master_info_error)
    return dict(ok=not problems, problems=problems)
