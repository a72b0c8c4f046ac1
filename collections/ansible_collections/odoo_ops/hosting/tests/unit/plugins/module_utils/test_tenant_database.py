# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure part of module_utils.tenant_database: SCRAM verifiers, SASLprep, quoting and the
statements a state calls for (no server; the module's tests check the same against PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils import tenant_database as td

SALT = bytes(range(16))


def full_state(name='acme', **changes):
    """What a complete tenant reads like (read_state())."""
    verifier = td.scram_verifier('pw-1', salt=SALT)
    state = {
        'role': {'oid': 1, 'rolcanlogin': True, 'rolsuper': False, 'rolcreatedb': False, 'rolcreaterole': False,
                 'rolreplication': False, 'password': verifier},
        'group_exists': True, 'member': True,
        'database': {'owner': name, 'encoding': 'UTF8', 'collate': 'C', 'ctype': 'C.UTF-8', 'public_connect': False},
        'connect_on': ['postgres'],
    }
    state.update(changes)
    return state


EMPTY = {'role': None, 'group_exists': True, 'member': False, 'database': None, 'connect_on': []}


def test_scram_verifier_format_and_match():
    verifier = td.scram_verifier('s3cret', salt=SALT, iterations=4096)
    head, keys = verifier.split('$', 1)[1].split('$')
    assert verifier.startswith('SCRAM-SHA-256$4096:') and base64.b64decode(head.split(':')[1]) == SALT
    assert [len(base64.b64decode(k)) for k in keys.split(':')] == [32, 32]
    assert td.password_matches(verifier, 's3cret', 'acme') is True
    assert td.password_matches(verifier, 's3cret!', 'acme') is False
    # A random salt each time, yet both verify.
    other = td.scram_verifier('s3cret')
    assert other != verifier and td.password_matches(other, 's3cret', 'acme')


def test_password_matches_md5_and_garbage():
    md5 = 'md5' + hashlib.md5(b'pwacme').hexdigest()
    assert td.password_matches(md5, 'pw', 'acme') is True
    assert td.password_matches(md5, 'pw', 'beta') is False
    for stored in (None, '', 'plain', 'SCRAM-SHA-256$x', 'SCRAM-SHA-256$4096:!!$a:b'):
        assert td.password_matches(stored, 'pw', 'acme') is False


def test_saslprep_as_postgresql():
    assert td.saslprep('plain-ASCII pw') == b'plain-ASCII pw'
    assert td.saslprep('a\u00a0b') == b'a b'  # non-ASCII space -> SPACE
    assert td.saslprep('a\u00adb') == b'ab'  # soft hyphen is mapped to nothing
    assert td.saslprep('\u2168') == b'IX'  # NFKC
    assert td.saslprep('a\x07b') == b'a\x07b'  # prohibited: the raw bytes, as PostgreSQL does
    assert td.saslprep('\u0627a') == '\u0627a'.encode('utf-8')  # bidi rule broken: raw


def test_quoting():
    assert td.quote_ident('we"ird') == '"we""ird"'
    assert td.quote_literal("it's") == "'it''s'"
    with pytest.raises(td.TenantDatabaseError, match="name: '' is not a PostgreSQL name"):
        td.check_name('', 'name')
    with pytest.raises(td.TenantDatabaseError, match='group'):
        td.check_name('x' * 64, 'group')


def test_plan_for_a_new_tenant_masks_the_password():
    steps = td.plan_present(EMPTY, 'acme', 'pw-1', group='tenants', verifier='SCRAM-SHA-256$V')
    assert [shown for _sql, shown in steps] == [
        "CREATE ROLE \"acme\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '********'",
        'GRANT "tenants" TO "acme"',
        "CREATE DATABASE \"acme\" OWNER \"acme\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C'",
        'REVOKE CONNECT ON DATABASE "acme" FROM PUBLIC',
        'GRANT CONNECT ON DATABASE "postgres" TO "acme"']
    assert steps[0][0].endswith("PASSWORD 'SCRAM-SHA-256$V'")
    assert all('pw-1' not in sql for sql, _shown in steps)


def test_plan_for_a_complete_tenant_is_empty():
    assert td.plan_present(full_state(), 'acme', 'pw-1', group='tenants') == []
    assert td.plan_present(full_state(), 'acme', 'pw-1', group='') == []


def test_plan_fixes_only_what_drifted():
    state = full_state(member=False, connect_on=[])
    state['role'] = dict(state['role'], rolcreatedb=True)
    state['database'] = dict(state['database'], owner='postgres', public_connect=True)
    shown = [s for _sql, s in td.plan_present(state, 'acme', 'pw-1', group='tenants')]
    assert shown == ['ALTER ROLE "acme" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', 'GRANT "tenants" TO "acme"',
                     'ALTER DATABASE "acme" OWNER TO "acme"', 'REVOKE CONNECT ON DATABASE "acme" FROM PUBLIC',
                     'GRANT CONNECT ON DATABASE "postgres" TO "acme"']
    shown = [s for _sql, s in td.plan_present(full_state(), 'acme', 'pw-2', group='tenants')]
    assert shown == ["ALTER ROLE \"acme\" PASSWORD '********'"]


def test_plan_refuses_what_a_statement_cannot_fix():
    with pytest.raises(td.TenantDatabaseError, match="group role 'tenants' does not exist"):
        td.plan_present(full_state(group_exists=False), 'acme', 'pw-1', group='tenants')
    state = full_state()
    state['database'] = dict(state['database'], encoding='LATIN1')
    with pytest.raises(td.TenantDatabaseError, match=r"database 'acme' exists with encoding LATIN1 \(wanted UTF8\)"):
        td.plan_present(state, 'acme', 'pw-1')
    # lc_ctype '' accepts the database's; a given one must match.
    assert td.plan_present(full_state(), 'acme', 'pw-1', group='tenants', lc_ctype='C.UTF-8') == []
    with pytest.raises(td.TenantDatabaseError, match=r'LC_CTYPE C.UTF-8 \(wanted C\)'):
        td.plan_present(full_state(), 'acme', 'pw-1', lc_ctype='C')


def test_plan_absent():
    shown = [s for _sql, s in td.plan_absent(full_state(), 'acme')]
    assert shown == ['DROP DATABASE "acme" WITH (FORCE)', 'REVOKE CONNECT ON DATABASE "postgres" FROM "acme"', 'DROP ROLE "acme"']
    assert td.plan_absent(EMPTY, 'acme') == []
    assert [s for _sql, s in td.plan_absent(full_state(database=None, connect_on=[]), 'acme')] == ['DROP ROLE "acme"']


def test_predicted_and_diff_never_hold_the_password():
    steps = td.plan_present(EMPTY, 'acme', 'pw-1', group='tenants')
    after = td.predicted(EMPTY, 'acme', steps, group='tenants')
    assert after['role']['member_of_group'] is True and after['database']['owner'] == 'acme' and after['connect_on'] == ['postgres']
    diff = td.state_diff(td.summary(EMPTY, 'tenants'), after, 'acme')
    assert diff['before'].startswith('role: absent\ndatabase: absent\n') and '  public_connect: False' in diff['after']
    assert 'pw-1' not in repr(diff) and 'SCRAM' not in repr(diff)
    assert td.predicted(full_state(), 'acme', [], group='tenants') == td.summary(full_state(), 'tenants')
    assert td.predicted(full_state(), 'acme', td.plan_absent(full_state(), 'acme'), state_wanted='absent') == {
        'role': None, 'database': None, 'connect_on': []}
