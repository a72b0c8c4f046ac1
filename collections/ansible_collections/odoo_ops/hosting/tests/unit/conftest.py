# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real HTTP and HTTPS servers on 127.0.0.1 for the unit tests (no mocked HTTP layer).

Fixtures:

* ``pki``: a throwaway CA, a server certificate for ``tenant.test`` and a client
  certificate, generated once per test session with ``cryptography``;
* ``http_server``, ``https_server``, ``mtls_server``: threaded servers (plain,
  TLS, TLS requiring a client certificate) with ``.url(path)``, ``.port`` and
  ``.base``; every request is recorded in ``.requests``;
* ``closed_port``: a port on 127.0.0.1 where nothing listens;
* ``silent_port``: a port that accepts TCP connections and never says anything.

Routes (any method):

* ``/web/health[?db_server_status=1]``: 200 ``{"status": "pass"}`` like Odoo;
* ``/status/<code>``: that status; for 5xx an Odoo-like failure body;
* ``/flaky/<token>/<n>``: 503 for the first n requests of a token, then 200;
* ``/sleep/<seconds>``: answers 200 after sleeping;
* ``/echo``: JSON with the method, path, Host header, TLS SNI, headers and body;
* ``/text``: a plain-text page; ``/big``: 10,000 characters of ``x``.
"""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TENANT = 'tenant.test'


def _write_pki(directory):
    """CA, server (tenant.test) and client certificates as PEM files in directory."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def key_pem(key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def cert_pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name('odoo_ops unit test CA'))
        .issuer_name(name('odoo_ops unit test CA'))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common_name, usage, dns_names):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common_name))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if dns_names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
        return key, builder.sign(ca_key, hashes.SHA256())

    server_key, server_cert = leaf(TENANT, ExtendedKeyUsageOID.SERVER_AUTH, [TENANT])
    client_key, client_cert = leaf('odoo_ops unit test client', ExtendedKeyUsageOID.CLIENT_AUTH, [])

    files = {
        'ca': cert_pem(ca_cert),
        'server_cert': cert_pem(server_cert),
        'server_key': key_pem(server_key),
        'client_cert': cert_pem(client_cert),
        'client_key': key_pem(client_key),
        'client_combined': cert_pem(client_cert) + key_pem(client_key),
    }
    paths = {}
    for label, data in files.items():
        path = directory / f'{label}.pem'
        path.write_bytes(data)
        paths[label] = str(path)
    return paths


class _Handler(BaseHTTPRequestHandler):
    server_version = 'odoo-ops-test'
    protocol_version = 'HTTP/1.0'

    def setup(self):
        context = self.server.ssl_context
        if context is not None:
            self.request.settimeout(5)
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.server.ssl_context is not None:
                self.request.close()  # the TLS socket replaced the one the server will close

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _send(self, status, payload, content_type='application/json'):
        data = payload if isinstance(payload, bytes) else (json.dumps(payload) if content_type == 'application/json' else payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-Test', 'one')
        self.send_header('X-Test', 'two')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def _handle(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        segments = [s for s in parts.path.split('/') if s]
        sni = getattr(self.connection, 'odoo_ops_sni', None)
        self.server.requests.append(dict(method=self.command, path=self.path, host=self.headers.get('Host'), sni=sni))

        if parts.path == '/web/health':
            payload = {'status': 'pass'}
            if query.get('db_server_status'):
                payload['db_server_status'] = True
            return self._send(200, payload)
        if segments[:1] == ['status'] and len(segments) == 2:
            code = int(segments[1])
            payload = {'status': 'fail', 'db_server_status': False} if code >= 500 else {'status': 'pass'}
            return self._send(code, payload)
        if segments[:1] == ['flaky'] and len(segments) == 3:
            with self.server.lock:
                seen = self.server.counters.get(segments[1], 0) + 1
                self.server.counters[segments[1]] = seen
            if seen <= int(segments[2]):
                return self._send(503, {'status': 'fail', 'attempt': seen})
            return self._send(200, {'status': 'pass', 'attempt': seen})
        if segments[:1] == ['sleep'] and len(segments) == 2:
            time.sleep(float(segments[1]))
            return self._send(200, {'status': 'pass'})
        if parts.path == '/echo':
            return self._send(200, {
                'method': self.command,
                'path': self.path,
                'host': self.headers.get('Host'),
                'sni': sni,
                'headers': {k.lower(): v for k, v in self.headers.items()},
                'body': body.decode('utf-8', errors='replace'),
            })
        if parts.path == '/text':
            return self._send(200, 'Odoo is up\n<form name="login">\n', 'text/plain; charset=utf-8')
        if parts.path == '/big':
            return self._send(200, 'x' * 10000, 'text/plain')
        return self._send(404, {'error': f'no route {parts.path}'})

    do_GET = do_HEAD = do_POST = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ssl_context=None):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.ssl_context = ssl_context
        self.requests = []
        self.counters = {}
        self.lock = threading.Lock()
        self.errors = []
        self.scheme = 'https' if ssl_context else 'http'
        self.port = self.server_address[1]
        self.base = f'{self.scheme}://127.0.0.1:{self.port}'
        self._thread = threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.01}, daemon=True)

    def url(self, path='/'):
        return self.base + path

    def handle_error(self, request, client_address):
        # Failed handshakes, clients that time out and leave: expected in these tests.
        import sys
        self.errors.append(repr(sys.exc_info()[1]))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.shutdown()
        self.server_close()


def _server_context(pki, require_client_cert=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki['server_cert'], pki['server_key'])

    def remember_sni(ssl_socket, server_name, _context):
        ssl_socket.odoo_ops_sni = server_name

    context.sni_callback = remember_sni
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=pki['ca'])
    return context


@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    return _write_pki(tmp_path_factory.mktemp('pki'))


@pytest.fixture
def http_server():
    with _Server() as server:
        yield server


@pytest.fixture
def https_server(pki):
    with _Server(_server_context(pki)) as server:
        yield server


@pytest.fixture
def mtls_server(pki):
    with _Server(_server_context(pki, require_client_cert=True)) as server:
        yield server


@pytest.fixture
def closed_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def silent_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)  # the kernel completes TCP handshakes; nobody ever accepts
    yield sock.getsockname()[1]
    sock.close()
