# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's PostgreSQL objects in one connection, for the tenant_database module.

A tenant is a login role, its membership in the tenants' group role, a database owned by the
role, CONNECT on that database revoked from PUBLIC and CONNECT granted to the role on a few
other databases (``postgres``: Odoo connects there at start). community.postgresql needs five
module runs (five connections) for that; this does it in one.

Layers, so that the logic is testable without a server:

* pure: ``scram_verifier()`` / ``password_matches()`` (the SCRAM-SHA-256 verifier PostgreSQL
  stores, RFC 5802/7677 with SASLprep as PostgreSQL applies it), ``quote_ident()`` /
  ``quote_literal()``, ``plan_present()`` / ``plan_absent()`` (statements a state calls for, the
  password never in them: a verifier computed here replaces it) and ``state_diff()``;
* SQL: ``read_state()`` (catalogue reads only) and ``apply()``.

The password is compared with the stored verifier and only set again when it does not match;
it is sent as a SCRAM verifier, never in clear, so it cannot end up in the server's log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

SCRAM_ITERATIONS = 4096
ROLE_ATTRIBUTES = (('rolcanlogin', 'LOGIN'), ('rolsuper', 'SUPERUSER'), ('rolcreatedb', 'CREATEDB'),
                   ('rolcreaterole', 'CREATEROLE'), ('rolreplication', 'REPLICATION'))
# What a tenant's role is: it logs in, and nothing more.
WANTED_ATTRIBUTES = {'rolcanlogin': True, 'rolsuper': False, 'rolcreatedb': False, 'rolcreaterole': False, 'rolreplication': False}
MASK = '********'


class TenantDatabaseError(Exception):
    """An error a person can act on; str() is the message."""


# ---------------------------------------------------------------------------------------------
# Pure logic

def saslprep(password):
    """SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords: the prepared bytes, or the
    raw UTF-8 bytes when the password is not valid for SASLprep (PostgreSQL then uses it as is)."""
    raw = password.encode('utf-8')
    chars = []
    for ch in password:
        if stringprep.in_table_c12(ch):  # non-ASCII spaces map to SPACE
            chars.append(' ')
        elif not stringprep.in_table_b1(ch):  # "commonly mapped to nothing" are removed
            chars.append(ch)
    text = unicodedata.normalize('NFKC', ''.join(chars))
    if not text:
        return raw
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21_c22, stringprep.in_table_c3, stringprep.in_table_c4,
                  stringprep.in_table_c5, stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9, stringprep.in_table_a1)
    if any(check(ch) for ch in text for check in prohibited):
        return raw
    ral = [stringprep.in_table_d1(ch) for ch in text]
    if any(ral) and (any(stringprep.in_table_d2(ch) for ch in text) or not (ral[0] and ral[-1])):
        return raw
    return text.encode('utf-8')


def _keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac('sha256', saslprep(password), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    return stored_key, server_key


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def scram_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """The verifier PostgreSQL stores for password: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>."""
    salt = os.urandom(16) if salt is None else salt
    stored_key, server_key = _keys(password, salt, iterations)
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % (iterations, _b64(salt), _b64(stored_key), _b64(server_key))


def password_matches(stored, password, role):
    """Whether the stored password (pg_authid.rolpassword) is password's: SCRAM-SHA-256 or md5 verifiers."""
    if not stored:
        return False
    if stored.startswith('SCRAM-SHA-256$'):
        try:
            head, keys = stored[len('SCRAM-SHA-256$'):].split('$', 1)
            iterations, salt = head.split(':', 1)
            stored_key, server_key = keys.split(':', 1)
            want_stored, want_server = _keys(password, base64.b64decode(salt), int(iterations))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(_b64(want_stored), stored_key) and hmac.compare_digest(_b64(want_server), server_key)
    if stored.startswith('md5') and len(stored) == 35:
        # PostgreSQL's own md5 verifier format (read only, to accept an existing password; never written).
        return hmac.compare_digest('md5' + hashlib.md5((password + role).encode('utf-8')).hexdigest(), stored)  # noqa: S324
    return False


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def quote_literal(value):
    return "'%s'" % value.replace("'", "''")


def check_name(value, option):
    if not isinstance(value, str) or not value or len(value.encode('utf-8')) > 63 or '\x00' in value:
        raise TenantDatabaseError('%s: %r is not a PostgreSQL name (1 to 63 bytes, no NUL)' % (option, value))
    return value


def plan_present(state, name, password, group='', connect_databases=('postgres',), encoding='UTF8', lc_collate='C',
                 lc_ctype='', verifier=None):
    """[(statement, shown)] that bring state (read_state()) to what a tenant needs.

    ``shown`` is the statement as reported (the password verifier masked). Raises
    TenantDatabaseError for what cannot be fixed by a statement (group role missing, a database
    with another encoding or collation). ``verifier`` fixes the SCRAM verifier (tests)."""
    steps = []
    role = quote_ident(name)
    attrs = ' '.join(word if WANTED_ATTRIBUTES[col] else 'NO' + word for col, word in ROLE_ATTRIBUTES)
    if state['role'] is None or not password_matches(state['role'].get('password'), password, name):
        secret = quote_literal(verifier or scram_verifier(password))
        verb = 'CREATE' if state['role'] is None else 'ALTER'
        extra = (' ' + attrs) if state['role'] is None else ''
        steps.append(('%s ROLE %s%s PASSWORD %s' % (verb, role, extra, secret), '%s ROLE %s%s PASSWORD %s' % (verb, role, extra, quote_literal(MASK))))
    if state['role'] is not None and any(state['role'][col] != want for col, want in WANTED_ATTRIBUTES.items()):
        steps.append(('ALTER ROLE %s %s' % (role, attrs),) * 2)
    if group:
        if not state['group_exists']:
            raise TenantDatabaseError("group role %s does not exist: create it first (NOLOGIN), or set group to ''" % quote_literal(group))
        if not state['member']:
            steps.append(('GRANT %s TO %s' % (quote_ident(group), role),) * 2)
    database = state['database']
    db = quote_ident(name)
    if database is None:
        sql = 'CREATE DATABASE %s OWNER %s TEMPLATE template0 ENCODING %s LC_COLLATE %s' % (db, role, quote_literal(encoding), quote_literal(lc_collate))
        if lc_ctype:
            sql += ' LC_CTYPE %s' % quote_literal(lc_ctype)
        steps.append((sql, sql))
        public_connect = True
    else:
        settings = (('encoding', database['encoding'], encoding), ('LC_COLLATE', database['collate'], lc_collate),
                    ('LC_CTYPE', database['ctype'], lc_ctype or database['ctype']))
        wrong = [(what, have, want) for what, have, want in settings if have.upper() != want.upper()]
        if wrong:
            raise TenantDatabaseError('database %s exists with %s: a database cannot be changed that way; dump it, drop it and '
                                      'create it again with the wanted settings, or ask for what it has' % (
                                          quote_literal(name), ', '.join('%s %s (wanted %s)' % w for w in wrong)))
        if database['owner'] != name:
            steps.append(('ALTER DATABASE %s OWNER TO %s' % (db, role),) * 2)
        public_connect = database['public_connect']
    if public_connect:
        steps.append(('REVOKE CONNECT ON DATABASE %s FROM PUBLIC' % db,) * 2)
    for other in connect_databases:
        if other != name and other not in state['connect_on']:
            steps.append(('GRANT CONNECT ON DATABASE %s TO %s' % (quote_ident(other), role),) * 2)
    return steps


def plan_absent(state, name, connect_databases=('postgres',)):
    """[(statement, shown)] that remove a tenant's database and role (the database first)."""
    steps = []
    if state['database'] is not None:
        steps.append(('DROP DATABASE %s WITH (FORCE)' % quote_ident(name),) * 2)
    if state['role'] is not None:
        for other in connect_databases:
            if other != name and other in state['connect_on']:
                steps.append(('REVOKE CONNECT ON DATABASE %s FROM %s' % (quote_ident(other), quote_ident(name)),) * 2)
        steps.append(('DROP ROLE %s' % quote_ident(name),) * 2)
    return steps


def summary(state, group=''):
    """The state as returned to the user (no password, only whether one is set)."""
    role = state['role']
    database = state['database']
    return {
        'role': None if role is None else {
            'login': role['rolcanlogin'], 'superuser': role['rolsuper'], 'createdb': role['rolcreatedb'],
            'createrole': role['rolcreaterole'], 'replication': role['rolreplication'], 'password_set': bool(role.get('password')),
            'member_of_group': bool(group) and state['member']},
        'database': None if database is None else {
            'owner': database['owner'], 'encoding': database['encoding'], 'lc_collate': database['collate'],
            'lc_ctype': database['ctype'], 'public_connect': database['public_connect']},
        'connect_on': sorted(state['connect_on']),
    }


def predicted(state, name, steps, group='', connect_databases=('postgres',), state_wanted='present'):
    """The summary() after the planned steps, as far as it can be told without running them."""
    out = summary(state, group)
    if state_wanted == 'absent':
        return {'role': None, 'database': None, 'connect_on': []}
    if not steps:
        return out
    out['role'] = {'login': True, 'superuser': False, 'createdb': False, 'createrole': False, 'replication': False,
                   'password_set': True, 'member_of_group': bool(group)}
    if out['database'] is None:
        out['database'] = {'owner': name, 'encoding': None, 'lc_collate': None, 'lc_ctype': None, 'public_connect': False}
    out['database'].update({'owner': name, 'public_connect': False})
    out['connect_on'] = sorted(set(out['connect_on']) | {d for d in connect_databases if d != name})
    return out


def state_diff(before, after, name):
    """Ansible diff dict of two summary() results (YAML-ish text, no secret)."""
    def render(s):
        lines = []
        for key in ('role', 'database'):
            if s[key] is None:
                lines.append('%s: absent' % key)
            else:
                lines.append('%s:' % key)
                lines += ['  %s: %s' % (k, v) for k, v in sorted(s[key].items())]
        lines.append('connect_on: [%s]' % ', '.join(s['connect_on']))
        return '\n'.join(lines) + '\n'
    header = 'tenant %s' % name
    return {'before': render(before), 'after': render(after), 'before_header': header, 'after_header': header}


# ---------------------------------------------------------------------------------------------
# SQL

_ROLE_SQL = ('SELECT r.oid, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, %s '
             'FROM pg_roles r WHERE r.rolname = %%s')
# The stored verifier is in pg_authid, which only superusers read.
_PASSWORD_COLUMN = '(SELECT a.rolpassword FROM pg_authid a WHERE a.oid = r.oid)'  # noqa: S105 (a column, not a password)
_DB_SQL = ("SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
           "d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) x WHERE x.grantee = 0 AND x.privilege_type = 'CONNECT') "
           "FROM pg_database d WHERE d.datname = %s")
_MEMBER_SQL = ('SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid '
               'WHERE g.rolname = %s AND m.member = %s)')
_CONNECT_SQL = ("SELECT d.datname FROM pg_database d, aclexplode(d.datacl) x "
                "WHERE x.grantee = %s AND x.privilege_type = 'CONNECT' AND d.datname = ANY(%s)")


def _row_dict(keys, row):
    return {key: row[i] for i, key in enumerate(keys)}


def read_state(conn, name, group='', connect_databases=('postgres',), read_password=True):
    """What the server holds for the tenant (catalogue reads only). read_password needs a
    superuser (pg_authid); without it the stored password reads as unknown (None)."""
    cur = conn.cursor()
    try:
        cur.execute(_ROLE_SQL % (_PASSWORD_COLUMN if read_password else 'NULL'), (name,))
        row = cur.fetchone()
        role = None
        if row:
            role = _row_dict(('oid', 'rolcanlogin', 'rolsuper', 'rolcreatedb', 'rolcreaterole', 'rolreplication', 'password'), row)
        group_exists = member = False
        if group:
            cur.execute('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)', (group,))
            group_exists = bool(cur.fetchone()[0])
            if role is not None and group_exists:
                cur.execute(_MEMBER_SQL, (group, role['oid']))
                member = bool(cur.fetchone()[0])
        cur.execute(_DB_SQL, (name,))
        row = cur.fetchone()
        database = None if row is None else _row_dict(('owner', 'encoding', 'collate', 'ctype', 'public_connect'), row)
        connect_on = []
        if role is not None and connect_databases:
            cur.execute(_CONNECT_SQL, (role['oid'], list(connect_databases)))
            connect_on = sorted({r[0] for r in cur.fetchall()})
    finally:
        cur.close()
    return {'role': role, 'group_exists': group_exists, 'member': member, 'database': database, 'connect_on': connect_on}


def can_read_passwords(conn):
    cur = conn.cursor()
    try:
        cur.execute('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')
        row = cur.fetchone()
        return bool(row and row[0])
    finally:
        cur.close()


def apply(conn, steps):
    """Runs the statements in order (autocommit: CREATE/DROP DATABASE cannot run in a transaction).
    Raises TenantDatabaseError naming the statement (as shown) that failed."""
    cur = conn.cursor()
    try:
        for sql, shown in steps:
            try:
                cur.execute(sql)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                raise TenantDatabaseError('%s failed: %s' % (shown, str(exc).strip())) from None
    finally:
        cur.close()
