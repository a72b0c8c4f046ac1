# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgbackrest_info against a real PostgreSQL 15, pgBackRest 2.x and an S3 server.

The module-scoped fixture (pgbackrest_fixture.LivePgBackRest) starts PostgreSQL
archiving with pgBackRest into repo1 (posix) and repo2 (S3 on SeaweedFS over
HTTPS with a throwaway CA), both encrypted, then makes a full backup in each
repository, writes, an incremental backup in repo1 and a differential one in
repo2. The module runs in-process as the test's user (root in CI: it reads the
0600 configuration as root). Skipped when pgbackrest, PostgreSQL 15 or weed are
missing (tests/harness/host-packages.sh, the venv's dev extra).
"""

from __future__ import annotations

import os
import stat
import time

import pytest

from ansible_collections.odoo_ops.hosting.plugins.modules import pgbackrest_info
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.pgbackrest_fixture import (
    MISSING,
    PGBACKREST,
    SKIP_REASON,
    STANZA,
    LivePgBackRest,
)
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

pytestmark = pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON)


@pytest.fixture(scope='module')
def live():
    setup = LivePgBackRest()
    try:
        setup.start()
        setup.pgbackrest('backup', '--repo=1', '--type=full')
        setup.sql('CREATE TABLE t AS SELECT g AS i, md5(g::text) AS v FROM generate_series(1, 20000) g')
        setup.pgbackrest('backup', '--repo=2', '--type=full')
        setup.sql('UPDATE t SET v = upper(v) WHERE i % 3 = 0')
        setup.pgbackrest('backup', '--repo=1', '--type=incr')
        setup.pgbackrest('backup', '--repo=2', '--type=diff')
        yield setup
    finally:
        setup.stop()


def args_for(live, **extra):
    args = {'stanza': STANZA, 'config': live.config}
    args.update(extra)
    return args


def script(tmp_path, name, body):
    """An executable shell script standing in for pgbackrest."""
    path = tmp_path / name
    path.write_text('#!/bin/sh\n' + body + '\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.chmod(tmp_path, 0o755)
    return str(path)


def test_both_repositories(live):
    started = time.time()
    result = run_module(pgbackrest_info.main, args_for(live))
    assert result['failed'] is False and result['changed'] is False, result
    assert result['healthy'] is True and result['problems'] == [], result
    assert result['stanza'] == STANZA and result['status'] == {'code': 0, 'message': 'ok', 'backup_running': False}, result
    assert result['cipher'] == 'aes-256-cbc'
    assert [(r['key'], r['cipher'], r['status']['code'], r['backup_count']) for r in result['repos']] == [
        (1, 'aes-256-cbc', 0, 2), (2, 'aes-256-cbc', 0, 2)], result['repos']

    backups = result['backups']
    assert [(b['repo'], b['type']) for b in backups] == [(1, 'full'), (2, 'full'), (1, 'incr'), (2, 'diff')], backups
    stops = [b['stop_epoch'] for b in backups]
    assert stops == sorted(stops)
    full1, full2, incr1, diff2 = backups
    assert incr1['prior'] == full1['label'] and incr1['reference'] == [full1['label']] and incr1['label'].startswith(full1['label'] + '_')
    assert diff2['prior'] == full2['label'] and diff2['label'].endswith('D') and full1['label'].endswith('F')
    for backup in backups:
        assert backup['database_size'] > 0 and backup['backup_size'] > 0 and backup['repo_size'] > 0 and backup['repo_backup_size'] > 0, backup
        assert backup['start_epoch'] <= backup['stop_epoch'] <= started + 1 and backup['duration_seconds'] >= 0, backup
        assert backup['stop_time'].endswith('+00:00') and backup['stop_time'][:4].isdigit(), backup
        assert len(backup['wal_start']) == 24 and backup['wal_start'] <= backup['wal_stop'], backup
        assert backup['error'] is False and backup['pgbackrest_version'], backup
    # Incremental and differential backups copy less than the full ones; the database grew with table t.
    assert incr1['backup_size'] < full1['backup_size'] and diff2['backup_size'] < full2['backup_size']
    assert full2['database_size'] > full1['database_size']

    assert result['last_full']['label'] == full2['label'] and result['last_full']['repo'] == 2
    assert result['last_incr']['label'] == incr1['label'] and result['last_diff']['label'] == diff2['label']
    assert result['last_backup']['label'] == diff2['label'] and result['backup_count'] == 4
    assert 0 <= result['backup_age_seconds'] < 120 and result['backup_age_seconds'] == result['last_backup']['age_seconds']
    for repo in result['repos']:
        assert repo['archive_max'] >= max(b['wal_stop'] for b in backups if b['repo'] == repo['key']), repo
        assert repo['archive_min'] <= min(b['wal_start'] for b in backups if b['repo'] == repo['key']), repo
        assert repo['archive_last_epoch'] is not None and 0 <= repo['archive_lag_seconds'] < 120, repo
    assert result['archive_max'] == max(r['archive_max'] for r in result['repos'])
    assert result['archive_min'] == min(r['archive_min'] for r in result['repos'])
    assert sorted((a['repo'], a['id']) for a in result['archives']) == [(1, '15-1'), (2, '15-1')]
    assert [d['version'] for d in result['db']] == ['15', '15'] and result['db'][0]['system_id'] == result['db'][1]['system_id']
    assert result['command'] == '%s --config=%s --stanza=%s --output=json info' % (PGBACKREST, live.config, STANZA)
    assert 'stanza unit is healthy: 4 backup(s) in 2 repo(s)' in result['msg'], result['msg']


def test_check_mode_reads_too(live):
    result = run_module(pgbackrest_info.main, args_for(live), check_mode=True)
    assert result['failed'] is False and result['changed'] is False and result['healthy'] is True, result
    assert result['backup_count'] == 4


def test_only_the_s3_repository(live):
    result = run_module(pgbackrest_info.main, args_for(live, repo=2, max_backup_age=3600, max_archive_lag=3600, fail_on_unhealthy=True))
    assert result['failed'] is False and result['healthy'] is True, result
    assert [r['key'] for r in result['repos']] == [2] and {b['repo'] for b in result['backups']} == {2}, result
    assert [b['type'] for b in result['backups']] == ['full', 'diff'] and result['last_incr'] is None, result
    assert '--repo=2' in result['command']


def test_without_archive_time(live):
    result = run_module(pgbackrest_info.main, args_for(live, archive_time=False))
    assert result['failed'] is False and result['archive_last_time'] is None and result['archive_lag_seconds'] is None, result
    assert all(r['archive_last_epoch'] is None for r in result['repos'])
    assert result['archive_max'] is not None


def test_archive_follows_wal_switch(live):
    before = run_module(pgbackrest_info.main, args_for(live))['archive_max']
    live.sql("INSERT INTO t SELECT g, 'x' FROM generate_series(20001, 21000) g")
    switched = live.sql('SELECT pg_walfile_name(pg_switch_wal())')

    def archived():
        result = run_module(pgbackrest_info.main, args_for(live))
        if all(r['archive_max'] is not None and r['archive_max'] >= switched for r in result['repos']):
            return result
        return None

    result = live.wait(archived, 30, 'WAL %s archived in both repositories' % switched, poll=0.5)
    assert result['archive_max'] > before and result['archive_max'] >= switched, result
    assert all(0 <= r['archive_lag_seconds'] < 30 for r in result['repos']), result['repos']


def test_thresholds_make_it_unhealthy(live):
    time.sleep(2)
    result = run_module(pgbackrest_info.main, args_for(live, max_backup_age=1, max_archive_lag=100000))
    assert result['failed'] is False and result['healthy'] is False, result
    assert len(result['problems']) == 2, result['problems']
    assert all('more than max_backup_age 1s' in p for p in result['problems']), result['problems']
    assert result['problems'][0].startswith('repo1: newest backup %s finished ' % result['repos'][0]['newest_backup'])
    assert 'is unhealthy: repo1: newest backup' in result['msg'], result['msg']

    failing = run_module(pgbackrest_info.main, args_for(live, max_backup_age=1, fail_on_unhealthy=True))
    assert failing['failed'] is True and failing['healthy'] is False and 'max_backup_age' in failing['msg'], failing

    lagging = run_module(pgbackrest_info.main, args_for(live, max_archive_lag=0, repo=1))
    assert lagging['healthy'] is False and 'more than max_archive_lag 0s' in lagging['problems'][0], lagging['problems']


def test_unknown_stanza(live):
    result = run_module(pgbackrest_info.main, args_for(live, stanza='nope'))
    assert result['failed'] is True and result['kind'] == 'unknown_stanza', result
    assert 'stanza nope is unknown to repo1, repo2 (missing stanza path)' in result['msg'], result['msg']
    assert 'stanza-create' in result['msg'] and live.config in result['msg']
    assert result['status']['code'] == 1 and result['backups'] == []


def test_wrong_cipher_pass_is_a_repository_problem(live, monkeypatch):
    # pgBackRest reads options from PGBACKREST_* variables too (the module's `environment` keyword): repo1 cannot be decrypted.
    monkeypatch.setenv('PGBACKREST_REPO1_CIPHER_PASS', 'wrong')
    result = run_module(pgbackrest_info.main, args_for(live))
    assert result['failed'] is False and result['healthy'] is False, result
    repo1, repo2 = result['repos']
    assert repo1['status']['code'] == 99 and 'unable to load info file' in repo1['status']['message'], repo1
    assert repo2['status']['code'] == 0 and repo2['backup_count'] == 2, repo2
    assert result['problems'][0].startswith('stanza unit: '), result['problems']
    assert any(p.startswith('repo1: ') and '(status code 99)' in p for p in result['problems']), result['problems']


def test_missing_binary(live):
    result = run_module(pgbackrest_info.main, args_for(live, executable='/nonexistent/pgbackrest'))
    assert result['failed'] is True and result['kind'] == 'missing_binary', result
    assert '/nonexistent/pgbackrest is not an executable file: install pgBackRest (Debian package pgbackrest)' in result['msg'], result['msg']
    by_name = run_module(pgbackrest_info.main, args_for(live, executable='pgbackrest-not-installed'))
    assert by_name['failed'] is True and by_name['kind'] == 'missing_binary' and 'not found in PATH' in by_name['msg'], by_name


def test_config_missing_and_bad_repo(live):
    result = run_module(pgbackrest_info.main, args_for(live, config=live.config + '.missing'))
    assert result['failed'] is True and result['kind'] == 'config', result
    assert "unable to open missing file '%s.missing'" % live.config in result['msg'] and 'exited with 55' in result['msg'], result['msg']
    result = run_module(pgbackrest_info.main, args_for(live, repo=3))
    assert result['failed'] is True and result['kind'] == 'config' and "key '3' is not valid for 'repo' option" in result['msg'], result
    result = run_module(pgbackrest_info.main, args_for(live, repo=0))
    assert result['failed'] is True and result['msg'] == 'pgbackrest_info: repo must be between 1 and 256, got 0', result


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists('/usr/bin/setpriv'), reason='needs root and setpriv to run pgbackrest as nobody')
def test_permission_denied_says_become_user(live, tmp_path):
    wrapper = script(tmp_path, 'pgbackrest-as-nobody', 'exec setpriv --reuid=nobody --regid=nogroup --clear-groups %s "$@"' % PGBACKREST)
    result = run_module(pgbackrest_info.main, args_for(live, executable=wrapper))
    assert result['failed'] is True and result['kind'] == 'permission', result
    assert 'Permission denied' in result['msg'] and 'become_user: postgres' in result['msg'], result['msg']
    assert result['rc'] == 41 and 'ERROR: [041]' in result['stderr'], result


def test_output_that_is_not_json(live, tmp_path):
    fake = script(tmp_path, 'pgbackrest-text', 'echo "stanza: unit"; echo "WARN: something odd" >&2')
    result = run_module(pgbackrest_info.main, args_for(live, executable=fake))
    assert result['failed'] is True and result['kind'] == 'parse', result
    assert 'did not print JSON' in result['msg'] and 'stdout: stanza: unit' in result['msg'] and 'stderr: WARN: something odd' in result['msg']


def test_timeout(live, tmp_path):
    slow = script(tmp_path, 'pgbackrest-slow', 'exec sleep 30')
    started = time.monotonic()
    result = run_module(pgbackrest_info.main, args_for(live, executable=slow, timeout=1))
    assert time.monotonic() - started < 10
    assert result['failed'] is True and result['kind'] == 'timeout' and 'did not finish within 1s' in result['msg'], result


def test_invalid_options():
    for args, message in (({'stanza': ' '}, 'stanza must not be empty'),
                          ({'stanza': 'x', 'timeout': 0}, 'timeout must be more than 0, got 0'),
                          ({'stanza': 'x', 'max_backup_age': -1}, 'max_backup_age must be 0 or more seconds, got -1'),
                          ({'stanza': 'x', 'max_archive_lag': 5, 'archive_time': False}, 'max_archive_lag needs archive_time=true')):
        result = run_module(pgbackrest_info.main, args)
        assert result['failed'] is True and message in result['msg'], result
