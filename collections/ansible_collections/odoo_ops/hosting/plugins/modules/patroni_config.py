#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: patroni_config
short_description: Enforce a Patroni cluster's dynamic configuration through its REST API
version_added: 1.0.0
description:
  - Compares the desired dynamic configuration (O(config)) with C(GET /config) and sends C(PATCH /config) with
    only the differences. Keys not given in O(config) are left alone; a key set to V(null) is removed.
  - The comparison is deep and forgiving about how PostgreSQL values are written; C("100") equals C(100),
    C("0.9") equals C(0.9) and C("on") equals V(true). Units are compared as written (C(4MB) and C(4096kB) differ).
  - Before sending, checks Patroni's timing rule C(loop_wait + 2 * retry_timeout <= ttl) and its minimums
    (C(ttl >= 20), C(loop_wait >= 1), C(retry_timeout >= 3)) on the resulting configuration, and the types of
    well-known keys (C(ttl), C(maximum_lag_on_failover)... integers, C(synchronous_mode)... booleans).
  - After a change, with O(wait=true), waits until every member has run an HA cycle that started after the change
    (so it has applied it) and returns the members that need a PostgreSQL restart in RV(pending_restart_members).
    The module never restarts anything.
  - In check mode it computes C(changed), RV(patch) and the diff without sending anything.
  - Uses only the Python standard library, so it needs nothing on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  config:
    description:
      - >-
        Desired dynamic configuration, for example
        C({ttl: 30, loop_wait: 10, retry_timeout: 10, maximum_lag_on_failover: 1048576, synchronous_mode: false,
        postgresql: {use_pg_rewind: true, parameters: {max_connections: 200, work_mem: 8MB}}}).
      - Only the keys given are managed, at every depth. V(null) removes a key.
    type: dict
    required: true
  wait:
    description:
      - After a change, wait until every member has applied it and report RV(pending_restart_members).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true). Members that did not confirm in time are listed in RV(members_not_confirmed).
      - One HA cycle takes up to C(loop_wait) seconds.
    type: int
    default: 60
extends_documentation_fragment:
  - odoo_ops.hosting.patroni_api
  - odoo_ops.hosting.http_client
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the differences and the diff without sending C(PATCH).
  diff_mode:
    support: full
    details: Shows the whole dynamic configuration before and after.
  platform:
    platforms: posix
notes:
  - O(username) and O(password) are needed for C(PATCH) when the REST API has authentication.
  - Patroni answers C(401) to C(PATCH) without valid credentials when C(restapi.authentication) is set; the module
    fails with a message saying so.
  - Parameters with context C(postmaster) (C(max_connections), C(shared_buffers)...) need a PostgreSQL restart;
    Patroni marks the members C(pending_restart). Restart them in a maintenance window, replicas first.
seealso:
  - module: odoo_ops.hosting.patroni_cluster_info
"""

EXAMPLES = r"""
- name: Enforce the cluster-wide settings from the inventory
  odoo_ops.hosting.patroni_config:
    url: http://10.0.0.11:8008
    username: patroni
    password: "{{ vault_patroni_restapi_password }}"
    config:
      ttl: 30
      loop_wait: 10
      retry_timeout: 10
      maximum_lag_on_failover: 1048576
      postgresql:
        parameters:
          max_connections: 200
          work_mem: 8MB
          old_setting: null   # removed from the DCS
  register: pg_config
  diff: true

- name: Tell which members need a restart
  ansible.builtin.debug:
    msg: "Pending restart: {{ pg_config.pending_restart_members | join(', ') }}"
  when: pg_config.pending_restart_members | length > 0
"""

RETURN = r"""
patch:
  description: The body sent (or, in check mode, that would be sent) with C(PATCH /config); empty when nothing differs.
  returned: always
  type: dict
  sample: {postgresql: {parameters: {work_mem: 8MB}}}
changed_keys:
  description: Dotted names of the keys changed or removed.
  returned: always
  type: list
  elements: str
  sample: [postgresql.parameters.work_mem]
before:
  description: The dynamic configuration read before the change.
  returned: always
  type: dict
  sample: {ttl: 30, loop_wait: 10, retry_timeout: 10, postgresql: {parameters: {work_mem: 4MB}}}
config:
  description: The dynamic configuration after the change (as Patroni stored it; in check mode, as it would be).
  returned: always
  type: dict
  sample: {ttl: 30, loop_wait: 10, retry_timeout: 10, postgresql: {parameters: {work_mem: 8MB}}}
pending_restart_members:
  description:
    - Names of the members whose PostgreSQL waits for a restart. Read from each member after the wait when the
      configuration changed, otherwise from C(GET /cluster).
  returned: always
  type: list
  elements: str
  sample: [db2, db1]
members_not_confirmed:
  description: Members that did not confirm within O(wait_timeout) that they applied the change (empty otherwise).
  returned: always
  type: list
  elements: str
  sample: []
leader:
  description: Name of the leader, V(null) when there is none.
  returned: always
  type: str
  sample: db1
url:
  description: The REST API base URL used, with an explicit port.
  returned: always
  type: str
  sample: http://10.0.0.11:8008
"""

import time  # noqa: E402
import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.http_check import HttpConfigError  # noqa: E402
from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import (  # noqa: E402
    KIND_REJECTED,
    PATRONI_API_REQUIRED_BY,
    PatroniApiError,
    apply_patch,
    check_timing,
    check_types,
    client_from_params,
    config_patch,
    flatten_keys,
    parse_cluster,
    patroni_api_argument_spec,
    wait_for_members,
)

MODULE = 'patroni_config'


def argument_spec():
    spec = patroni_api_argument_spec()
    spec.update(
        config=dict(type='dict', required=True),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=60),
    )
    return spec


def make_client(params):
    # A bad timeout is reported first (by client_from_params()), then a bad wait_timeout, then bad TLS settings.
    if params['timeout'] > 0 and params['wait_timeout'] < 0:
        raise HttpConfigError('wait_timeout must be 0 or more, got %s' % params['wait_timeout'])
    return client_from_params(params)


def enforce(module, client, desired):
    """Compare, check, patch and wait; returns the result dict."""
    before = client.get_dict('/config')
    patch = config_patch(before, desired)
    after = apply_patch(before, patch)
    problems = check_types(after) + check_timing(after)
    if problems:
        module.fail_json(msg='%s: the configuration for %s would be invalid, nothing was sent: %s'
                         % (MODULE, client.base_url, '; '.join(problems)), patch=patch, before=before, problems=problems)
    changed = bool(patch)
    waiting = []
    states = None
    if changed and not module.check_mode:
        stored = client.patch_config(patch)
        if not isinstance(stored, dict) or config_patch(stored, desired):
            raise PatroniApiError(KIND_REJECTED, 'PATCH %s/config was answered but the stored configuration still differs in %s'
                                  % (client.base_url, ', '.join(flatten_keys(config_patch(stored if isinstance(stored, dict) else {}, desired)))))
        after = stored
        if module.params['wait']:
            members = parse_cluster(client.get_dict('/cluster'))['members']
            states, waiting = wait_for_members(client, members, module.params['wait_timeout'], sleep=time.sleep)
    cluster = parse_cluster(client.get_dict('/cluster'))
    if states is not None:
        # A member's own /patroni is current; /cluster shows it only after the member's next cycle.
        pending = [m['name'] for m in cluster['members']
                   if (bool(states[m['name']].get('pending_restart')) if isinstance(states.get(m['name']), dict) else m['pending_restart'])]
    else:
        pending = [m['name'] for m in cluster['members'] if m['pending_restart']]
    result = dict(
        changed=changed,
        patch=patch,
        changed_keys=flatten_keys(patch),
        before=before,
        config=after,
        pending_restart_members=pending,
        members_not_confirmed=waiting,
        leader=cluster['leader'],
        url=client.base_url,
    )
    if module._diff:
        result['diff'] = dict(before=before, after=after,
                              before_header='%s/config' % client.base_url, after_header='%s/config' % client.base_url)
    return result


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by=PATRONI_API_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    problems = check_types(params['config'])
    if problems:
        module.fail_json(msg='%s: invalid config: %s' % (MODULE, '; '.join(problems)), problems=problems)

    try:
        client = make_client(params)
        result = enforce(module, client, params['config'])
    except HttpConfigError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc))
    except PatroniApiError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc.reason), kind=exc.kind, status=exc.status)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), exception=traceback.format_exc())

    if result['changed']:
        verb = 'would change' if module.check_mode else 'changed'
        msg = '%s: %s %s at %s' % (MODULE, verb, ', '.join(result['changed_keys']), client.base_url)
    else:
        msg = '%s: dynamic configuration at %s already as desired' % (MODULE, client.base_url)
    if result['pending_restart_members']:
        msg += '; pending restart on %s' % ', '.join(result['pending_restart_members'])
    if result['members_not_confirmed']:
        msg += '; not confirmed within %ss by %s' % (params['wait_timeout'], ', '.join(result['members_not_confirmed']))
    module.exit_json(msg=msg, **result)


if __name__ == '__main__':
    main()
