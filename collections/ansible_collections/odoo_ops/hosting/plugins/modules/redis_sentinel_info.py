#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_sentinel_info
short_description: Read what a Redis Sentinel knows about a master, its replicas and the other Sentinels
version_added: 1.0.0
description:
  - Asks one Sentinel about one monitored master with C(SENTINEL MASTER), C(SENTINEL REPLICAS), C(SENTINEL SENTINELS)
    and C(SENTINEL CKQUORUM), and returns the master (address, flags, quorum), the replicas (link status, offset),
    the other Sentinels it sees, whether the quorum and a failover authorisation can be reached, and an RV(ok) summary.
  - With O(master_info=true) it also connects to the master Sentinel names and returns its C(INFO replication),
    which gives each replica's lag in bytes.
  - The module only reads. It never reports C(changed), and it runs in check mode too.
  - Speaks the Redis protocol with the Python standard library (no C(redis) library), so it needs nothing
    on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  host:
    description:
      - Address of the Sentinel to ask.
    type: str
    default: 127.0.0.1
  port:
    description:
      - Port of the Sentinel.
    type: int
    default: 26379
  sentinel_username:
    description:
      - ACL user for the Sentinel (Redis 6+). Without it the password is for the default user.
    type: str
  sentinel_password:
    description:
      - Password of the Sentinel (its C(requirepass)), sent with C(AUTH).
    type: str
  master_name:
    description:
      - Name under which the Sentinels monitor the master (C(sentinel monitor <name> ...)).
    type: str
    required: true
  master_info:
    description:
      - Also connect to the master and return its C(INFO replication) as RV(master_info), and each replica's
        RV(replicas[].lag_bytes).
      - When the master cannot be reached, RV(master_info) is V(null), RV(master_info_error) says why and RV(ok) is false.
        A refused password fails the module.
    type: bool
    default: false
  redis_username:
    description:
      - ACL user for the master with O(master_info=true).
    type: str
  redis_password:
    description:
      - Password of the master (its C(requirepass)) with O(master_info=true).
    type: str
  timeout:
    description:
      - Seconds each connection (to the Sentinel, to the master) may take in total.
    type: float
    default: 5
  fail_on_unhealthy:
    description:
      - Fail when RV(ok) is false (master subjectively or objectively down, quorum not reachable, master not reachable
        with O(master_info=true)).
      - With V(false) (the default) the module only reports.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module is read-only; it asks the Sentinel in check mode as well.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - TLS connections to Sentinel or Redis are not supported.
  - A Sentinel that has no password configured refuses C(AUTH); leave O(sentinel_password) unset for it.
"""

EXAMPLES = r"""
- name: Ask the Sentinel on this host
  odoo_ops.hosting.redis_sentinel_info:
    master_name: odoo
    sentinel_password: "{{ vault_redis_sentinel_password }}"
  register: sentinel

- name: Show the current master
  ansible.builtin.debug:
    msg: "Redis master is {{ sentinel.master.ip }}:{{ sentinel.master.port }}"

- name: Fail unless the master is up, the quorum reachable and the replicas in sync
  odoo_ops.hosting.redis_sentinel_info:
    host: 10.0.0.21
    master_name: odoo
    sentinel_password: "{{ vault_redis_sentinel_password }}"
    master_info: true
    redis_password: "{{ vault_redis_password }}"
    fail_on_unhealthy: true
  register: sentinel
  failed_when: >-
    sentinel.failed or sentinel.replicas | rejectattr('master_link_status', 'equalto', 'ok') | list | length > 0
"""

RETURN = r"""
master:
  description: The master as the Sentinel sees it.
  returned: always
  type: dict
  contains:
    name:
      description: Name the master is monitored under.
      type: str
    ip:
      description: Address of the master.
      type: str
    port:
      description: Port of the master.
      type: int
    runid:
      description: Run id of the master.
      type: str
    flags:
      description: Sentinel's flags for the master, for example V(master), V(s_down), V(o_down), V(failover_in_progress).
      type: list
      elements: str
    num_replicas:
      description: Number of replicas the Sentinel knows.
      type: int
    num_other_sentinels:
      description: Number of other Sentinels it knows for this master.
      type: int
    quorum:
      description: Configured quorum.
      type: int
    down_after_ms:
      description: C(down-after-milliseconds) of the master.
      type: int
    failover_timeout_ms:
      description: C(failover-timeout) of the master.
      type: int
    parallel_syncs:
      description: C(parallel-syncs) of the master.
      type: int
    config_epoch:
      description: Configuration epoch (increases with each failover).
      type: int
  sample: {name: odoo, ip: 10.0.0.21, port: 6379, runid: 6f1b..., flags: [master], num_replicas: 1, num_other_sentinels: 2,
           quorum: 2, down_after_ms: 5000, failover_timeout_ms: 60000, parallel_syncs: 1, config_epoch: 0}
replicas:
  description: Replicas of the master known to the Sentinel.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: host:port of the replica.
      type: str
    ip:
      description: Address of the replica.
      type: str
    port:
      description: Port of the replica.
      type: int
    runid:
      description: Run id of the replica.
      type: str
    flags:
      description: Sentinel's flags for the replica, for example V(slave), V(s_down), V(disconnected).
      type: list
      elements: str
    master_link_status:
      description: V(ok) while the replica's link to the master is up, V(err) otherwise.
      type: str
    master_link_down_time_ms:
      description: Milliseconds the link to the master has been down (V(0) when up).
      type: int
    master_host:
      description: Master the replica replicates from.
      type: str
    master_port:
      description: Port of that master.
      type: int
    priority:
      description: Replica priority (V(0) is never promoted).
      type: int
    offset:
      description: Replication offset of the replica.
      type: int
    lag_bytes:
      description: The master's C(master_repl_offset) minus the replica's offset; V(null) without O(master_info=true).
      type: int
  sample:
    - {name: "10.0.0.22:6379", ip: 10.0.0.22, port: 6379, runid: 9c2e..., flags: [slave], master_link_status: ok,
       master_link_down_time_ms: 0, master_host: 10.0.0.21, master_port: 6379, priority: 100, offset: 123456, lag_bytes: 0}
sentinels:
  description: The other Sentinels the asked Sentinel sees for this master.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Run id of the Sentinel.
      type: str
    ip:
      description: Address of the Sentinel.
      type: str
    port:
      description: Port of the Sentinel.
      type: int
    runid:
      description: Run id of the Sentinel.
      type: str
    flags:
      description: Flags, for example V(sentinel), V(s_down), V(disconnected).
      type: list
      elements: str
    last_ok_ping_reply_ms:
      description: Milliseconds since the last good answer to a ping.
      type: int
  sample: [{name: 2f4a..., ip: 10.0.0.22, port: 26379, runid: 2f4a..., flags: [sentinel], last_ok_ping_reply_ms: 412}]
quorum_reachable:
  description: Whether C(SENTINEL CKQUORUM) says enough Sentinels are reachable for the quorum and a failover authorisation.
  returned: always
  type: bool
  sample: true
quorum_message:
  description: The answer of C(SENTINEL CKQUORUM).
  returned: always
  type: str
  sample: OK 3 usable Sentinels. Quorum and failover authorization can be reached
usable_sentinels:
  description: Number of usable Sentinels C(SENTINEL CKQUORUM) counted (this one included).
  returned: always
  type: int
  sample: 3
ok:
  description: The master is neither subjectively nor objectively down, the quorum is reachable and, with O(master_info=true), the master answered.
  returned: always
  type: bool
  sample: true
problems:
  description: Sentences describing why RV(ok) is false.
  returned: always
  type: list
  elements: str
  sample: []
master_info:
  description:
    - The master's C(INFO replication) (numbers as integers); its C(slaveN) lines are in C(replicas) as dicts. V(null) when
      the master could not be reached.
  returned: when O(master_info=true)
  type: dict
  sample: {role: master, connected_slaves: 1, master_repl_offset: 123456,
           replicas: [{ip: 10.0.0.22, port: 6379, state: online, offset: 123456, lag: 0}]}
master_info_error:
  description: Why the master could not be read with O(master_info=true); V(null) when it was.
  returned: when O(master_info=true)
  type: str
  sample: null
sentinel:
  description: The Sentinel asked, as host:port.
  returned: always
  type: str
  sample: "127.0.0.1:26379"
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.redis_sentinel import (  # noqa: E402
    KIND_AUTH,
    RedisSentinelError,
    add_replica_lag,
    format_address,
    open_connection,
    read_replication,
    read_sentinel,
    summarize,
)

MODULE = 'redis_sentinel_info'


def argument_spec():
    return dict(
        host=dict(type='str', default='127.0.0.1'),
        port=dict(type='int', default=26379),
        sentinel_username=dict(type='str'),
        sentinel_password=dict(type='str', no_log=True),
        master_name=dict(type='str', required=True),
        master_info=dict(type='bool', default=False),
        redis_username=dict(type='str'),
        redis_password=dict(type='str', no_log=True),
        timeout=dict(type='float', default=5.0),
        fail_on_unhealthy=dict(type='bool', default=False),
    )


def gather(params):
    """The result dict (without msg/changed); raises RedisSentinelError."""
    with open_connection(params['host'], params['port'], params['timeout'], params['sentinel_password'],
                         params['sentinel_username'], what='Sentinel') as conn:
        state = read_sentinel(conn, params['master_name'])
    master_info_error = None
    if params['master_info']:
        master = state['master']
        what = 'Redis master %s' % params['master_name']
        info = None
        try:
            info = read_replication(master['ip'], master['port'], params['timeout'], params['redis_password'],
                                    params['redis_username'], what=what)
        except RedisSentinelError as exc:
            if exc.kind == KIND_AUTH:
                raise
            master_info_error = exc.reason
        state['master_info'] = info
        state['master_info_error'] = master_info_error
        add_replica_lag(state['replicas'], info)
    state.update(summarize(state, master_info_error))
    state['sentinel'] = format_address(params['host'], params['port'])
    return state


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by={'sentinel_username': 'sentinel_password', 'redis_username': 'redis_password'},
        supports_check_mode=True,
    )
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='%s: timeout must be more than 0, got %s' % (MODULE, params['timeout']))
    if not 0 < params['port'] < 65536:
        module.fail_json(msg='%s: port must be between 1 and 65535, got %s' % (MODULE, params['port']))
    if not params['master_name'].strip():
        module.fail_json(msg='%s: master_name must not be empty' % MODULE)

    where = format_address(params['host'], params['port'])
    try:
        result = gather(params)
    except RedisSentinelError as exc:
        module.fail_json(msg='%s: master %s via Sentinel %s: %s' % (MODULE, params['master_name'], where, exc.reason),
                         kind=exc.kind, sentinel=where)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), exception=traceback.format_exc())

    master = result['master']
    if result['ok']:
        msg = '%s: master %s is %s, %d replica(s), %d usable Sentinel(s), quorum %s reachable (asked %s)' % (
            MODULE, params['master_name'], format_address(master['ip'] or '?', master['port']), len(result['replicas']),
            result['usable_sentinels'] if result['usable_sentinels'] is not None else len(result['sentinels']) + 1,
            master['quorum'], where)
    else:
        msg = '%s: master %s via Sentinel %s is unhealthy: %s' % (MODULE, params['master_name'], where, '; '.join(result['problems']))
    result['changed'] = False
    if not result['ok'] and params['fail_on_unhealthy']:
        module.fail_json(msg=msg, **result)
    module.exit_json(msg=msg, **result)


if __name__ == '__main__':
    main()
