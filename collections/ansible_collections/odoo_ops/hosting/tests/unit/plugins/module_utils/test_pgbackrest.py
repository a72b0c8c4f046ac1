# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/pgbackrest.py: turning ``pgbackrest info --output=json`` into the module's result.

The dicts below have the shape pgBackRest 2.45 prints; they cover what the live
tests (tests/unit/plugins/modules/test_pgbackrest_info_live.py, real PostgreSQL,
pgBackRest and S3) cannot easily produce: a stanza without backups, a backup with
page checksum errors, a major upgrade (two archive ids), a stanza missing in one
repository only.
"""

from __future__ import annotations

from ansible_collections.odoo_ops.hosting.plugins.module_utils.pgbackrest import (
    epoch_to_iso,
    newest_archive,
    parse_archives,
    stanza_unknown,
    summarize,
)

NOW = 1767358800  # 2026-01-02T13:00:00Z


def backup(label, kind, repo, start, stop, db_id=1, error=False, prior=None, wal=('000000010000000000000002', '000000010000000000000003')):
    return {'archive': {'start': wal[0], 'stop': wal[1]}, 'backrest': {'format': 5, 'version': '2.45'},
            'database': {'id': db_id, 'repo-key': repo}, 'error': error,
            'info': {'delta': 100, 'repository': {'delta': 10, 'size': 20}, 'size': 1000}, 'label': label,
            'lsn': {'start': '0/2000028', 'stop': '0/3000050'}, 'prior': prior, 'reference': [prior] if prior else None,
            'timestamp': {'start': start, 'stop': stop}, 'type': kind}


def repo(key, code=0, message='ok'):
    return {'cipher': 'none', 'key': key, 'status': {'code': code, 'message': message}}


def stanza(backups=(), repos=(1,), archive=(), code=0, message='ok'):
    return {'name': 'odoo', 'status': {'code': code, 'message': message, 'lock': {'backup': {'held': False}}}, 'cipher': 'none',
            'repo': [r if isinstance(r, dict) else repo(r) for r in repos], 'backup': list(backups),
            'archive': [{'database': {'id': db, 'repo-key': key}, 'id': ident, 'min': lo, 'max': hi} for key, db, ident, lo, hi in archive],
            'db': [{'id': 1, 'repo-key': 1, 'system-id': 7000000000000000001, 'version': '15'}]}


def test_no_backup_is_a_problem():
    result = summarize(stanza(code=2, message='no valid backups'), NOW)
    assert result['healthy'] is False and result['backups'] == [] and result['backup_age_seconds'] is None
    assert result['problems'] == ['stanza odoo: no valid backups (status code 2)', 'repo1: no backup']
    assert result['last_backup'] is None and result['last_full'] is None and result['archive_max'] is None


def test_sorted_by_stop_time_and_last_of_each_type():
    raw = stanza([backup('20260102-120000F_20260102-123000I', 'incr', 1, NOW - 1900, NOW - 1800, prior='20260102-010000F'),
                  backup('20260102-010000F', 'full', 1, NOW - 43300, NOW - 43200),
                  backup('20260102-010000F_20260102-060000D', 'diff', 1, NOW - 25300, NOW - 25200, prior='20260102-010000F')],
                 archive=[(1, 1, '15-1', '000000010000000000000001', '000000010000000000000009')])
    result = summarize(raw, NOW, max_backup_age=3600, archive_times={1: NOW - 30})
    assert [b['type'] for b in result['backups']] == ['full', 'diff', 'incr']
    assert result['last_full']['age_seconds'] == 43200 and result['last_diff']['age_seconds'] == 25200
    assert result['last_incr']['label'] == result['last_backup']['label'] == '20260102-120000F_20260102-123000I'
    assert result['backup_age_seconds'] == 1800 and result['repos'][0]['backup_age_seconds'] == 1800
    assert result['backups'][0]['stop_time'] == '2026-01-02T01:00:00+00:00' and result['backups'][0]['duration_seconds'] == 100
    assert result['archive_lag_seconds'] == 30 and result['repos'][0]['archive_last_time'] == epoch_to_iso(NOW - 30)
    assert result['healthy'] is True, result['problems']


def test_checksum_errors_and_thresholds_per_repository():
    raw = stanza([backup('20260102-120000F', 'full', 1, NOW - 200, NOW - 100, error=True),
                  backup('20260101-010000F', 'full', 2, NOW - 90000, NOW - 86400)], repos=(1, 2),
                 archive=[(1, 1, '15-1', '000000010000000000000001', '000000010000000000000009'),
                          (2, 1, '15-1', '000000010000000000000001', '000000010000000000000005')])
    result = summarize(raw, NOW, max_backup_age=3600, max_archive_lag=600, archive_times={1: NOW - 10, 2: None})
    assert result['healthy'] is False
    assert result['problems'] == [
        'repo2: newest backup 20260101-010000F finished 86400s ago (2026-01-01T13:00:00+00:00), more than max_backup_age 3600s',
        'repo2: time of the newest archived WAL 000000010000000000000005 unknown',
        'repo1: backup 20260102-120000F found page checksum errors',
    ]
    assert result['archive_max'] == '000000010000000000000009' and result['archive_lag_seconds'] == 10


def test_repository_in_error_is_reported_not_judged():
    raw = stanza([backup('20260102-120000F', 'full', 2, NOW - 200, NOW - 100)], code=4, message='different across repos',
                 repos=(repo(1, 99, "[PathOpenError] unable to list file info for path '/var/lib/pgbackrest/backup': [13] Permission denied"), 2))
    result = summarize(raw, NOW, max_backup_age=3600)
    assert result['problems'] == ['stanza odoo: different across repos (status code 4)',
                                  "repo1: [PathOpenError] unable to list file info for path '/var/lib/pgbackrest/backup': [13] Permission denied "
                                  '(status code 99)']
    assert stanza_unknown(raw) is False


def test_newest_archive_after_a_major_upgrade():
    archives = parse_archives(stanza(archive=[(1, 1, '15-1', '000000010000000000000001', '00000001000000000000000A'),
                                              (1, 2, '16-2', '000000010000000000000001', '000000010000000000000003'),
                                              (2, 1, '15-1', '000000010000000000000001', '000000010000000000000004')]))
    # The upgraded system starts its WAL names again: its archive is the current one even though its names are lower.
    assert newest_archive(archives)['id'] == '16-2' and newest_archive(archives)['max'] == '000000010000000000000003'
    assert newest_archive(archives, 2)['max'] == '000000010000000000000004'
    assert newest_archive(archives, 3) is None


def test_stanza_unknown_only_when_every_repository_misses_it():
    assert stanza_unknown(stanza(repos=(repo(1, 1, 'missing stanza path'), repo(2, 1, 'missing stanza path')))) is True
    assert stanza_unknown(stanza(repos=(repo(1, 1, 'missing stanza path'), 2))) is False
    assert stanza_unknown(stanza(repos=())) is False
