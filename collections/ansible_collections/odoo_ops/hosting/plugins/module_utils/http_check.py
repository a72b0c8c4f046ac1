# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Standard-library HTTP(S) probing shared by the odoo_ops.hosting modules.

Only ``http.client`` and ``ssl`` are used, so every managed host can run it
without extra packages. The pieces are usable on their own:

* ``make_ssl_context()`` builds the TLS context from the options documented in
  the ``odoo_ops.hosting.http_client`` doc fragment
  (``http_client_argument_spec()`` gives the matching argument spec);
* ``http_request()`` sends one request to an address while asking for another
  name (Host header and TLS SNI), and either returns an ``HttpResponse`` or
  raises ``HttpCheckError`` whose ``kind`` says what went wrong
  (dns, refused, connect, tls, timeout, protocol);
* ``evaluate_response()`` compares a response with expectations;
* ``run_check()`` ties them together with retries and returns a ``CheckResult``.

Invalid settings (unreadable CA file, bad URL, bad regex) raise
``HttpConfigError``: they are the caller's mistake, not an unhealthy target.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

BODY_EXCERPT_CHARS = 512
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 10.0
DEFAULT_USER_AGENT = 'odoo_ops.hosting-http-check'
DEFAULT_PORTS = {'http': 80, 'https': 443}

# Failure kinds reported in HttpCheckError.kind and CheckResult.failure.
KIND_DNS = 'dns'
KIND_REFUSED = 'refused'
KIND_CONNECT = 'connect'
KIND_TLS = 'tls'
KIND_TIMEOUT = 'timeout'
KIND_PROTOCOL = 'protocol'
KIND_STATUS = 'status'
KIND_BODY = 'body'
KIND_JSON = 'json'


def http_client_argument_spec():
    """Argument spec of the options in the odoo_ops.hosting.http_client doc fragment."""
    return dict(
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    )


class HttpConfigError(ValueError):
    """The request cannot be attempted because its settings are wrong."""


class HttpCheckError(Exception):
    """A request that produced no HTTP response.

    ``kind`` is one of dns, refused, connect, tls, timeout, protocol;
    ``reason`` is a sentence a person can act on.
    """

    def __init__(self, kind, reason):
        super(HttpCheckError, self).__init__(reason)
        self.kind = kind
        self.reason = reason


class HttpResponse(object):
    """An HTTP response read by http_request()."""

    def __init__(self, status, reason, headers, body, latency_ms, truncated=False):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.latency_ms = latency_ms
        self.truncated = truncated

    @property
    def text(self):
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode('utf-8', errors='replace')

    def json(self):
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.text)


class CheckResult(object):
    """Outcome of run_check(); to_dict() gives the keys modules return."""

    def __init__(self, url, ok=False, status=-1, reason='', failure=None, latency_ms=0.0,
                 attempts=0, body_excerpt='', headers=None, response=None):
        self.url = url
        self.ok = ok
        self.status = status
        self.reason = reason
        self.failure = failure
        self.latency_ms = latency_ms
        self.attempts = attempts
        self.body_excerpt = body_excerpt
        self.headers = headers or {}
        self.response = response

    def to_dict(self):
        return dict(
            url=self.url,
            ok=self.ok,
            status=self.status,
            reason=self.reason,
            latency_ms=self.latency_ms,
            attempts=self.attempts,
            body_excerpt=self.body_excerpt,
            headers=self.headers,
        )


def split_url(url):
    """Return (scheme, host, port, request_target) of an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise HttpConfigError('invalid URL %r: %s' % (url, exc)) from None
    scheme = (parts.scheme or '').lower()
    if scheme not in DEFAULT_PORTS:
        raise HttpConfigError('invalid URL %r: the scheme must be http or https' % url)
    if not parts.hostname:
        raise HttpConfigError('invalid URL %r: no host' % url)
    target = parts.path or '/'
    if parts.query:
        target += '?' + parts.query
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme], target


def build_url(scheme, host, port=None, path='/'):
    """Build the URL of host:port/path, always with an explicit port."""
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise HttpConfigError('invalid scheme %r: must be http or https' % scheme)
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    if not path.startswith('/'):
        path = '/' + path
    return '%s://%s:%d%s' % (scheme, host, port or DEFAULT_PORTS[scheme], path)


def normalize_url(url):
    """The URL with an explicit port, as reported in results and messages."""
    scheme, host, port, target = split_url(url)
    return build_url(scheme, host, port, target)


def sni_hostname(host_header):
    """The TLS server name for a Host header value (its port removed)."""
    if not host_header:
        return None
    host = host_header.strip()
    if host.startswith('['):
        return host[1:host.index(']')] if ']' in host else host
    name, sep, port = host.rpartition(':')
    if sep and port.isdigit() and ':' not in name:
        return name
    return host


def make_ssl_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None):
    """TLS client context: verification on by default, ca_path replaces the system store."""
    try:
        if validate_certs:
            context = ssl.create_default_context(cafile=ca_path)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            if ca_path:
                context.load_verify_locations(cafile=ca_path)
        if client_cert:
            context.load_cert_chain(client_cert, keyfile=client_key)
    except (OSError, ssl.SSLError) as exc:
        raise HttpConfigError('cannot load TLS files (ca_path=%s, client_cert=%s, client_key=%s): %s'
                              % (ca_path, client_cert, client_key, exc)) from exc
    return context


class _HTTPSConnection(http.client.HTTPSConnection):
    """HTTPSConnection whose TLS server name (SNI and hostname check) is chosen by the caller."""

    def __init__(self, host, port, timeout, context, server_hostname, deadline=None):
        http.client.HTTPSConnection.__init__(self, host, port, timeout=timeout, context=context)
        self._odoo_ops_context = context
        self._odoo_ops_server_hostname = server_hostname
        self._odoo_ops_deadline = deadline

    def connect(self):
        http.client.HTTPConnection.connect(self)
        if self._odoo_ops_deadline is not None:
            # The handshake gets what is left of the request's time, not a fresh timeout.
            self.sock.settimeout(max(0.001, self._odoo_ops_deadline - time.monotonic()))
        self.sock = self._odoo_ops_context.wrap_socket(self.sock, server_hostname=self._odoo_ops_server_hostname)


def _remaining(deadline, timeout, what):
    left = deadline - time.monotonic()
    if left <= 0:
        raise HttpCheckError(KIND_TIMEOUT, 'timed out after %ss %s' % (timeout, what))
    return left


def _connect_error(exc, host, port, server_hostname, timeout):
    """Classify an exception raised while resolving, connecting or handshaking."""
    where = '%s:%s' % (host, port)
    if isinstance(exc, socket.gaierror):
        return HttpCheckError(KIND_DNS, 'DNS lookup of %s failed: %s' % (host, exc.strerror or exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = getattr(exc, 'verify_message', None) or str(exc)
        return HttpCheckError(KIND_TLS, 'TLS certificate verification failed for %s at %s: %s' % (server_hostname or host, where, detail))
    if isinstance(exc, ssl.SSLError):
        return HttpCheckError(KIND_TLS, 'TLS handshake with %s failed: %s' % (where, exc.reason or exc))
    if isinstance(exc, socket.timeout):
        return HttpCheckError(KIND_TIMEOUT, 'timed out after %ss connecting to %s' % (timeout, where))
    if isinstance(exc, ConnectionRefusedError):
        return HttpCheckError(KIND_REFUSED, 'connection refused by %s' % where)
    return HttpCheckError(KIND_CONNECT, 'cannot connect to %s: %s' % (where, exc.strerror or exc))


def _response_error(exc, host, port, timeout):
    """Classify an exception raised while sending the request or reading the response."""
    where = '%s:%s' % (host, port)
    if isinstance(exc, socket.timeout):
        return HttpCheckError(KIND_TIMEOUT, 'timed out after %ss waiting for the response from %s' % (timeout, where))
    if isinstance(exc, ssl.SSLError):
        # TLS 1.3 servers reject a missing or bad client certificate after the handshake.
        detail = exc.reason or str(exc)
        if 'CERTIFICATE_REQUIRED' in detail:
            detail += ' (the server asks for a client certificate)'
        elif isinstance(exc, ssl.SSLEOFError):
            detail += ' (the server closed the TLS connection; does it require a client certificate?)'
        return HttpCheckError(KIND_TLS, 'TLS error from %s: %s' % (where, detail))
    if isinstance(exc, http.client.RemoteDisconnected):
        return HttpCheckError(KIND_PROTOCOL, '%s closed the connection without a response' % where)
    if isinstance(exc, http.client.HTTPException):
        return HttpCheckError(KIND_PROTOCOL, 'invalid HTTP response from %s: %s' % (where, exc.__class__.__name__))
    if isinstance(exc, ConnectionResetError):
        return HttpCheckError(KIND_CONNECT, 'connection reset by %s' % where)
    return HttpCheckError(KIND_CONNECT, 'connection to %s failed: %s' % (where, getattr(exc, 'strerror', None) or exc))


def _headers_dict(message):
    headers = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = '%s, %s' % (headers[key], value) if key in headers else value
    return headers


def http_request(url, method='GET', headers=None, body=None, host_header=None, timeout=DEFAULT_TIMEOUT,
                 ssl_context=None, max_body_bytes=DEFAULT_MAX_BODY_BYTES):
    """Send one request and read the response (at most max_body_bytes of body).

    The TCP connection goes to the host of ``url``. ``host_header`` (or a Host
    entry of ``headers``) is sent as the Host header and, for https, used as the
    TLS server name (SNI and certificate hostname check). ``timeout`` bounds the
    whole exchange (connect, handshake, response, body) except the DNS lookup.
    ``ssl_context`` defaults to make_ssl_context().
    Raises HttpCheckError when no HTTP response was read.
    """
    scheme, host, port, target = split_url(url)
    send_headers = {'User-Agent': DEFAULT_USER_AGENT, 'Accept': '*/*', 'Connection': 'close'}
    for name, value in (headers or {}).items():
        for existing in [k for k in send_headers if k.lower() == str(name).lower()]:
            del send_headers[existing]
        send_headers[str(name)] = str(value)
    if host_header:
        for existing in [k for k in send_headers if k.lower() == 'host']:
            del send_headers[existing]
        send_headers['Host'] = host_header
    else:
        host_header = next((v for k, v in send_headers.items() if k.lower() == 'host'), None)
    server_hostname = sni_hostname(host_header) or host
    if isinstance(body, str):
        body = body.encode('utf-8')

    timeout = float(timeout)
    started = time.monotonic()
    deadline = started + timeout
    if scheme == 'https':
        context = ssl_context if ssl_context is not None else make_ssl_context()
        conn = _HTTPSConnection(host, port, timeout, context, server_hostname, deadline)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    response = None
    try:
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:
            raise _connect_error(exc, host, port, server_hostname, timeout) from exc
        # getresponse() hands the socket over to the response and may drop conn.sock: keep it.
        sock = conn.sock
        try:
            sock.settimeout(_remaining(deadline, timeout, 'connecting to %s:%s' % (host, port)))
            conn.request(method, target, body=body, headers=send_headers)
            response = conn.getresponse()
            chunks = []
            size = 0
            truncated = False
            while not response.isclosed():  # closed once the body has been read
                sock.settimeout(_remaining(deadline, timeout, 'reading the response from %s:%s' % (host, port)))
                chunk = response.read(min(65536, max_body_bytes - size + 1))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body_bytes:
                    truncated = True
                    break
            data = b''.join(chunks)[:max_body_bytes]
        except HttpCheckError:
            raise
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            raise _response_error(exc, host, port, timeout) from exc
    finally:
        if response is not None:
            response.close()
        conn.close()
    latency_ms = round((time.monotonic() - started) * 1000.0, 1)
    return HttpResponse(response.status, response.reason, _headers_dict(response.msg), data, latency_ms, truncated)


def _same_json(got, want):
    """JSON equality that keeps true apart from 1 and false apart from 0."""
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(got, dict) and isinstance(want, dict):
        return set(got) == set(want) and all(_same_json(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same_json(got[i], want[i]) for i in range(len(got)))
    return got == want


def _json_lookup(document, key):
    """Find key in document: a top-level key first, else a dotted path (a.b.0.c)."""
    if isinstance(document, dict) and key in document:
        return True, document[key]
    node = document
    for part in key.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def compile_body_pattern(expected_body):
    """Compile the expected_body regex or raise HttpConfigError."""
    if expected_body is None or hasattr(expected_body, 'search'):
        return expected_body
    try:
        return re.compile(expected_body)
    except re.error as exc:
        raise HttpConfigError('expected_body %r is not a valid regular expression: %s' % (expected_body, exc)) from None


def evaluate_response(response, expected_status=(200,), expected_body=None, expected_json=None):
    """Return (failure_kind, reason) for the first unmet expectation, or (None, '')."""
    if expected_status and response.status not in expected_status:
        return KIND_STATUS, 'unexpected status %s (expected %s)' % (response.status, ', '.join(str(s) for s in expected_status))
    pattern = compile_body_pattern(expected_body)
    if pattern is not None and not pattern.search(response.text):
        return KIND_BODY, 'body did not match /%s/' % pattern.pattern
    if expected_json:
        try:
            document = response.json()
        except ValueError as exc:
            return KIND_JSON, 'body is not JSON (%s)' % exc
        for key, want in expected_json.items():
            found, got = _json_lookup(document, key)
            if not found:
                return KIND_JSON, 'json key %s is missing, expected %s' % (key, json.dumps(want, sort_keys=True))
            if not _same_json(got, want):
                return KIND_JSON, 'json key %s was %s expected %s' % (key, json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True))
    return None, ''


def run_check(url, expected_status=(200,), expected_body=None, expected_json=None, retries=0, delay=0.0,
              sleep=time.sleep, **request_kwargs):
    """Probe url until it meets the expectations or 1 + retries attempts were made.

    request_kwargs go to http_request(). Returns the CheckResult of the last attempt.
    """
    expected_body = compile_body_pattern(expected_body)
    if request_kwargs.get('ssl_context') is None and split_url(url)[0] == 'https':
        request_kwargs['ssl_context'] = make_ssl_context()
    result = CheckResult(normalize_url(url))
    for attempt in range(1, int(retries) + 2):
        if attempt > 1 and delay:
            sleep(delay)
        result = CheckResult(result.url, attempts=attempt)
        started = time.monotonic()
        try:
            response = http_request(url, **request_kwargs)
        except HttpCheckError as exc:
            result.failure = exc.kind
            result.reason = exc.reason
            result.latency_ms = round((time.monotonic() - started) * 1000.0, 1)
            continue
        result.response = response
        result.status = response.status
        result.latency_ms = response.latency_ms
        result.headers = response.headers
        result.body_excerpt = response.text[:BODY_EXCERPT_CHARS]
        result.failure, result.reason = evaluate_response(response, expected_status, expected_body, expected_json)
        if result.failure is None:
            result.ok = True
            break
    return result
