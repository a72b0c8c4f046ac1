#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pgbackrest_info
short_description: Read the backups and WAL archive of a pgBackRest stanza and judge whether they are fresh
version_added: 1.0.0
description:
  - Runs C(pgbackrest --stanza=<stanza> --output=json info) on the managed host and returns the stanza's status, each
    repository's status, every backup (type, start and stop as ISO 8601 and Unix time, database, backup and repository sizes,
    WAL range), the last full, differential and incremental backup, the age of the newest backup and the WAL archive range.
  - With O(archive_time=true) (the default) it also lists the newest archived WAL segment of each repository
    (C(pgbackrest repo-ls)) to learn when it was stored, which gives RV(archive_lag_seconds).
  - With O(max_backup_age) and O(max_archive_lag) every repository's newest backup and newest archived WAL segment must be
    younger than that; RV(healthy) and RV(problems) tell the result. Repositories in error, without a backup, and backups
    with page checksum errors are problems too.
  - Console and file logging are switched off for these runs, so the module leaves no log file behind. The module only reads.
    It never reports C(changed), and it runs in check mode too.
  - pgBackRest must be able to read its configuration and the repositories, so run the module as the user that runs the
    backups, normally C(postgres) (C(become=true) and C(become_user=postgres) on the task). Repository secrets
    (C(repo1-cipher-pass), S3 keys) come from the configuration file or C(PGBACKREST_*) variables set with the task's
    C(environment) keyword.
author:
  - odoo_ops maintainers (!UNKNOWN)
requirements:
  - pgBackRest 2.38 or later on the managed host (C(repo-ls) with C(--filter)); tested with 2.45 (Debian 12).
options:
  stanza:
    description:
      - Name of the stanza (C(--stanza)), usually the Patroni cluster's scope.
    type: str
    required: true
  config:
    description:
      - pgBackRest configuration file (C(--config)). pgBackRest's default (C(/etc/pgbackrest/pgbackrest.conf) and
        C(/etc/pgbackrest/conf.d)) when unset.
    type: path
  repo:
    description:
      - Only this repository (C(--repo)), by its number in the configuration (C(repo1-...) is V(1)). Every configured
        repository when unset.
    type: int
  executable:
    description:
      - The pgbackrest binary, a name looked up in E(PATH) (and C(/usr/bin), C(/usr/local/bin)) or a path.
    type: str
    default: pgbackrest
  timeout:
    description:
      - Seconds each pgbackrest run may take before the module gives up. An unreachable S3 repository makes pgBackRest retry
        until its own C(io-timeout) (60 s by default), several times.
    type: int
    default: 120
  archive_time:
    description:
      - List the newest archived WAL segment of each repository (one C(pgbackrest repo-ls) per repository) to return when it
        was stored (RV(repos[].archive_last_time), RV(archive_lag_seconds)).
      - Needed by O(max_archive_lag).
    type: bool
    default: true
  max_backup_age:
    description:
      - Seconds since the newest backup of each repository finished above which RV(healthy) is false. Not checked when unset.
    type: int
  max_archive_lag:
    description:
      - Seconds since the newest WAL segment of each repository was archived above which RV(healthy) is false.
        Not checked when unset.
      - PostgreSQL archives a segment when it is full or after C(archive_timeout); a database without any write archives
        nothing, so leave room for that (or set C(archive_timeout)).
    type: int
  fail_on_unhealthy:
    description:
      - Fail when RV(healthy) is false. With V(false) (the default) the module only reports.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module is read-only; it runs C(pgbackrest info) in check mode as well.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The module fails when no repository knows the stanza (every repository reports C(missing stanza path)); the stanza name
    or the configuration is wrong, or C(stanza-create) has not run.
  - pgBackRest reports the lock of a running backup in RV(status.backup_running); it does not change RV(healthy).
seealso:
  - name: pgBackRest command reference (info)
    description: What pgBackRest reports for a stanza.
    link: https://pgbackrest.org/command.html#command-info
"""

EXAMPLES = r"""
- name: Read the backups of the cluster's stanza
  odoo_ops.hosting.pgbackrest_info:
    stanza: odoo
  become: true
  become_user: postgres
  register: backups

- name: Show the last full backup
  ansible.builtin.debug:
    msg: "{{ backups.last_full.label }} finished {{ backups.last_full.stop_time }}"

- name: Fail unless every repository has a backup younger than 26 h and WAL archived in the last 15 min
  odoo_ops.hosting.pgbackrest_info:
    stanza: odoo
    config: /etc/pgbackrest/pgbackrest.conf
    max_backup_age: 93600
    max_archive_lag: 900
    fail_on_unhealthy: true
  become: true
  become_user: postgres

- name: Only the S3 repository, its key given in the environment
  odoo_ops.hosting.pgbackrest_info:
    stanza: odoo
    repo: 2
  become: true
  become_user: postgres
  environment:
    PGBACKREST_REPO2_S3_KEY_SECRET: "{{ vault_pgbackrest_s3_secret }}"
  no_log: true
"""

RETURN = r"""
stanza:
  description: The stanza.
  returned: always
  type: str
  sample: odoo
status:
  description: The stanza's status as pgBackRest reports it.
  returned: always
  type: dict
  contains:
    code:
      description: V(0) ok, V(1) missing stanza path, V(2) no valid backups, V(3) missing stanza data, V(4) different across repos,
        V(5) database mismatch across repos, V(99) other.
      type: int
    message:
      description: pgBackRest's message for the code.
      type: str
    backup_running:
      description: Whether a backup or expire holds the stanza's lock now.
      type: bool
  sample: {code: 0, message: ok, backup_running: false}
cipher:
  description: Cipher of the repositories (V(none), V(aes-256-cbc), or V(mixed) when they differ).
  returned: always
  type: str
  sample: aes-256-cbc
repos:
  description: Each repository reported (all configured, or the one of O(repo)).
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: Number of the repository (V(1) for C(repo1-...)).
      type: int
    cipher:
      description: Cipher of the repository.
      type: str
    status:
      description: C(code) (V(0) ok, V(1) missing stanza path, V(2) no valid backups, V(3) missing stanza data, V(99) other) and
        C(message), which for V(99) holds pgBackRest's error (permission denied, wrong cipher pass, S3 error...).
      type: dict
    backup_count:
      description: Number of backups in the repository.
      type: int
    newest_backup:
      description: Label of the newest backup in the repository, V(null) when there is none.
      type: str
    backup_age_seconds:
      description: Seconds since that backup finished.
      type: int
    archive_min:
      description: Oldest WAL segment archived in the repository.
      type: str
    archive_max:
      description: Newest WAL segment archived in the repository for the current database (the highest C(db_id)).
      type: str
    archive_last_epoch:
      description: Unix time at which C(archive_max) was stored, V(null) without O(archive_time) or when unknown.
      type: int
    archive_last_time:
      description: The same as ISO 8601 (UTC).
      type: str
    archive_lag_seconds:
      description: Seconds since C(archive_max) was stored.
      type: int
  sample:
    - {key: 1, cipher: aes-256-cbc, status: {code: 0, message: ok}, backup_count: 2, newest_backup: 20260102-010000F_20260102-120000I,
       backup_age_seconds: 3600, archive_min: "000000010000000000000002", archive_max: "000000010000000000000007",
       archive_last_epoch: 1767358800, archive_last_time: "2026-01-02T13:00:00+00:00", archive_lag_seconds: 12}
backups:
  description: Every backup of the repositories reported, oldest first (by stop time).
  returned: always
  type: list
  elements: dict
  contains:
    label:
      description: Backup label (C(20260102-010000F), C(20260102-010000F_20260102-120000I)).
      type: str
    type:
      description: V(full), V(diff) or V(incr).
      type: str
    repo:
      description: Repository holding the backup.
      type: int
    db_id:
      description: pgBackRest's id of the database (system) the backup belongs to; it changes with a major upgrade.
      type: int
    prior:
      description: Label of the backup this one is based on, V(null) for a full backup.
      type: str
    reference:
      description: Labels of the backups whose files this one uses.
      type: list
      elements: str
    error:
      description: Whether pgBackRest found page checksum errors while backing up.
      type: bool
    start_epoch:
      description: Start, Unix time.
      type: int
    start_time:
      description: Start, ISO 8601 (UTC).
      type: str
    stop_epoch:
      description: End, Unix time.
      type: int
    stop_time:
      description: End, ISO 8601 (UTC).
      type: str
    duration_seconds:
      description: Stop minus start.
      type: int
    database_size:
      description: Size of the database cluster in bytes (what a restore writes).
      type: int
    backup_size:
      description: Bytes of the database this backup copied (all of it for a full backup, the changes for diff and incr).
      type: int
    repo_size:
      description: Bytes the whole backup (with the files it references) takes in the repository, compressed and encrypted.
      type: int
    repo_backup_size:
      description: Bytes this backup added to the repository.
      type: int
    wal_start:
      description: First WAL segment the backup needs.
      type: str
    wal_stop:
      description: Last WAL segment the backup needs to be consistent.
      type: str
    lsn_start:
      description: LSN at the start of the backup.
      type: str
    lsn_stop:
      description: LSN at the end of the backup.
      type: str
    pgbackrest_version:
      description: pgBackRest version that made the backup.
      type: str
  sample:
    - {label: 20260102-010000F, type: full, repo: 1, db_id: 1, prior: null, reference: [], error: false, start_epoch: 1767315600,
       start_time: "2026-01-02T01:00:00+00:00", stop_epoch: 1767315660, stop_time: "2026-01-02T01:01:00+00:00", duration_seconds: 60,
       database_size: 23066386, backup_size: 23066386, repo_size: 3076672, repo_backup_size: 3076672,
       wal_start: "000000010000000000000002", wal_stop: "000000010000000000000003", lsn_start: 0/2000028, lsn_stop: 0/3000050,
       pgbackrest_version: "2.45"}
backup_count:
  description: Number of backups in RV(backups).
  returned: always
  type: int
  sample: 3
last_backup:
  description: The newest backup of any type (C(label), C(type), C(repo), C(stop_time), C(stop_epoch), C(age_seconds),
    C(database_size), C(backup_size), C(repo_size)); V(null) when there is none.
  returned: always
  type: dict
  sample: {label: 20260102-010000F_20260102-120000I, type: incr, repo: 1, stop_time: "2026-01-02T12:00:30+00:00",
           stop_epoch: 1767355230, age_seconds: 3600, database_size: 23435027, backup_size: 1777930, repo_size: 3119408}
last_full:
  description: The newest full backup, in the form of RV(last_backup); V(null) when there is none.
  returned: always
  type: dict
  sample: {label: 20260102-010000F, type: full, repo: 1, stop_time: "2026-01-02T01:01:00+00:00", stop_epoch: 1767315660,
           age_seconds: 43200, database_size: 23066386, backup_size: 23066386, repo_size: 3076672}
last_diff:
  description: The newest differential backup, in the form of RV(last_backup); V(null) when there is none.
  returned: always
  type: dict
  sample: null
last_incr:
  description: The newest incremental backup, in the form of RV(last_backup); V(null) when there is none.
  returned: always
  type: dict
  sample: {label: 20260102-010000F_20260102-120000I, type: incr, repo: 1, stop_time: "2026-01-02T12:00:30+00:00",
           stop_epoch: 1767355230, age_seconds: 3600, database_size: 23435027, backup_size: 1777930, repo_size: 3119408}
backup_age_seconds:
  description: Seconds since the newest backup (of any repository) finished; V(null) when there is none.
  returned: always
  type: int
  sample: 3600
archives:
  description: WAL archive ranges as pgBackRest reports them, per repository and archive id (C(<major>-<db id>)).
  returned: always
  type: list
  elements: dict
  contains:
    repo:
      description: Repository.
      type: int
    db_id:
      description: Database id.
      type: int
    id:
      description: Archive id, for example V(15-1).
      type: str
    min:
      description: Oldest WAL segment.
      type: str
    max:
      description: Newest WAL segment.
      type: str
  sample: [{repo: 1, db_id: 1, id: 15-1, min: "000000010000000000000001", max: "000000010000000000000007"}]
archive_min:
  description: Oldest WAL segment archived in any repository reported; V(null) when none is.
  returned: always
  type: str
  sample: "000000010000000000000001"
archive_max:
  description: Newest WAL segment archived in any repository reported for the current database (the highest C(db_id), which a
    major upgrade adds); V(null) when none is.
  returned: always
  type: str
  sample: "000000010000000000000007"
archive_last_epoch:
  description: Unix time at which the most recently stored of the repositories' newest WAL segments was stored; V(null) without
    O(archive_time) or when unknown.
  returned: always
  type: int
  sample: 1767358800
archive_last_time:
  description: The same as ISO 8601 (UTC).
  returned: always
  type: str
  sample: "2026-01-02T13:00:00+00:00"
archive_lag_seconds:
  description: Seconds since then.
  returned: always
  type: int
  sample: 12
db:
  description: The databases (systems) the repositories hold, with pgBackRest's C(id), C(repo), PostgreSQL C(version) and C(system_id).
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, repo: 1, version: "15", system_id: 7710921590727031466}]
healthy:
  description: Stanza and every repository ok, every repository has a backup, no backup with checksum errors, and the thresholds
    O(max_backup_age) and O(max_archive_lag) (when set) are kept by every repository.
  returned: always
  type: bool
  sample: true
problems:
  description: Sentences saying why RV(healthy) is false.
  returned: always
  type: list
  elements: str
  sample: ["repo2: newest backup 20260102-010000F finished 93700s ago (2026-01-02T01:01:00+00:00), more than max_backup_age 93600s"]
command:
  description: The info command that ran.
  returned: always
  type: str
  sample: pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=odoo --output=json info
kind:
  description: On failure, what went wrong, V(missing_binary), V(permission), V(config), V(timeout), V(parse), V(unknown_stanza)
    or V(command).
  returned: failed
  type: str
  sample: unknown_stanza
"""

import time  # noqa: E402
import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.pgbackrest import (  # noqa: E402
    KIND_UNKNOWN_STANZA,
    PgBackRest,
    PgBackRestError,
    newest_archive,
    parse_archives,
    stanza_unknown,
    summarize,
)

MODULE = 'pgbackrest_info'


def argument_spec():
    return dict(
        stanza=dict(type='str', required=True),
        config=dict(type='path'),
        repo=dict(type='int'),
        executable=dict(type='str', default='pgbackrest'),
        timeout=dict(type='int', default=120),
        archive_time=dict(type='bool', default=True),
        max_backup_age=dict(type='int'),
        max_archive_lag=dict(type='int'),
        fail_on_unhealthy=dict(type='bool', default=False),
    )


def validate(params):
    """The first thing wrong with the options, or None."""
    if not params['stanza'].strip():
        return 'stanza must not be empty'
    if params['repo'] is not None and not 1 <= params['repo'] <= 256:
        return 'repo must be between 1 and 256, got %s' % params['repo']
    if params['timeout'] <= 0:
        return 'timeout must be more than 0, got %s' % params['timeout']
    for name in ('max_backup_age', 'max_archive_lag'):
        if params[name] is not None and params[name] < 0:
            return '%s must be 0 or more seconds, got %s' % (name, params[name])
    if params['max_archive_lag'] is not None and not params['archive_time']:
        return 'max_archive_lag needs archive_time=true (the time of the newest archived WAL)'
    return None


def archive_times(runner, raw, warnings):
    """{repo key: Unix time of its newest archived WAL segment or None}."""
    archives = parse_archives(raw)
    times = {}
    for repo in raw.get('repo') or []:
        key = repo.get('key')
        newest = newest_archive(archives, key)
        if newest is None:
            continue
        try:
            times[key] = runner.archive_time(key, newest['id'], newest['max'])
        except PgBackRestError as exc:
            times[key] = None
            warnings.append('repo%s: could not read when WAL %s was archived: %s' % (key, newest['max'], exc.reason))
    return times


def describe(result):
    newest = result['last_backup']
    parts = ['%d backup(s) in %d repo(s)' % (result['backup_count'], len(result['repos']))]
    if newest:
        parts.append('newest %s (%s, repo%s) finished %ss ago' % (newest['label'], newest['type'], newest['repo'], newest['age_seconds']))
    if result['archive_max']:
        lag = result['archive_lag_seconds']
        parts.append('WAL archived up to %s%s' % (result['archive_max'], ' (%ss ago)' % lag if lag is not None else ''))
    return ', '.join(parts)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg='%s: %s' % (MODULE, problem))

    stanza = params['stanza']
    warnings = []
    command = raw = result = None
    try:
        runner = PgBackRest(stanza, executable=params['executable'], config=params['config'], repo=params['repo'], timeout=params['timeout'])
        command = ' '.join(a for a in runner.command('info') if not a.startswith('--log-level-'))
        raw = runner.info()
        times = archive_times(runner, raw, warnings) if params['archive_time'] else {}
        result = summarize(raw, time.time(), params['max_backup_age'], params['max_archive_lag'], times)
    except PgBackRestError as exc:
        module.fail_json(msg='%s: stanza %s: %s' % (MODULE, stanza, exc.reason), kind=exc.kind, rc=exc.rc, stderr=exc.stderr,
                         command=exc.command)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), exception=traceback.format_exc())

    for warning in warnings:
        module.warn(warning)
    result['command'] = command
    result['changed'] = False
    if stanza_unknown(raw):
        repos = ', '.join('repo%s' % r['key'] for r in result['repos'])
        module.fail_json(msg='%s: stanza %s is unknown to %s (missing stanza path): check the stanza name and the configuration '
                             '(%s), or create it with `pgbackrest --stanza=%s stanza-create`'
                             % (MODULE, stanza, repos, params['config'] or 'pgBackRest default', stanza),
                         kind=KIND_UNKNOWN_STANZA, **result)
    if result['healthy']:
        msg = '%s: stanza %s is healthy: %s' % (MODULE, stanza, describe(result))
    else:
        msg = '%s: stanza %s is unhealthy: %s; %s' % (MODULE, stanza, '; '.join(result['problems']), describe(result))
    if not result['healthy'] and params['fail_on_unhealthy']:
        module.fail_json(msg=msg, **result)
    module.exit_json(msg=msg, **result)


if __name__ == '__main__':
    main()
