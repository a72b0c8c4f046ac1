#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tenant_database
short_description: A tenant's PostgreSQL login role, group membership, database and CONNECT rules in one connection
version_added: 0.1.0
description:
  - Makes sure, in one connection to the server, that a tenant has what it needs in PostgreSQL, or that it
    has none of it any more.
  - With O(state=present), a login role O(name) (C(LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION))
    whose password is O(password), its membership in the group role O(group), a database O(name) owned by
    the role (created from C(template0) with O(encoding), O(lc_collate) and O(lc_ctype)), C(CONNECT) on that
    database revoked from C(PUBLIC) (so other tenants cannot connect to it), and C(CONNECT) on each of
    O(connect_databases) granted to the role.
  - With O(state=absent), the database is dropped (open connections closed, C(WITH (FORCE))), C(CONNECT) on
    O(connect_databases) revoked from the role and the role dropped.
  - The catalogue is read first and only the missing statements run, so a second run changes nothing.
  - The password is checked against the stored SCRAM-SHA-256 (or md5) verifier and only set when it does
    not match. It is sent as a SCRAM-SHA-256 verifier computed by the module, never in clear, so it does not
    show in the server's log. Reading the stored verifier needs a superuser as O(login_user); otherwise the
    password is set on every run (and a warning says so).
  - Uses psycopg 3 or psycopg2, whichever the managed host has.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  name:
    description:
      - Name of the tenant's login role and of its database.
    type: str
    required: true
  state:
    description:
      - V(present) creates or fixes what is missing, V(absent) drops the database and the role.
    type: str
    choices: [present, absent]
    default: present
  password:
    description:
      - Password of the login role. Required with O(state=present).
    type: str
  group:
    description:
      - Group role the login role must be a member of (it must exist). Empty for no group.
    type: str
    default: ''
  connect_databases:
    description:
      - Other databases the role gets C(CONNECT) on (explicitly, so that it keeps it when C(PUBLIC) loses it).
    type: list
    elements: str
    default: [postgres]
  encoding:
    description:
      - Encoding of a database created by the module. An existing database with another one fails the task.
    type: str
    default: UTF8
  lc_collate:
    description:
      - C(LC_COLLATE) of a database created by the module. An existing database with another one fails the task.
    type: str
    default: C
  lc_ctype:
    description:
      - C(LC_CTYPE) of a database created by the module. Empty keeps the server's default (and accepts any on an
        existing database).
    type: str
    default: ''
  login_user:
    description:
      - Role the module connects as; it needs C(CREATEROLE) and C(CREATEDB), and superuser to read stored passwords.
    type: str
    default: postgres
  login_password:
    description:
      - Password of O(login_user). Not needed for peer authentication over the Unix socket.
    type: str
  login_host:
    description:
      - Server address. Empty uses the local Unix socket (libpq's default directory).
    type: str
    default: ''
  login_port:
    description:
      - Server port.
    type: int
    default: 5432
  login_db:
    description:
      - Database the module connects to (never the tenant's own, which it may drop).
    type: str
    default: postgres
  connect_timeout:
    description:
      - Seconds to wait for the connection.
    type: int
    default: 10
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the catalogue and reports the statements it would run (RV(queries)) without running them.
  diff_mode:
    support: full
    details: >-
      Role attributes, whether a password and the group membership are set, the database's owner, settings
      and CONNECT rules, before and after. Never the password.
  platform:
    platforms: posix
requirements:
  - psycopg >= 3.1 or psycopg2 >= 2.8
notes:
  - Run it on the database server as the C(postgres) user (C(become_user=postgres)) to connect over the Unix socket with peer authentication.
  - A group role that does not exist fails the task (outside check mode, where it is reported as a change
    and a warning, the group being typically created earlier in the same run).
  - An existing database whose encoding or collation differ from the options fails the task; the module never changes them.
  - O(state=absent) fails, naming the objects, when the role still owns objects or holds privileges in other databases.
seealso:
  - module: odoo_ops.hosting.odoo_database
"""

EXAMPLES = r"""
- name: Tenant acme's role, membership, database and CONNECT rules
  odoo_ops.hosting.tenant_database:
    name: acme
    password: "{{ vault_tenants.acme.db_password }}"
    group: odoo_ops_tenants
    login_port: 5432
  become: true
  become_user: postgres

- name: Remove tenant acme's database and role
  odoo_ops.hosting.tenant_database:
    name: acme
    state: absent
  become: true
  become_user: postgres
"""

RETURN = r"""
queries:
  description: The statements run (in check mode, that would run); a password verifier shows as C(********).
  returned: always
  type: list
  elements: str
  sample: ["CREATE ROLE \"acme\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '********'",
           "GRANT \"odoo_ops_tenants\" TO \"acme\""]
role_created:
  description: Whether the role was (in check mode, would be) created.
  returned: always
  type: bool
password_changed:
  description: Whether the password was (would be) set because it did not match (or the role is new).
  returned: always
  type: bool
database_created:
  description: Whether the database was (would be) created.
  returned: always
  type: bool
tenant:
  description: What the tenant has after the task (in check mode, as predicted). Never the password.
  returned: always
  type: dict
  contains:
    role:
      description: The role's attributes, C(password_set) and C(member_of_group); null when there is no role.
      type: dict
    database:
      description: The database's C(owner), C(encoding), C(lc_collate), C(lc_ctype) and C(public_connect); null when there is none.
      type: dict
    connect_on:
      description: The databases of O(connect_databases) the role holds C(CONNECT) on explicitly.
      type: list
      elements: str
  sample:
    role: {login: true, superuser: false, createdb: false, createrole: false, replication: false, password_set: true, member_of_group: true}
    database: {owner: acme, encoding: UTF8, lc_collate: C, lc_ctype: C.UTF-8, public_connect: false}
    connect_on: [postgres]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.odoo import connect, import_driver  # noqa: E402
from ansible_collections.odoo_ops.hosting.plugins.module_utils.tenant_database import (  # noqa: E402
    TenantDatabaseError,
    apply,
    can_read_passwords,
    check_name,
    plan_absent,
    plan_present,
    predicted,
    read_state,
    state_diff,
    summary,
)


def argument_spec():
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        password=dict(type='str', no_log=True),
        group=dict(type='str', default=''),
        connect_databases=dict(type='list', elements='str', default=['postgres']),
        encoding=dict(type='str', default='UTF8'),
        lc_collate=dict(type='str', default='C'),
        lc_ctype=dict(type='str', default=''),
        login_user=dict(type='str', default='postgres'),
        login_password=dict(type='str', no_log=True),
        login_host=dict(type='str', default=''),
        login_port=dict(type='int', default=5432),
        login_db=dict(type='str', default='postgres'),
        connect_timeout=dict(type='int', default=10),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_if=[('state', 'present', ('password',))], supports_check_mode=True)
    p = module.params
    name = p['name']
    try:
        check_name(name, 'name')
        if p['group']:
            check_name(p['group'], 'group')
        for other in p['connect_databases']:
            check_name(other, 'connect_databases')
    except TenantDatabaseError as exc:
        module.fail_json(msg='tenant_database: %s' % exc)
    if p['state'] == 'present' and not p['password']:
        module.fail_json(msg='tenant_database: tenant %s: password is empty; give the role its password (from Vault)' % name)
    if name == p['login_db']:
        module.fail_json(msg='tenant_database: tenant %s: login_db must not be the tenant database (it may be dropped); use postgres' % name)

    try:
        driver = import_driver()
    except ImportError:
        module.fail_json(msg=missing_required_lib('psycopg (3) or psycopg2'))
    where = '%s@%s:%s/%s' % (p['login_user'], p['login_host'] or '(socket)', p['login_port'], p['login_db'])
    try:
        conn = connect({'host': p['login_host'], 'port': p['login_port'], 'user': p['login_user'], 'password': p['login_password'],
                        'dbname': p['login_db'], 'connect_timeout': p['connect_timeout']}, driver)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='tenant_database: tenant %s: cannot connect as %s: %s (on the database host, run it with become_user postgres '
                             'over the Unix socket)' % (name, where, str(exc).strip()))
    try:
        readable = can_read_passwords(conn)
        if p['state'] == 'present' and not readable:
            module.warn('tenant_database: %s is not a superuser: the stored password of %s cannot be compared, it is set again on every run' % (
                p['login_user'], name))
        before = read_state(conn, name, p['group'], p['connect_databases'], read_password=readable)
        group_missing = p['state'] == 'present' and bool(p['group']) and not before['group_exists']
        if group_missing and module.check_mode:
            module.warn('tenant_database: group role %s does not exist yet; reported as a change (check mode)' % p['group'])
            before = dict(before, group_exists=True)
        if p['state'] == 'present':
            steps = plan_present(before, name, p['password'], p['group'], p['connect_databases'], p['encoding'], p['lc_collate'], p['lc_ctype'])
        else:
            steps = plan_absent(before, name, p['connect_databases'])
        queries = [shown for _sql, shown in steps]
        after = predicted(before, name, steps, p['group'], p['connect_databases'], p['state'])
        result = dict(changed=bool(steps), queries=queries, tenant=after,
                      role_created=any(q.startswith('CREATE ROLE') for q in queries),
                      password_changed=any(' PASSWORD ' in q for q in queries),
                      database_created=any(q.startswith('CREATE DATABASE') for q in queries))
        if module._diff:
            result['diff'] = state_diff(summary(before, p['group']), after, name)
        if steps and not module.check_mode:
            apply(conn, steps)
            result['tenant'] = summary(read_state(conn, name, p['group'], p['connect_databases'], read_password=readable), p['group'])
    except TenantDatabaseError as exc:
        module.fail_json(msg='tenant_database: tenant %s: %s' % (name, exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='tenant_database: tenant %s: talking to the server as %s failed: %s' % (name, where, str(exc).strip()))
    finally:
        conn.close()
    if module._diff and 'diff' in result:
        result['diff']['after'] = state_diff(summary(before, p['group']), result['tenant'], name)['after']
    module.exit_json(**result)


if __name__ == '__main__':
    main()
