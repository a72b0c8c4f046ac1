#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: patroni_switchover
short_description: Planned switchover of a Patroni cluster through its REST API
version_added: 1.0.0
description:
  - Moves the leader role of a Patroni cluster to a replica with C(POST /switchover) (Patroni demotes the leader
    cleanly, promotes the candidate and the old leader rejoins as a replica), then waits until the cluster has settled.
  - Before sending anything it reads C(GET /cluster) and C(GET /config) and refuses, with a message saying why, when
    the cluster has no (running) leader, the leader is not O(leader), the candidate is not a member, is not running,
    has the C(nofailover) tag, has unknown lag or lags more than O(max_lag_bytes), when C(synchronous_mode) is on and
    the candidate is not a synchronous standby, when another switchover is already scheduled, or, without O(candidate),
    when no replica qualifies.
  - Idempotent with O(candidate) set; when the candidate already is the leader nothing is done and C(changed) is
    V(false), so re-running a playbook is safe. Without O(candidate) every run switches over to a replica Patroni picks.
  - In check mode it runs all the checks and reports C(changed) without requesting the switchover; it also checks the
    credentials by sending an empty C(POST /switchover), which Patroni rejects (C(400)) before acting.
  - Uses only the Python standard library, so it needs nothing on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  candidate:
    description:
      - Name of the member to become the leader.
      - When omitted, Patroni picks a healthy replica (a synchronous standby in C(synchronous_mode)); the module is
        then not idempotent.
    type: str
  leader:
    description:
      - Name of the member expected to be the leader now. The module fails when another member leads, so a playbook
        does not act on stale knowledge. When omitted, the current leader is used.
    type: str
  scheduled_at:
    description:
      - Schedule the switchover at this ISO 8601 time with a timezone, for example C(2026-05-01T02:30:00+00:00) or
        C(2026-05-01T02:30:00Z), instead of doing it now. Must be in the future.
      - The module returns once Patroni has accepted it; it does not wait. The same scheduled switchover requested
        again is V(changed=false).
    type: str
  wait_timeout:
    description:
      - Seconds to wait after the switchover until the new leader runs and every member that was running before
        runs again on the new timeline with known lag and streams from the new leader.
      - The module fails (with C(changed=true)) when that does not happen in time. V(0) returns as soon as Patroni
        confirmed the leader change.
    type: int
    default: 120
  max_lag_bytes:
    description:
      - Refuse when the candidate (or, without O(candidate), every replica) lags more bytes behind the leader.
      - Not checked when unset (Patroni's own C(maximum_lag_on_failover) still applies).
    type: int
extends_documentation_fragment:
  - odoo_ops.hosting.patroni_api
  - odoo_ops.hosting.http_client
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs the checks and reports whether a switchover would be done, without requesting it.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - O(url) may be any member's REST API. The member answering keeps answering during the switchover
    (Patroni's REST API stays up while PostgreSQL restarts).
  - O(username) and O(password) are needed for C(POST) when the REST API has authentication.
  - Patroni answers C(POST /switchover) once the leader key has moved, which takes up to about
    C(2 * max(10, loop_wait)) seconds; the request is given that long whatever O(timeout) says.
  - A planned switchover restarts PostgreSQL on the old leader; clients are disconnected for a few seconds.
seealso:
  - module: odoo_ops.hosting.patroni_cluster_info
  - module: odoo_ops.hosting.patroni_config
"""

EXAMPLES = r"""
- name: Make db2 the leader (nothing happens when it already is)
  odoo_ops.hosting.patroni_switchover:
    url: http://10.0.0.11:8008
    username: patroni
    password: "{{ vault_patroni_restapi_password }}"
    candidate: db2
    max_lag_bytes: 1048576
  register: switchover

- name: Move the leader away from db1 before its maintenance, to any healthy replica
  odoo_ops.hosting.patroni_switchover:
    url: http://10.0.0.11:8008
    username: patroni
    password: "{{ vault_patroni_restapi_password }}"
    leader: db1

- name: Schedule a switchover to db3 in the maintenance window
  odoo_ops.hosting.patroni_switchover:
    url: http://10.0.0.11:8008
    username: patroni
    password: "{{ vault_patroni_restapi_password }}"
    leader: db1
    candidate: db3
    scheduled_at: "2026-05-01T02:30:00+00:00"
"""

RETURN = r"""
previous_leader:
  description: The leader before the switchover (the current leader when nothing was done).
  returned: always
  type: str
  sample: db1
new_leader:
  description:
    - The leader after the switchover; in check mode the candidate (V(null) when Patroni would pick one);
      V(null) for a scheduled switchover.
  returned: always
  type: str
  sample: db2
seconds:
  description: Seconds from the request until the new leader was seen running; V(null) when nothing was switched over now.
  returned: always
  type: float
  sample: 4.2
members:
  description: Every member after the switchover (before it, when nothing was done or in check mode), as in patroni_cluster_info.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: db1, host: 10.0.0.11, port: 5432, role: replica, state: running, lag: 0, timeline: 2,
       pending_restart: false, api_url: "http://10.0.0.11:8008/patroni", tags: {}}
    - {name: db2, host: 10.0.0.12, port: 5432, role: leader, state: running, lag: 0, timeline: 2,
       pending_restart: false, api_url: "http://10.0.0.12:8008/patroni", tags: {}}
eligible:
  description: Replicas that could take over, as seen before the switchover.
  returned: always
  type: list
  elements: str
  sample: [db2, db3]
problems:
  description: Why the switchover was refused (nothing was sent); empty otherwise.
  returned: always
  type: list
  elements: str
  sample: []
waiting:
  description:
    - What had not settled when O(wait_timeout) ran out (with O(wait_timeout=0), right after Patroni's answer); empty otherwise.
  returned: always
  type: list
  elements: str
  sample: []
scheduled_at:
  description: The time of a scheduled switchover, as sent to Patroni.
  returned: when O(scheduled_at) is set
  type: str
  sample: "2026-05-01T02:30:00+00:00"
patroni_answer:
  description: Patroni's answer to C(POST /switchover); V(null) when nothing was sent.
  returned: always
  type: str
  sample: Successfully switched over to "db2"
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
    PATRONI_API_REQUIRED_BY,
    RUNNING_STATES,
    PatroniApiError,
    check_credentials,
    client_from_params,
    parse_cluster,
    parse_schedule,
    patroni_api_argument_spec,
    plan_switchover,
    request_switchover,
    wait_for_switchover,
)

MODULE = 'patroni_switchover'


def argument_spec():
    spec = patroni_api_argument_spec()
    spec.update(
        candidate=dict(type='str'),
        leader=dict(type='str'),
        scheduled_at=dict(type='str'),
        wait_timeout=dict(type='int', default=120),
        max_lag_bytes=dict(type='int'),
    )
    return spec


def validate(params):
    """Problems with the options (sentences)."""
    problems = []
    if params['timeout'] <= 0:
        problems.append('timeout must be more than 0, got %s' % params['timeout'])
    if params['wait_timeout'] < 0:
        problems.append('wait_timeout must be 0 or more, got %s' % params['wait_timeout'])
    if params['max_lag_bytes'] is not None and params['max_lag_bytes'] < 0:
        problems.append('max_lag_bytes must be 0 or more, got %s' % params['max_lag_bytes'])
    for key in ('candidate', 'leader'):
        if params[key] is not None and not params[key].strip():
            problems.append('%s must not be empty' % key)
    if params['candidate'] is not None and params['candidate'] == params['leader']:
        problems.append('candidate and leader are both %s' % params['candidate'])
    return problems


def switchover(module, client, schedule):
    """Check, request and wait; returns (result dict, whether the module must fail)."""
    params = module.params
    candidate = params['candidate']
    cluster_data = client.get_dict('/cluster')
    config = client.get_dict('/config')
    plan = plan_switchover(cluster_data, config, candidate=candidate, leader=params['leader'],
                           max_lag=params['max_lag_bytes'], schedule=schedule)
    cluster = plan['cluster']
    current = plan['leader']
    result = dict(changed=False, previous_leader=current, new_leader=current, seconds=None, members=cluster['members'],
                  eligible=plan['eligible'], problems=plan['problems'], waiting=[], patroni_answer=None, url=client.base_url)
    if schedule is not None:
        result['scheduled_at'] = schedule.isoformat()
    if plan['noop']:
        result['msg'] = '%s: nothing to do at %s: %s' % (MODULE, client.base_url, plan['noop'])
        return result, False
    target = candidate or 'a replica Patroni picks (eligible: %s)' % ', '.join(plan['eligible'])
    if plan['problems']:
        result['msg'] = '%s: refusing to switch over from %s to %s at %s, nothing was sent: %s' % (
            MODULE, current or '(no leader)', target, client.base_url, '; '.join(plan['problems']))
        return result, True

    result['changed'] = True
    when = ' at %s' % result['scheduled_at'] if schedule is not None else ''
    if module.check_mode:
        check_credentials(client)
        result['new_leader'] = candidate if schedule is None else None
        result['msg'] = '%s: would switch over from %s to %s%s at %s' % (MODULE, current, target, when, client.base_url)
        return result, False

    expected = [m['name'] for m in cluster['members'] if m['state'] in RUNNING_STATES]
    started = time.monotonic()
    try:
        result['patroni_answer'] = request_switchover(client, current, candidate, result.get('scheduled_at'), config.get('loop_wait', 10))
    except PatroniApiError as exc:
        # Refused (412, 503 "failed"), unknown outcome (503, no answer): say what the cluster looks like now.
        try:
            now = parse_cluster(client.get_dict('/cluster'))
            result.update(new_leader=now['leader'], members=now['members'], changed=now['leader'] != current)
            state = 'the leader is now %s' % (now['leader'] or 'not elected')
        except PatroniApiError as again:
            state = 'the cluster state is unknown (the switchover may have happened): %s' % again.reason
        result.update(msg='%s: switchover from %s to %s failed: %s; %s' % (MODULE, current, target, exc.reason, state),
                      kind=exc.kind, status=exc.status)
        return result, True
    if schedule is not None:
        result['new_leader'] = None
        result['msg'] = '%s: switchover from %s to %s scheduled%s at %s: %s' % (
            MODULE, current, target, when, client.base_url, result['patroni_answer'])
        return result, False

    after, seconds, waiting = wait_for_switchover(client, current, candidate, expected, params['wait_timeout'], started)
    if after is None:
        result.update(waiting=waiting, msg='%s: switchover from %s requested at %s (Patroni: %s) but the cluster could not be read: %s' % (
            MODULE, current, client.base_url, result['patroni_answer'], '; '.join(waiting)))
        return result, True
    result.update(new_leader=after['leader'], seconds=seconds, members=after['members'], waiting=waiting)
    if waiting and params['wait_timeout'] > 0:
        result['msg'] = '%s: switchover from %s requested at %s (Patroni: %s) but not settled after %ss: %s' % (
            MODULE, current, client.base_url, result['patroni_answer'], params['wait_timeout'], '; '.join(waiting))
        return result, True
    if after['leader'] in (None, current):
        result['msg'] = '%s: Patroni at %s answered "%s" but the leader is %s' % (
            MODULE, client.base_url, result['patroni_answer'], after['leader'] or 'not elected')
        return result, True
    result['msg'] = '%s: switched over from %s to %s at %s%s' % (
        MODULE, current, after['leader'], client.base_url,
        ' in %ss' % seconds if seconds is not None else '')
    if waiting:
        result['msg'] += '; not settled yet: %s' % '; '.join(waiting)
    return result, False


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by=PATRONI_API_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params)
    schedule = None
    if params['scheduled_at'] is not None:
        try:
            schedule = parse_schedule(params['scheduled_at'])
        except ValueError as exc:
            problems.append('scheduled_at: %s' % exc)
    if problems:
        module.fail_json(msg='%s: %s' % (MODULE, '; '.join(problems)))

    try:
        # validate() has already refused a timeout of 0 or less.
        client = client_from_params(params)
        result, failed = switchover(module, client, schedule)
    except HttpConfigError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc))
    except PatroniApiError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc.reason), kind=exc.kind, status=exc.status)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), exception=traceback.format_exc())
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
