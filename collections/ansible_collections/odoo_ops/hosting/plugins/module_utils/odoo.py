# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Odoo database operations for odoo_ops.hosting modules (odoo_database).

Three layers, so that the pure parts are testable without Odoo, PostgreSQL or Docker:

* pure: ``build_command()`` (the ``odoo`` command line of one step), ``plan_steps()`` (which
  steps a database state calls for), ``failure_summary()`` (the line of Odoo's output that says
  what went wrong), ``state_diff()``;
* SQL: ``connect()`` with psycopg 3 or psycopg2 (whichever the host has; Debian 12 ships both)
  and ``read_state()``, which only reads (``ir_module_module``, ``ir_config_parameter``);
* Docker: ``DockerRunner`` runs a command in the tenant's running container (``exec_run``) or
  in a one-off container from the same image, using only docker SDK APIs that exist in
  docker-py 5.0 (Debian 12's python3-docker).

Every command goes straight to the ``odoo`` program, not through the image's entrypoint, and
carries no secret: the database credentials are read by Odoo from its configuration file.
"""

from __future__ import annotations

import re

DEFAULT_CONFIG_PATH = '/etc/odoo/odoo.conf'
MODULE_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_]*$')

# ---------------------------------------------------------------------------------------------
# Pure logic


class OdooOpsError(Exception):
    """An error a person can act on; str() is the message."""


def _series(version):
    """(major, minor) of '17.0' / 'saas~18.2' / '19.0', or None."""
    if not version:
        return None
    match = re.search(r'(\d+)\.(\d+)', str(version))
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_module_names(names, option):
    bad = [n for n in names if not isinstance(n, str) or not MODULE_NAME_RE.match(n)]
    if bad:
        raise OdooOpsError('%s: invalid module names %s (lowercase letters, digits and underscores)' % (option, ', '.join(map(repr, bad))))
    return list(names)


def build_command(action, database, modules=None, config_path=DEFAULT_CONFIG_PATH, odoo_bin='odoo', version=None, demo=False):
    """The argument vector of one step.

    action: 'initialize' (-i base), 'install' (-i modules), 'update' (-u modules) or 'neutralize'.
    Module steps stop after init and open no HTTP port, so they can run next to a running server.
    Demo data: Odoo up to 18 loads it unless told --without-demo=all; 19 loads it only with
    --with-demo. demo=False keeps production databases clean on every version.
    """
    base = [odoo_bin]
    if action == 'neutralize':
        return base + ['neutralize', '-c', config_path, '-d', database]
    if action == 'initialize':
        mods = ['base']
    elif action in ('install', 'update'):
        mods = list(modules or [])
        if not mods:
            raise OdooOpsError('%s needs at least one module' % action)
    else:
        raise OdooOpsError('unknown action %r' % action)
    argv = base + ['-c', config_path, '-d', database, '-u' if action == 'update' else '-i', ','.join(mods)]
    if action != 'update':
        series = _series(version)
        if demo and series is not None and series >= (19, 0):
            argv.append('--with-demo')
        elif not demo and (series is None or series < (19, 0)):
            argv.append('--without-demo=all')
    return argv + ['--stop-after-init', '--no-http']


def plan_steps(state, initialized=True, modules_installed=(), modules_updated=(), neutralized=False):
    """[(action, modules)] the wanted result calls for, given state from read_state().

    - initialize when base is not installed (and initialized is true);
    - install the modules of modules_installed that are not installed (one step, all at once);
    - update every module of modules_updated (an update is always a change: it is asked for);
    - neutralize when neutralized is true and database.is_neutralized is not set.
    """
    steps = []
    installed = set(state.get('installed') or ())
    base_ready = bool(state.get('initialized'))
    if initialized and not base_ready:
        steps.append(('initialize', ['base']))
        installed |= {'base'}
        base_ready = True
    missing = [m for m in dict.fromkeys(modules_installed) if m not in installed]
    if missing:
        if not base_ready:
            raise OdooOpsError('modules_installed needs an initialised database (initialized=true)')
        steps.append(('install', missing))
    updates = list(dict.fromkeys(modules_updated))
    if updates:
        if not base_ready:
            raise OdooOpsError('modules_updated needs an initialised database (initialized=true)')
        steps.append(('update', updates))
    if neutralized and not state.get('neutralized'):
        if not base_ready:
            raise OdooOpsError('neutralized needs an initialised database (initialized=true)')
        steps.append(('neutralize', []))
    return steps


def predicted_state(state, steps):
    """The state after the steps, as far as it can be told without running them."""
    installed = set(state.get('installed') or ())
    out = {'initialized': bool(state.get('initialized')), 'neutralized': bool(state.get('neutralized'))}
    for action, modules in steps:
        if action == 'initialize':
            out['initialized'] = True
            installed.add('base')
        elif action == 'install':
            installed.update(modules)
        elif action == 'neutralize':
            out['neutralized'] = True
    out['installed'] = sorted(installed)
    return out


def state_diff(before, after):
    """Ansible diff dict: installed modules and flags, as YAML-ish text blocks."""
    def render(s):
        lines = ['initialized: %s' % str(bool(s.get('initialized'))).lower(),
                 'neutralized: %s' % str(bool(s.get('neutralized'))).lower(),
                 'modules:']
        lines += ['  - %s' % m for m in sorted(s.get('installed') or ())]
        return '\n'.join(lines) + '\n'
    return {'before': render(before), 'after': render(after), 'before_header': 'database state', 'after_header': 'database state'}


_LOG_LINE_RE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ')
_EXC_LINE_RE = re.compile(r'^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Denied|Fault|Exit|Interrupt))(?::\s?(.*))?$')


def failure_summary(output, limit=20):
    """(summary line, last lines) of Odoo's output after a failed step.

    The summary is the final line of the last traceback (``odoo.exceptions.UserError: ...``)
    when there is one, else the last ERROR/CRITICAL log line, else the last non-empty line.
    """
    if isinstance(output, bytes):
        output = output.decode('utf-8', 'replace')
    lines = [line.rstrip() for line in (output or '').splitlines() if line.strip()]
    tail = lines[-limit:]
    summary = None
    for line in reversed(lines):
        if _EXC_LINE_RE.match(line.strip()):
            summary = line.strip()
            break
    if summary is None:
        for line in reversed(lines):
            match = _LOG_LINE_RE.match(line)
            if match and match.group(1) in ('ERROR', 'CRITICAL'):
                summary = line[match.end():].strip()
                break
    if summary is None and lines:
        summary = lines[-1].strip()
    return summary or '(no output)', tail


# ---------------------------------------------------------------------------------------------
# SQL (read only)

def import_driver():
    """('psycopg', module) or ('psycopg2', module); raises ImportError when neither is installed."""
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
        return 'psycopg', psycopg
    except ImportError:
        pass
    import psycopg2  # pylint: disable=import-outside-toplevel
    return 'psycopg2', psycopg2


def connect(params, driver=None):
    """A connection with libpq keyword params (host, port, user, password, dbname, connect_timeout)."""
    _name, mod = driver or import_driver()
    kwargs = {k: v for k, v in params.items() if v not in (None, '')}
    conn = mod.connect(**kwargs)
    conn.autocommit = True  # the same attribute in psycopg 3 and psycopg2: reads only, no open transaction
    return conn


def read_state(conn):
    """What the database holds: initialized (base installed), installed modules, neutralized."""
    cur = conn.cursor()
    try:
        cur.execute("SELECT to_regclass('ir_module_module') IS NOT NULL, to_regclass('ir_config_parameter') IS NOT NULL")
        has_modules, has_params = cur.fetchone()
        installed = []
        if has_modules:
            cur.execute("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name")
            installed = [row[0] for row in cur.fetchall()]
        neutralized = False
        if has_params:
            cur.execute("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'")
            row = cur.fetchone()
            neutralized = bool(row) and str(row[0]).strip().lower() in ('true', '1', 't')
    finally:
        cur.close()
    return {'exists': True, 'initialized': 'base' in installed, 'installed': installed, 'neutralized': neutralized}


def missing_database(exc):
    return 'does not exist' in str(exc) and 'database' in str(exc)


EMPTY_STATE = {'exists': False, 'initialized': False, 'installed': [], 'neutralized': False}


# ---------------------------------------------------------------------------------------------
# Docker

class DockerRunner:
    """Runs odoo commands in a tenant's container (docker SDK, docker-py >= 5.0)."""

    def __init__(self, base_url=None, timeout=60, client=None):
        if client is None:
            import docker  # pylint: disable=import-outside-toplevel
            client = docker.DockerClient(base_url=base_url or 'unix://var/run/docker.sock', timeout=timeout)
        self.client = client
        self.cleanup_errors = []

    def find_container(self, name=None, project=None, service=None):
        """The container by name, or the compose service's first container; None when absent."""
        from docker.errors import NotFound  # pylint: disable=import-outside-toplevel
        if name:
            try:
                return self.client.containers.get(name)
            except NotFound:
                return None
        labels = ['com.docker.compose.project=%s' % project, 'com.docker.compose.service=%s' % service]
        found = self.client.containers.list(all=True, filters={'label': labels})
        found.sort(key=lambda c: (c.status != 'running', c.name))
        return found[0] if found else None

    @staticmethod
    def is_running(container):
        if container is None:
            return False
        container.reload()
        return container.status == 'running'

    @staticmethod
    def exec_in(container, argv, user='odoo'):
        """(exit code, output) of argv run inside the running container."""
        result = container.exec_run(argv, user=user, stdout=True, stderr=True)
        output = result.output if hasattr(result, 'output') else result[1]
        code = result.exit_code if hasattr(result, 'exit_code') else result[0]
        return code, output or b''

    def run_one_off(self, image, argv, user='odoo', volumes=None, network=None, extra_hosts=None, environment=None, timeout=1800, name=None):
        """(exit code, output) of argv in a new container from image (entrypoint = argv[0]), removed afterwards."""
        kwargs = {
            'image': image, 'entrypoint': [argv[0]], 'command': argv[1:], 'user': user, 'detach': True,
            'volumes': list(volumes or []), 'environment': dict(environment or {}),
            'labels': {'odoo-ops.one-off': 'odoo_database'},
        }
        if network:
            kwargs['network'] = network
        if extra_hosts:
            kwargs['extra_hosts'] = dict(extra_hosts)
        if name:
            kwargs['name'] = name
        container = self.client.containers.run(**kwargs)
        try:
            try:
                status = container.wait(timeout=timeout)
            except Exception as exc:  # requests' ReadTimeout, ConnectionError...
                container.kill()
                raise OdooOpsError('one-off container from %s did not finish within %s s: %s' % (image, timeout, exc)) from exc
            code = status.get('StatusCode', 1) if isinstance(status, dict) else int(status)
            output = container.logs(stdout=True, stderr=True)
        finally:
            try:
                container.remove(force=True)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self.cleanup_errors.append('%s: %s' % (container.name, exc))
        return code, output or b''
