# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real PostgreSQL server for the module tests: Debian's postgresql binaries on this machine, a
fresh cluster in a temporary directory (as the postgres user when run as root), listening on
127.0.0.1 (and docker0, when there is one) with SCRAM and on a Unix socket in its directory
(``.dir``) with trust for local users. ``MISSING`` says what is not installed (skip then).

    server = PgServer()
    try:
        server.psql('CREATE ROLE x')      # as postgres, over the socket
    finally:
        server.stop()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = sorted(glob.glob('/usr/lib/postgresql/*/bin'))
MISSING = None if PG_BIN and shutil.which('psql') and shutil.which('runuser') else 'PostgreSQL server binaries not installed'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _docker0_ip():
    out = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'docker0'], capture_output=True, text=True, check=False).stdout.split()
    return out[3].split('/')[0] if len(out) > 3 else None


class PgServer:
    def __init__(self):
        self.bin = PG_BIN[-1]
        self.dir = tempfile.mkdtemp(prefix='odoo-ops-unit-pg-')
        self.port = _free_port()
        self.gateway = _docker0_ip()
        user = pwd.getpwnam('postgres')
        os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.run_as = ['runuser', '-u', 'postgres', '--'] if os.geteuid() == 0 else []
        subprocess.run(self.run_as + [self.bin + '/initdb', '-D', self.dir + '/data', '-U', 'postgres', '--auth-local=trust',
                                      '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'], check=True, capture_output=True)
        with open(self.dir + '/data/pg_hba.conf', 'a') as fh:
            fh.write('host all all 0.0.0.0/0 scram-sha-256\n')
        listen = '127.0.0.1' + (',' + self.gateway if self.gateway else '')
        self.proc = subprocess.Popen(self.run_as + [self.bin + '/postgres', '-D', self.dir + '/data', '-k', self.dir, '-p', str(self.port),
                                                    '-c', 'listen_addresses=' + listen, '-c', 'fsync=off'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _attempt in range(100):
            ready = subprocess.run(self.run_as + [self.bin + '/pg_isready', '-h', self.dir, '-p', str(self.port)], capture_output=True, check=False)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError('postgres did not start')

    def psql(self, sql, db='postgres'):
        return subprocess.run(self.run_as + ['psql', '-h', self.dir, '-p', str(self.port), '-U', 'postgres', '-d', db, '-XAtq',
                                             '-v', 'ON_ERROR_STOP=1', '-c', sql], check=True, capture_output=True, text=True).stdout

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
