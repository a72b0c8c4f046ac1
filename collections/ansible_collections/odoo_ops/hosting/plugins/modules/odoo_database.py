#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: odoo_database
short_description: Initialise an Odoo tenant database, install or update its modules, neutralize it
version_added: 0.1.0
description:
  - Brings an Odoo database to a wanted state by running the C(odoo) program of the tenant's image,
    only for what is missing.
  - Reads the database first, over SQL with the O(login_host) connection options (psycopg 3 or psycopg2,
    whichever the managed host has), from C(ir_module_module) and C(ir_config_parameter).
  - Then runs, in this order and only when needed, C(odoo -c CONF -d DB -i base --stop-after-init --no-http)
    (base not installed), C(-i mod1,mod2) for the modules of O(modules_installed) that are not installed,
    C(-u mod1,mod2) for O(modules_updated) (always a change when given), and C(odoo neutralize -d DB) when
    O(neutralized=true) and the parameter C(database.is_neutralized) is not set.
  - Commands run inside the tenant's running container (docker exec as O(user)), or, when that container
    does not run and O(run_one_off=true), in a new container from O(image) with O(volumes), O(network),
    O(extra_hosts) and O(environment), removed afterwards. The C(odoo) program is called directly, not
    through the image's entrypoint, and no secret is put on its command line (Odoo reads the database
    credentials from O(config_path)).
  - Uses the Docker SDK for Python (docker-py 5.0 or later, Debian's C(python3-docker)) on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  database:
    description:
      - Name of the tenant database.
    type: str
    required: true
  container:
    description:
      - Name of the tenant's container to run the commands in (typically its C(web) service container).
      - Mutually exclusive with O(project). One of O(container) and O(project) is required.
    type: str
  project:
    description:
      - Compose project of the tenant; the container is found by its compose labels with O(service).
    type: str
  service:
    description:
      - Compose service used with O(project).
    type: str
    default: web
  initialized:
    description:
      - Make sure the database is initialised (module C(base) installed), with C(-i base).
    type: bool
    default: true
  modules_installed:
    description:
      - Modules that must be installed. Only the missing ones are installed, all in one C(-i) run.
    type: list
    elements: str
    default: []
  modules_updated:
    description:
      - Modules to update with C(-u). Given modules are always updated and the task reports a change;
        leave the list empty on routine runs.
    type: list
    elements: str
    default: []
  neutralized:
    description:
      - Neutralize the database (C(odoo neutralize)) unless C(database.is_neutralized) is already set.
      - For staging and development copies of production data. V(false) never un-neutralizes.
    type: bool
    default: false
  odoo_version:
    description:
      - Odoo series of the image, for example V(17.0). Used to ask for no demo data the way that series
        understands (C(--without-demo=all) up to 18, nothing from 19 on).
    type: str
  demo:
    description:
      - Load demo data when initialising and installing.
    type: bool
    default: false
  config_path:
    description:
      - Odoo configuration file inside the container.
    type: path
    default: /etc/odoo/odoo.conf
  odoo_bin:
    description:
      - The Odoo program inside the container.
    type: str
    default: odoo
  user:
    description:
      - User the commands run as inside the container.
    type: str
    default: odoo
  run_one_off:
    description:
      - When the container is not running (or does not exist yet), run the commands in a one-off container
        from O(image). With V(false) the module fails in that case.
    type: bool
    default: false
  image:
    description:
      - Image of the one-off container. Required when O(run_one_off=true).
    type: str
  volumes:
    description:
      - Volumes of the one-off container, as C(SOURCE:TARGET[:MODE]) (the tenant's configuration file and data directory).
    type: list
    elements: str
    default: []
  network:
    description:
      - Docker network of the one-off container. Default is the engine's default bridge.
    type: str
  extra_hosts:
    description:
      - Host names to add to the one-off container's C(/etc/hosts), name to address (V(host-gateway) works).
    type: dict
    default: {}
  environment:
    description:
      - Environment of the one-off container. Anyone who can inspect containers sees it, so no secrets here.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds one command may run (installing many modules can take minutes).
    type: int
    default: 1800
  docker_host:
    description:
      - Docker engine API address.
    type: str
    default: unix:///var/run/docker.sock
  login_host:
    description:
      - Database server address the module reads the state from (as seen from the managed host). Empty uses
        the local Unix socket.
    type: str
    default: ''
  login_port:
    description:
      - Database server port.
    type: int
    default: 5432
  login_user:
    description:
      - Role to read the state with, typically the tenant's own role.
    type: str
    required: true
  login_password:
    description:
      - Password of O(login_user).
    type: str
  connect_timeout:
    description:
      - Seconds to wait for the database connection.
    type: int
    default: 10
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the state and reports the commands it would run (RV(commands)) without running them.
  diff_mode:
    support: full
    details: Installed modules and the initialised/neutralized flags, before and after.
  platform:
    platforms: posix
requirements:
  - docker (Docker SDK for Python) >= 5.0
  - psycopg >= 3.1 or psycopg2 >= 2.8
notes:
  - >-
    A failed step fails the task with the last meaningful line of Odoo's output (the final line of a
    traceback, such as C(odoo.exceptions.UserError: ...)), the command and its exit code; later steps do not run.
  - After installing, the module reads the state again and fails when a requested module is still not
    installed (Odoo only warns about modules it cannot find in its addons path).
seealso:
  - module: odoo_ops.hosting.odoo_health
"""

EXAMPLES = r"""
- name: Initialise the acme database and install its modules (first deploy, no container yet)
  odoo_ops.hosting.odoo_database:
    database: acme
    project: acme
    modules_installed: [sale_management, project]
    odoo_version: "17.0"
    run_one_off: true
    image: odoo:17.0
    volumes:
      - /srv/odoo/acme/odoo.conf:/etc/odoo/odoo.conf:ro
      - /srv/odoo/acme/data:/var/lib/odoo
    extra_hosts:
      pg-router: host-gateway
    login_host: 127.0.0.1
    login_port: 5000
    login_user: acme
    login_password: "{{ vault_tenants.acme.db_password }}"

- name: Update two modules in the running web container
  odoo_ops.hosting.odoo_database:
    database: acme
    container: acme-web-1
    modules_updated: [sale, project]
    login_host: 127.0.0.1
    login_port: 5000
    login_user: acme
    login_password: "{{ vault_tenants.acme.db_password }}"

- name: Neutralize a staging copy
  odoo_ops.hosting.odoo_database:
    database: acme_staging
    project: acme_staging
    neutralized: true
    login_user: acme_staging
    login_password: "{{ vault_tenants.acme_staging.db_password }}"
"""

RETURN = r"""
commands:
  description: The commands run (or, in check mode, that would run), one string each.
  returned: always
  type: list
  elements: str
  sample: ["odoo -c /etc/odoo/odoo.conf -d acme -i base --without-demo=all --stop-after-init --no-http"]
runner:
  description: Where the commands ran, V(exec) (running container), V(one_off) or V(none).
  returned: always
  type: str
  sample: exec
modules_before:
  description: Installed modules before the task.
  returned: always
  type: list
  elements: str
  sample: [base, web]
modules_after:
  description: Installed modules after the task (in check mode, as predicted).
  returned: always
  type: list
  elements: str
  sample: [base, project, sale, web]
initialized:
  description: Whether module base is installed after the task (in check mode, as predicted).
  returned: always
  type: bool
neutralized:
  description: Whether the database is neutralized after the task (in check mode, as predicted).
  returned: always
  type: bool
rc:
  description: Exit code of the failed command.
  returned: failure of a step
  type: int
  sample: 255
cmd:
  description: The failed command.
  returned: failure of a step
  type: str
reason:
  description: The last meaningful line of the failed command's output.
  returned: failure of a step
  type: str
  sample: "odoo.exceptions.UserError: The module could not be installed"
output_tail:
  description: The last lines of the failed command's output.
  returned: failure of a step
  type: list
  elements: str
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.odoo import (  # noqa: E402
    EMPTY_STATE,
    DockerRunner,
    OdooOpsError,
    build_command,
    check_module_names,
    connect,
    failure_summary,
    import_driver,
    missing_database,
    plan_steps,
    predicted_state,
    read_state,
    state_diff,
)

try:
    import docker  # noqa: F401  pylint: disable=unused-import
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()


def argument_spec():
    return dict(
        database=dict(type='str', required=True),
        container=dict(type='str'),
        project=dict(type='str'),
        service=dict(type='str', default='web'),
        initialized=dict(type='bool', default=True),
        modules_installed=dict(type='list', elements='str', default=[]),
        modules_updated=dict(type='list', elements='str', default=[]),
        neutralized=dict(type='bool', default=False),
        odoo_version=dict(type='str'),
        demo=dict(type='bool', default=False),
        config_path=dict(type='path', default='/etc/odoo/odoo.conf'),
        odoo_bin=dict(type='str', default='odoo'),
        user=dict(type='str', default='odoo'),
        run_one_off=dict(type='bool', default=False),
        image=dict(type='str'),
        volumes=dict(type='list', elements='str', default=[]),
        network=dict(type='str'),
        extra_hosts=dict(type='dict', default={}),
        environment=dict(type='dict', default={}),
        timeout=dict(type='int', default=1800),
        docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
        login_host=dict(type='str', default=''),
        login_port=dict(type='int', default=5432),
        login_user=dict(type='str', required=True),
        login_password=dict(type='str', no_log=True),
        connect_timeout=dict(type='int', default=10),
    )


def read_database(module, params):
    """State of the database, or fail_json with what could not be read."""
    try:
        driver = import_driver()
    except ImportError:
        module.fail_json(msg=missing_required_lib('psycopg (3) or psycopg2'))
    conn_params = {
        'host': params['login_host'], 'port': params['login_port'], 'user': params['login_user'],
        'password': params['login_password'], 'dbname': params['database'], 'connect_timeout': params['connect_timeout'],
    }
    where = '%s@%s:%s/%s' % (params['login_user'], params['login_host'] or '(socket)', params['login_port'], params['database'])
    try:
        conn = connect(conn_params, driver)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if missing_database(exc):
            return dict(EMPTY_STATE)
        module.fail_json(msg='odoo_database: database %s: cannot connect as %s: %s' % (params['database'], where, str(exc).strip()))
    try:
        return read_state(conn)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='odoo_database: database %s: cannot read the module state as %s: %s' % (params['database'], where, str(exc).strip()))
    finally:
        conn.close()


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('container', 'project')],
        required_one_of=[('container', 'project')],
        required_if=[('run_one_off', True, ('image',))],
        supports_check_mode=True,
    )
    p = module.params
    if p['timeout'] < 1:
        module.fail_json(msg='odoo_database: timeout must be >= 1')
    try:
        installs = check_module_names(p['modules_installed'], 'modules_installed')
        updates = check_module_names(p['modules_updated'], 'modules_updated')
    except OdooOpsError as exc:
        module.fail_json(msg='odoo_database: %s' % exc)

    before = read_database(module, p)
    try:
        steps = plan_steps(before, p['initialized'], installs, updates, p['neutralized'])
    except OdooOpsError as exc:
        module.fail_json(msg='odoo_database: database %s: %s' % (p['database'], exc))
    argvs = [build_command(action, p['database'], mods, p['config_path'], p['odoo_bin'], p['odoo_version'], p['demo'])
             for action, mods in steps]
    commands = [' '.join(a) for a in argvs]
    expected = predicted_state(before, steps)
    result = dict(changed=bool(steps), commands=commands, runner='none', modules_before=list(before['installed']),
                  modules_after=expected['installed'], initialized=expected['initialized'], neutralized=expected['neutralized'])
    if module._diff:
        result['diff'] = state_diff(before, expected)
    if not steps or module.check_mode:
        module.exit_json(**result)

    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib('docker (Docker SDK for Python)'), exception=DOCKER_IMPORT_ERROR)
    target = p['container'] or 'project %s service %s' % (p['project'], p['service'])
    try:
        runner = DockerRunner(base_url=p['docker_host'], timeout=p['timeout'] + 30)
        container = runner.find_container(p['container'], p['project'], p['service'])
        running = runner.is_running(container)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='odoo_database: database %s: cannot reach the Docker engine at %s: %s' % (p['database'], p['docker_host'], exc),
                         exception=traceback.format_exc())
    if not running and not p['run_one_off']:
        module.fail_json(msg='odoo_database: database %s: container of %s is %s and run_one_off is false'
                         % (p['database'], target, 'not running' if container is not None else 'absent'), **result)
    result['runner'] = 'exec' if running else 'one_off'

    for argv, command in zip(argvs, commands, strict=True):
        try:
            if running:
                code, output = runner.exec_in(container, argv, p['user'])
            else:
                code, output = runner.run_one_off(p['image'], argv, p['user'], p['volumes'], p['network'], p['extra_hosts'],
                                                  p['environment'], p['timeout'])
        except OdooOpsError as exc:
            module.fail_json(msg='odoo_database: database %s: %s' % (p['database'], exc), cmd=command, **result)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            module.fail_json(msg='odoo_database: database %s: running %r via %s failed: %s' % (p['database'], command, result['runner'], exc),
                             cmd=command, exception=traceback.format_exc(), **result)
        if code != 0:
            reason, tail = failure_summary(output)
            module.fail_json(msg='odoo_database: database %s: %r exited with %s: %s' % (p['database'], command, code, reason),
                             rc=code, cmd=command, reason=reason, output_tail=tail, **result)

    after = read_database(module, p)
    missing = [m for m in dict.fromkeys(['base'] * bool(p['initialized']) + installs) if m not in after['installed']]
    result.update(modules_after=list(after['installed']), initialized=after['initialized'], neutralized=after['neutralized'])
    if module._diff:
        result['diff'] = state_diff(before, after)
    if missing:
        module.fail_json(msg='odoo_database: database %s: modules %s are still not installed after %s (not found in the addons path?)'
                         % (p['database'], ', '.join(missing), '; '.join(commands)), **result)
    if p['neutralized'] and not after['neutralized']:
        module.fail_json(msg='odoo_database: database %s: database.is_neutralized is still not set after odoo neutralize' % p['database'], **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
