# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tenant_database against a real PostgreSQL server (pg_fixture: Debian's binaries, a fresh cluster
for this module's tests). The module connects as postgres over the cluster's Unix socket, like
on a database host with become_user postgres; tenants log in over TCP with SCRAM, so a password
that works, a refused connection and the ACLs are what the server itself says."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common.warnings import get_warning_messages

from ansible_collections.odoo_ops.hosting.plugins.module_utils import tenant_database as td
from ansible_collections.odoo_ops.hosting.plugins.modules import tenant_database
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules import pg_fixture
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

GROUP = 'unit_tenants'


@pytest.fixture(scope='module')
def pg():
    if pg_fixture.MISSING:
        pytest.skip(pg_fixture.MISSING)
    psycopg = pytest.importorskip('psycopg')
    server = pg_fixture.PgServer()
    server.psql('CREATE ROLE %s NOLOGIN' % GROUP)
    server.connect = lambda user, password, db: psycopg.connect(host='127.0.0.1', port=server.port, user=user, password=password,
                                                                dbname=db, connect_timeout=5)
    yield server
    server.stop()


def run(pg, check_mode=False, diff=False, **kw):
    args = {'name': 'acme', 'password': 'pw-1', 'group': GROUP, 'login_host': pg.dir, 'login_port': pg.port}
    args.update(kw)
    if diff:
        args['_ansible_diff'] = True
    return run_module(tenant_database.main, args, check_mode=check_mode)


def can_connect(pg, user, password, db):
    try:
        pg.connect(user, password, db).close()
        return True
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return str(exc)


def test_check_mode_creates_nothing(pg):
    result = run(pg, name='dry', check_mode=True, diff=True)
    assert result['failed'] is False and result['changed'] is True and result['role_created'] and result['database_created']
    assert len(result['queries']) == 5 and result['tenant']['database']['owner'] == 'dry'
    assert 'role: absent' in result['diff']['before'] and 'member_of_group: True' in result['diff']['after']
    assert pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'dry'").strip() == '0'
    assert pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'dry'").strip() == '0'


def test_create_then_nothing_to_do(pg):
    result = run(pg, diff=True)
    assert result['failed'] is False and result['changed'] is True and result['password_changed'] is True
    assert 'pw-1' not in json.dumps(result) and "PASSWORD '********'" in result['queries'][0]
    assert result['tenant'] == {
        'role': {'login': True, 'superuser': False, 'createdb': False, 'createrole': False, 'replication': False,
                 'password_set': True, 'member_of_group': True},
        'database': {'owner': 'acme', 'encoding': 'UTF8', 'lc_collate': 'C', 'lc_ctype': 'C', 'public_connect': False},
        'connect_on': ['postgres']}
    # What the server does with it: the password logs in over TCP (SCRAM) to its database and postgres.
    assert can_connect(pg, 'acme', 'pw-1', 'acme') is True and can_connect(pg, 'acme', 'pw-1', 'postgres') is True
    assert 'password authentication failed' in can_connect(pg, 'acme', 'wrong', 'acme')
    assert pg.psql("SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' FROM pg_authid WHERE rolname = 'acme'").strip() == 't'
    again = run(pg, diff=True)
    assert again['changed'] is False and again['queries'] == [] and again['password_changed'] is False
    assert again['diff']['before'] == again['diff']['after']


def test_other_tenants_cannot_connect(pg):
    run(pg, name='beta', password='pw-beta')
    assert 'permission denied for database "acme"' in can_connect(pg, 'beta', 'pw-beta', 'acme')
    assert 'permission denied for database "beta"' in can_connect(pg, 'acme', 'pw-1', 'beta')
    assert can_connect(pg, 'beta', 'pw-beta', 'beta') is True


def test_password_set_by_the_server_is_recognised_and_changed_when_different(pg):
    pg.psql("CREATE ROLE gamma LOGIN PASSWORD 'set-by-server'")
    pg.psql('GRANT %s TO gamma' % GROUP)
    pg.psql('CREATE DATABASE gamma OWNER gamma TEMPLATE template0')
    pg.psql('REVOKE CONNECT ON DATABASE gamma FROM PUBLIC')
    pg.psql('GRANT CONNECT ON DATABASE postgres TO gamma')
    assert run(pg, name='gamma', password='set-by-server')['changed'] is False
    changed = run(pg, name='gamma', password='new-pw')
    assert changed['changed'] is True and changed['queries'] == ["ALTER ROLE \"gamma\" PASSWORD '********'"]
    assert can_connect(pg, 'gamma', 'new-pw', 'gamma') is True
    assert 'password authentication failed' in can_connect(pg, 'gamma', 'set-by-server', 'gamma')
    # An md5 verifier with the right password is accepted as it is.
    pg.psql("SET password_encryption = 'md5'; ALTER ROLE gamma PASSWORD 'md5-pw'")
    assert run(pg, name='gamma', password='md5-pw')['changed'] is False


def test_drift_is_put_back(pg):
    run(pg, name='delta', password='pw-d')
    pg.psql('ALTER ROLE delta CREATEDB; REVOKE %s FROM delta; REVOKE CONNECT ON DATABASE postgres FROM delta; '
            'GRANT CONNECT ON DATABASE delta TO PUBLIC; ALTER DATABASE delta OWNER TO postgres' % GROUP)
    check = run(pg, name='delta', password='pw-d', check_mode=True)
    assert check['changed'] is True and len(check['queries']) == 5
    assert pg.psql("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'delta'").strip() == 't'
    fixed = run(pg, name='delta', password='pw-d')
    assert fixed['queries'] == check['queries']
    assert fixed['tenant']['role']['createdb'] is False and fixed['tenant']['role']['member_of_group'] is True
    assert fixed['tenant']['database'] == {'owner': 'delta', 'encoding': 'UTF8', 'lc_collate': 'C', 'lc_ctype': 'C', 'public_connect': False}
    assert run(pg, name='delta', password='pw-d')['changed'] is False


def test_failures_a_person_can_act_on(pg):
    result = run(pg, name='eps', group='no_such_group')
    assert result['failed'] is True
    assert result['msg'] == ("tenant_database: tenant eps: group role 'no_such_group' does not exist: create it first (NOLOGIN), "
                             "or set group to ''")
    assert pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'eps'").strip() == '0'
    # In check mode the group may be created earlier in the same run: a change and a warning.
    check = run(pg, name='eps', group='no_such_group', check_mode=True)
    assert check['failed'] is False and check['changed'] is True and 'GRANT "no_such_group" TO "eps"' in check['queries']
    assert any('no_such_group does not exist yet' in w for w in get_warning_messages())
    pg.psql("CREATE DATABASE latin OWNER postgres TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
    result = run(pg, name='latin')
    assert result['failed'] is True and "database 'latin' exists with encoding LATIN1 (wanted UTF8)" in result['msg']
    result = run(pg, login_port=1)
    assert result['failed'] is True and result['msg'].startswith('tenant_database: tenant acme: cannot connect as postgres@%s:1/postgres: ' % pg.dir)
    result = run(pg, password='')
    assert result['failed'] is True and 'password is empty' in result['msg']
    result = run(pg, name='postgres')
    assert result['failed'] is True and 'login_db must not be the tenant database' in result['msg']
    result = run(pg, name='x' * 64)
    assert result['failed'] is True and 'is not a PostgreSQL name' in result['msg']
    result = run_module(tenant_database.main, {'name': 'acme'})
    assert result['failed'] is True and 'password' in result['msg']


def test_absent_drops_database_and_role(pg):
    run(pg, name='zeta', password='pw-z')
    check = run(pg, name='zeta', state='absent', check_mode=True)
    assert check['changed'] is True and check['tenant'] == {'role': None, 'database': None, 'connect_on': []}
    assert pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'zeta'").strip() == '1'
    conn = pg.connect('zeta', 'pw-z', 'zeta')  # an open connection does not stop the drop
    try:
        gone = run(pg, name='zeta', state='absent', diff=True)
    finally:
        conn.close()
    assert gone['queries'] == ['DROP DATABASE "zeta" WITH (FORCE)', 'REVOKE CONNECT ON DATABASE "postgres" FROM "zeta"', 'DROP ROLE "zeta"']
    assert 'role: absent' in gone['diff']['after']
    assert pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'zeta'").strip() == '0'
    assert pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'zeta'").strip() == '0'
    assert run(pg, name='zeta', state='absent')['changed'] is False


def test_absent_names_what_still_depends_on_the_role(pg):
    run(pg, name='eta', password='pw-e')
    pg.psql('CREATE TABLE eta_owned (id int); ALTER TABLE eta_owned OWNER TO eta')
    result = run(pg, name='eta', state='absent')
    assert result['failed'] is True
    assert result['msg'].startswith('tenant_database: tenant eta: DROP ROLE "eta" failed: ') and 'eta_owned' in result['msg']


def test_non_superuser_login_sets_the_password_each_run(pg):
    assert run(pg, name='theta', password='pw-t')['changed'] is True
    pg.psql('CREATE ROLE unit_admin LOGIN CREATEROLE CREATEDB')
    again = run(pg, name='theta', password='pw-t', login_user='unit_admin')
    assert again['failed'] is False and again['changed'] is True and again['queries'] == ["ALTER ROLE \"theta\" PASSWORD '********'"]
    assert any('is not a superuser' in w for w in get_warning_messages())
    assert can_connect(pg, 'theta', 'pw-t', 'theta') is True
    assert run(pg, name='theta', password='pw-t')['changed'] is False  # as a superuser the verifier is compared
    assert td.password_matches(pg.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'theta'").strip(), 'pw-t', 'theta')
