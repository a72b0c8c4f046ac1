#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: patroni_cluster_info
short_description: Read the state of a Patroni cluster from its REST API
version_added: 1.0.0
description:
  - Reads C(GET /cluster) from one member's Patroni REST API and returns every member (name, host, port, role,
    state, replication lag, timeline, pending restart), the leader's name, the timeline and a RV(healthy) summary.
  - With O(include_config=true) (the default) it also returns the cluster's dynamic configuration (C(GET /config)).
  - With O(include_member_status=true) it also reads C(GET /patroni) from every member, which tells the
    pending restart of each member at once (C(/cluster) shows it after the member's next HA cycle).
  - Patroni answers reads without O(username), but it is sent when given.
  - The module only reads. It never reports C(changed), and it runs in check mode too.
  - Uses only the Python standard library, so it needs nothing on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  include_config:
    description:
      - Also read the dynamic configuration (C(GET /config)) and return it as RV(config).
    type: bool
    default: true
  include_member_status:
    description:
      - Also read C(GET /patroni) from every member (through its C(api_url)) and return it as RV(member_status).
        Members whose API does not answer are reported with V(null).
    type: bool
    default: false
  max_lag:
    description:
      - Replication lag in bytes above which a replica makes RV(healthy.ok) false. Not checked when unset.
    type: int
  fail_on_unhealthy:
    description:
      - Fail when RV(healthy.ok) is false (no leader, a member not running, a replica lagging or of unknown lag).
      - With V(false) (the default) the module only reports.
    type: bool
    default: false
extends_documentation_fragment:
  - odoo_ops.hosting.patroni_api
  - odoo_ops.hosting.http_client
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module is read-only; it reads the cluster state in check mode as well.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: odoo_ops.hosting.patroni_config
"""

EXAMPLES = r"""
- name: Find the leader of the cluster
  odoo_ops.hosting.patroni_cluster_info:
    url: http://10.0.0.11:8008
  register: pg_cluster

- name: Run something on the leader only
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is the leader"
  when: inventory_hostname == pg_cluster.leader

- name: Fail unless every member runs and replicas lag less than 1 MiB
  odoo_ops.hosting.patroni_cluster_info:
    url: http://10.0.0.11:8008
    max_lag: 1048576
    fail_on_unhealthy: true
"""

RETURN = r"""
members:
  description: Every member of the cluster.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Member name (Patroni C(name), the inventory hostname in this project).
      type: str
    host:
      description: PostgreSQL address of the member.
      type: str
    port:
      description: PostgreSQL port of the member.
      type: int
    role:
      description: V(leader), V(replica), V(sync_standby) or V(standby_leader) (C(master) is reported as V(leader)).
      type: str
    state:
      description: PostgreSQL state seen by Patroni, for example V(running), V(streaming), V(stopped), V(starting).
      type: str
    lag:
      description: Replication lag in bytes; V(0) for the leader; V(null) when Patroni does not know it.
      type: int
    timeline:
      description: PostgreSQL timeline of the member.
      type: int
    pending_restart:
      description: Whether PostgreSQL on the member waits for a restart to apply a setting.
      type: bool
    api_url:
      description: URL of the member's C(/patroni) endpoint.
      type: str
    tags:
      description: Tags of the member (C(nofailover), C(nosync)...).
      type: dict
  sample:
    - {name: db1, host: 10.0.0.11, port: 5432, role: leader, state: running, lag: 0, timeline: 1,
       pending_restart: false, api_url: "http://10.0.0.11:8008/patroni", tags: {}}
leader:
  description: Name of the leader, V(null) when there is none.
  returned: always
  type: str
  sample: db1
timeline:
  description: Timeline of the leader, V(null) without a leader.
  returned: always
  type: int
  sample: 1
healthy:
  description: Summary of the cluster's health.
  returned: always
  type: dict
  contains:
    ok:
      description: One leader, every member running, every replica's lag known (and within O(max_lag)).
      type: bool
    has_leader:
      description: Whether exactly one leader is reported.
      type: bool
    members_total:
      description: Number of members.
      type: int
    members_running:
      description: Number of members whose state is running or streaming.
      type: int
    not_running:
      description: Names of members that are not running.
      type: list
      elements: str
    pending_restart:
      description: Names of members with a pending restart.
      type: list
      elements: str
    max_lag:
      description: Largest known replica lag in bytes (V(0) without replicas).
      type: int
    problems:
      description: Sentences describing what is not healthy.
      type: list
      elements: str
  sample: {ok: true, has_leader: true, members_total: 1, members_running: 1, not_running: [], pending_restart: [], max_lag: 0, problems: []}
config:
  description: Dynamic configuration of the cluster (C(GET /config)).
  returned: when O(include_config=true)
  type: dict
  sample: {ttl: 30, loop_wait: 10, retry_timeout: 10, postgresql: {parameters: {max_connections: 100}}}
member_status:
  description: Answer of C(GET /patroni) per member name (V(null) when the member's API did not answer).
  returned: when O(include_member_status=true)
  type: dict
  sample: {db1: {state: running, role: master, timeline: 1, pending_restart: true}}
url:
  description: The REST API base URL used, with an explicit port.
  returned: always
  type: str
  sample: http://10.0.0.11:8008
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.http_check import HttpConfigError  # noqa: E402
from ansible_collections.odoo_ops.hosting.plugins.module_utils.patroni import (  # noqa: E402
    PATRONI_API_REQUIRED_BY,
    PatroniApiError,
    client_from_params,
    parse_cluster,
    patroni_api_argument_spec,
)

MODULE = 'patroni_cluster_info'


def argument_spec():
    spec = patroni_api_argument_spec()
    spec.update(
        include_config=dict(type='bool', default=True),
        include_member_status=dict(type='bool', default=False),
        max_lag=dict(type='int'),
        fail_on_unhealthy=dict(type='bool', default=False),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by=PATRONI_API_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    if params['max_lag'] is not None and params['max_lag'] < 0:
        module.fail_json(msg='%s: max_lag must be 0 or more, got %s' % (MODULE, params['max_lag']))

    try:
        client = client_from_params(params)
        output = parse_cluster(client.get_dict('/cluster'), max_lag=params['max_lag'])
        if params['include_config']:
            output['config'] = client.get_dict('/config')
        if params['include_member_status']:
            status = {}
            for member in output['members']:
                try:
                    status[member['name']] = client.for_member(member['api_url']).get_dict('/patroni') if member['api_url'] else None
                except PatroniApiError:
                    status[member['name']] = None
            output['member_status'] = status
    except HttpConfigError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc))
    except PatroniApiError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc.reason), kind=exc.kind, status=exc.status)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), exception=traceback.format_exc())

    output['url'] = client.base_url
    output['changed'] = False
    health = output['healthy']
    if health['ok']:
        msg = '%s: cluster at %s has leader %s on timeline %s, %d of %d members running' % (
            MODULE, client.base_url, output['leader'], output['timeline'], health['members_running'], health['members_total'])
    else:
        msg = '%s: cluster at %s is unhealthy: %s' % (MODULE, client.base_url, '; '.join(health['problems']))
    if not health['ok'] and params['fail_on_unhealthy']:
        module.fail_json(msg=msg, **output)
    module.exit_json(msg=msg, **output)


if __name__ == '__main__':
    main()
