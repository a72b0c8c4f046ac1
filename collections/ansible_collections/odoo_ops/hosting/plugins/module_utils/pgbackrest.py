# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgBackRest state for the odoo_ops.hosting modules, standard library only.

The pieces:

* ``PgBackRest`` runs the ``pgbackrest`` binary (``--output=json``, console and
  file logging off, so stdout is only JSON and the read leaves no log file behind)
  with a timeout on every run. Every failure becomes ``PgBackRestError`` whose
  ``kind`` is ``missing_binary``, ``permission`` (a file or path the running user
  may not read), ``config`` (missing config file, invalid option), ``timeout``,
  ``parse`` (stdout was not the JSON expected; stderr is in the message),
  ``unknown_stanza`` or ``command`` (any other non-zero exit);
* ``PgBackRest.info()`` is ``pgbackrest --stanza=X --output=json info`` for one stanza;
* ``PgBackRest.archive_time()`` is the modification time of one archived WAL
  segment in one repository (``pgbackrest repo-ls --filter``);
* ``summarize()`` turns the info JSON into what ``pgbackrest_info`` returns:
  backups (sorted oldest first) with ISO and epoch times and sizes, the last
  full/diff/incr, ages, WAL archive range and lag, ``healthy`` and ``problems``.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess

KIND_MISSING_BINARY = 'missing_binary'
KIND_PERMISSION = 'permission'
KIND_CONFIG = 'config'
KIND_TIMEOUT = 'timeout'
KIND_PARSE = 'parse'
KIND_UNKNOWN_STANZA = 'unknown_stanza'
KIND_COMMAND = 'command'

DEFAULT_TIMEOUT = 120
BACKUP_TYPES = ('full', 'diff', 'incr')
MAX_SHOWN = 2000
# Where the Debian package and a source build put the binary, when PATH (become, cron) is short.
EXTRA_PATHS = ('/usr/bin', '/usr/local/bin', '/bin')
# pgBackRest error codes (ERROR: [NNN]) that mean a configuration problem.
CONFIG_ERROR_CODES = (31, 32, 37, 38, 55)  # option invalid, option value invalid, required option, ..., file missing
STANZA_MISSING_PATH = 1
_ERROR_RE = re.compile(r'ERROR:\s*\[(\d+)\]:\s*(.*)', re.DOTALL)
_WAL_RE = re.compile(r'^[0-9A-F]{24}$')


class PgBackRestError(Exception):
    """A pgbackrest run that did not give the expected answer.

    ``kind`` says which (see the module docstring), ``reason`` is a sentence a
    person can act on, ``rc`` the exit code and ``stderr`` what pgbackrest said.
    """

    def __init__(self, kind, reason, rc=None, stderr=None, command=None):
        super(PgBackRestError, self).__init__(reason)
        self.kind = kind
        self.reason = reason
        self.rc = rc
        self.stderr = stderr
        self.command = command


def _shorten(text, limit=MAX_SHOWN):
    text = (text or '').strip()
    return text if len(text) <= limit else text[:limit] + '... (%d more characters)' % (len(text) - limit)


def find_executable(executable):
    """Absolute path of the pgbackrest binary; PgBackRestError(missing_binary) when there is none."""
    if os.sep in executable:
        if os.path.isfile(executable) and os.access(executable, os.X_OK):
            return executable
        raise PgBackRestError(KIND_MISSING_BINARY, '%s is not an executable file: install pgBackRest (Debian package pgbackrest) '
                              'or set executable to its path' % executable)
    path = os.pathsep.join([os.environ.get('PATH', '')] + list(EXTRA_PATHS))
    found = shutil.which(executable, path=path)
    if not found:
        raise PgBackRestError(KIND_MISSING_BINARY, '%s not found in PATH (%s): install pgBackRest (Debian package pgbackrest) '
                              'or set executable to its path' % (executable, path))
    return found


def epoch_to_iso(epoch):
    """ISO 8601 in UTC (``2026-01-02T03:04:05+00:00``) of a Unix time, None for None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat()


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PgBackRest(object):
    """Runs pgbackrest for one stanza (with an optional config file and repository)."""

    def __init__(self, stanza, executable='pgbackrest', config=None, repo=None, timeout=DEFAULT_TIMEOUT):
        self.stanza = stanza
        self.executable = find_executable(executable)
        self.config = config
        self.repo = repo
        self.timeout = timeout

    def command(self, action, repo=None, options=(), args=()):
        """argv of ``pgbackrest [--config] --stanza [--repo] --output=json <options> <action> <args>``."""
        argv = [self.executable]
        if self.config:
            argv.append('--config=%s' % self.config)
        argv.append('--stanza=%s' % self.stanza)
        repo = repo if repo is not None else self.repo
        if repo is not None:
            argv.append('--repo=%d' % repo)
        argv += ['--output=json', '--log-level-console=off', '--log-level-file=off']
        argv += list(options)
        argv.append(action)
        argv += list(args)
        return argv

    def _explain(self, rc, stderr, shown):
        """PgBackRestError for a non-zero exit, with a hint for the usual causes."""
        match = _ERROR_RE.search(stderr or '')
        code = int(match.group(1)) if match else None
        said = _shorten(stderr) or '(nothing on stderr)'
        text = '`%s` exited with %s: %s' % (shown, rc, said)
        if 'Permission denied' in (stderr or '') or code == 41:
            return PgBackRestError(KIND_PERMISSION, '%s; run it as the user that owns the repository and can read the configuration '
                                   '(become: true, become_user: postgres)' % text, rc, stderr, shown)
        if code in CONFIG_ERROR_CODES:
            return PgBackRestError(KIND_CONFIG, '%s; check config (%s), stanza and repo' % (text, self.config or 'pgBackRest default'),
                                   rc, stderr, shown)
        return PgBackRestError(KIND_COMMAND, text, rc, stderr, shown)

    def run_json(self, argv):
        """Run argv; its stdout parsed as JSON. Raises PgBackRestError."""
        shown = ' '.join(a for a in argv if not a.startswith('--log-level-'))
        env = dict(os.environ, LC_ALL='C', LANG='C')
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=self.timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise PgBackRestError(KIND_TIMEOUT, '`%s` did not finish within %ss (an unreachable repository makes pgBackRest retry '
                                  'until its io-timeout); raise timeout or fix the repository' % (shown, self.timeout),
                                  command=shown) from None
        except FileNotFoundError:
            raise PgBackRestError(KIND_MISSING_BINARY, '%s disappeared: install pgBackRest (Debian package pgbackrest)' % argv[0],
                                  command=shown) from None
        except PermissionError as exc:
            raise PgBackRestError(KIND_PERMISSION, 'cannot run %s: %s' % (argv[0], exc.strerror or exc), command=shown) from None
        stdout = proc.stdout.decode('utf-8', 'replace')
        stderr = proc.stderr.decode('utf-8', 'replace')
        if proc.returncode != 0:
            raise self._explain(proc.returncode, stderr, shown)
        try:
            return json.loads(stdout, strict=False)  # pgBackRest copies undecryptable bytes into messages unescaped
        except ValueError as exc:
            raise PgBackRestError(KIND_PARSE, '`%s` did not print JSON (%s): stdout: %s; stderr: %s'
                                  % (shown, exc, _shorten(stdout, 300) or '(empty)', _shorten(stderr) or '(empty)'),
                                  proc.returncode, stderr, shown) from None

    def info(self):
        """The stanza's entry of ``pgbackrest info`` (a dict)."""
        argv = self.command('info')
        data = self.run_json(argv)
        entries = data if isinstance(data, list) else []
        for entry in entries:
            if isinstance(entry, dict) and entry.get('name') == self.stanza:
                return entry
        raise PgBackRestError(KIND_PARSE, '`%s` did not report stanza %s: %s' % (' '.join(argv), self.stanza, _shorten(json.dumps(data), 300)))

    def archive_time(self, repo, archive_id, wal):
        """Unix time at which WAL segment ``wal`` was stored in repository ``repo`` (None when not found)."""
        if not _WAL_RE.match(wal or '') or not re.match(r'^[0-9]+-[0-9]+$', archive_id or ''):
            return None
        path = 'archive/%s/%s/%s' % (self.stanza, archive_id, wal[:16])
        listing = self.run_json(self.command('repo-ls', repo=repo, options=['--filter=^%s' % wal], args=[path]))
        times = [_int(item.get('time')) for name, item in (listing or {}).items()
                 if isinstance(item, dict) and item.get('type') == 'file' and name.startswith(wal)]
        times = [t for t in times if t is not None]
        return max(times) if times else None


# --- turning info into the module's result ---------------------------------------------------

def parse_backup(raw):
    """One entry of info's ``backup`` list in the form the module returns."""
    info = raw.get('info') or {}
    repository = info.get('repository') or {}
    archive = raw.get('archive') or {}
    timestamp = raw.get('timestamp') or {}
    lsn = raw.get('lsn') or {}
    database = raw.get('database') or {}
    start, stop = _int(timestamp.get('start')), _int(timestamp.get('stop'))
    return dict(
        label=raw.get('label'),
        type=raw.get('type'),
        repo=_int(database.get('repo-key')),
        db_id=_int(database.get('id')),
        prior=raw.get('prior'),
        reference=list(raw.get('reference') or []),
        error=bool(raw.get('error')),
        start_epoch=start,
        start_time=epoch_to_iso(start),
        stop_epoch=stop,
        stop_time=epoch_to_iso(stop),
        duration_seconds=stop - start if start is not None and stop is not None else None,
        database_size=_int(info.get('size')),
        backup_size=_int(info.get('delta')),
        repo_size=_int(repository.get('size')),
        repo_backup_size=_int(repository.get('delta')),
        wal_start=archive.get('start'),
        wal_stop=archive.get('stop'),
        lsn_start=lsn.get('start'),
        lsn_stop=lsn.get('stop'),
        pgbackrest_version=(raw.get('backrest') or {}).get('version'),
    )


def _sort_key(backup):
    return (backup['stop_epoch'] or 0, backup['start_epoch'] or 0, backup['label'] or '')


def _brief(backup, now):
    """The short form used for last_full, last_diff, last_incr and last_backup."""
    if backup is None:
        return None
    return dict(label=backup['label'], type=backup['type'], repo=backup['repo'], stop_time=backup['stop_time'],
                stop_epoch=backup['stop_epoch'], age_seconds=_age(backup['stop_epoch'], now), database_size=backup['database_size'],
                backup_size=backup['backup_size'], repo_size=backup['repo_size'])


def _age(epoch, now):
    return None if epoch is None else max(0, int(now - epoch))


def parse_archives(raw):
    """info's ``archive`` list as [{repo, id, min, max}]."""
    result = []
    for item in raw.get('archive') or []:
        database = item.get('database') or {}
        result.append(dict(repo=_int(database.get('repo-key')), db_id=_int(database.get('id')), id=item.get('id'),
                           min=item.get('min'), max=item.get('max')))
    return result


def newest_archive(archives, repo=None):
    """The archive entry of the current database (highest id; a major upgrade adds one) with the highest WAL segment,
    of one repository when given."""
    candidates = [a for a in archives if a['max'] and (repo is None or a['repo'] == repo)]
    return max(candidates, key=lambda a: (a['db_id'] or 0, a['max'])) if candidates else None


def summarize(raw, now, max_backup_age=None, max_archive_lag=None, archive_times=None):
    """The module's result from one stanza of ``info --output=json``.

    ``archive_times`` maps a repository key to the Unix time of its newest archived
    WAL segment (or to None when that could not be read). Thresholds are seconds and
    apply to every repository reported.
    """
    archive_times = archive_times or {}
    status = raw.get('status') or {}
    lock = ((status.get('lock') or {}).get('backup') or {})
    backups = sorted((parse_backup(b) for b in raw.get('backup') or []), key=_sort_key)
    archives = parse_archives(raw)
    problems = []

    stanza_status = dict(code=_int(status.get('code')), message=status.get('message'), backup_running=bool(lock.get('held')))
    if stanza_status['code'] != 0:
        problems.append('stanza %s: %s (status code %s)' % (raw.get('name'), stanza_status['message'], stanza_status['code']))

    repos = []
    for item in raw.get('repo') or []:
        key = _int(item.get('key'))
        repo_status = item.get('status') or {}
        own = [b for b in backups if b['repo'] == key]
        newest = own[-1] if own else None
        archive = newest_archive(archives, key)
        archive_epoch = archive_times.get(key)
        entry = dict(
            key=key, cipher=item.get('cipher'),
            status=dict(code=_int(repo_status.get('code')), message=repo_status.get('message')),
            backup_count=len(own),
            newest_backup=newest['label'] if newest else None,
            backup_age_seconds=_age(newest['stop_epoch'], now) if newest else None,
            archive_min=min((a['min'] for a in archives if a['repo'] == key and a['min']), default=None),
            archive_max=archive['max'] if archive else None,
            archive_last_epoch=archive_epoch,
            archive_last_time=epoch_to_iso(archive_epoch),
            archive_lag_seconds=_age(archive_epoch, now),
        )
        repos.append(entry)
        if entry['status']['code'] != 0:
            problems.append('repo%s: %s (status code %s)' % (key, entry['status']['message'], entry['status']['code']))
            continue
        if newest is None:
            problems.append('repo%s: no backup' % key)
        elif max_backup_age is not None and entry['backup_age_seconds'] > max_backup_age:
            problems.append('repo%s: newest backup %s finished %ss ago (%s), more than max_backup_age %ss'
                            % (key, newest['label'], entry['backup_age_seconds'], newest['stop_time'], max_backup_age))
        if max_archive_lag is not None:
            if entry['archive_max'] is None:
                problems.append('repo%s: no WAL archived' % key)
            elif entry['archive_lag_seconds'] is None:
                problems.append('repo%s: time of the newest archived WAL %s unknown' % (key, entry['archive_max']))
            elif entry['archive_lag_seconds'] > max_archive_lag:
                problems.append('repo%s: newest archived WAL %s was stored %ss ago (%s), more than max_archive_lag %ss'
                                % (key, entry['archive_max'], entry['archive_lag_seconds'], entry['archive_last_time'], max_archive_lag))
    for backup in backups:
        if backup['error']:
            problems.append('repo%s: backup %s found page checksum errors' % (backup['repo'], backup['label']))

    last = {}
    for kind in BACKUP_TYPES:
        of_kind = [b for b in backups if b['type'] == kind]
        last[kind] = _brief(of_kind[-1] if of_kind else None, now)
    newest = backups[-1] if backups else None
    archive = newest_archive(archives)
    known_times = [t for t in archive_times.values() if t is not None]
    archive_epoch = max(known_times) if known_times else None
    return dict(
        stanza=raw.get('name'),
        status=stanza_status,
        cipher=raw.get('cipher'),
        repos=repos,
        backups=backups,
        backup_count=len(backups),
        last_backup=_brief(newest, now),
        last_full=last['full'],
        last_diff=last['diff'],
        last_incr=last['incr'],
        backup_age_seconds=_age(newest['stop_epoch'], now) if newest else None,
        archives=archives,
        archive_min=min((a['min'] for a in archives if a['min']), default=None),
        archive_max=archive['max'] if archive else None,
        archive_last_epoch=archive_epoch,
        archive_last_time=epoch_to_iso(archive_epoch),
        archive_lag_seconds=_age(archive_epoch, now),
        db=[dict(id=_int(d.get('id')), repo=_int(d.get('repo-key')), version=d.get('version'), system_id=_int(d.get('system-id')))
            for d in raw.get('db') or []],
        healthy=not problems,
        problems=problems,
    )


def stanza_unknown(raw):
    """True when every repository reports the stanza's path as missing (the stanza is unknown there)."""
    repos = raw.get('repo') or []
    codes = [_int((r.get('status') or {}).get('code')) for r in repos]
    return bool(codes) and all(c == STANZA_MISSING_PATH for c in codes)
