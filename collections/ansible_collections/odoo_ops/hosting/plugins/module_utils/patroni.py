# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Patroni REST API client and dynamic-configuration logic for the odoo_ops.hosting modules.

Built on ``http_check.http_request()`` (standard library only). The pieces:

* ``patroni_api_argument_spec()`` and ``client_from_params()`` give the
  connection options (doc fragments odoo_ops.hosting.patroni_api and
  odoo_ops.hosting.http_client) and the client made from them;
* ``PatroniClient`` sends JSON requests with HTTP basic auth and turns every
  failure into ``PatroniApiError`` whose ``kind`` is ``auth`` (401/403),
  ``unreachable`` (no HTTP answer), ``rejected`` (another non-2xx status) or
  ``protocol`` (an answer that is not the expected JSON);
* ``parse_cluster()`` turns GET /cluster into members, leader, timeline and a
  ``healthy`` summary;
* ``values_equal()``, ``config_patch()`` and ``apply_patch()`` compare a desired
  dynamic configuration with GET /config and build the smallest PATCH
  (``None`` removes a key, as Patroni does);
* ``check_timing()`` enforces Patroni's ``loop_wait + 2 * retry_timeout <= ttl``;
* ``wait_for_members()`` waits until every member has run an HA cycle that
  started after a change, so its ``pending_restart`` flag is current.
"""

from __future__ import annotations

import base64
import copy
import email.utils
import json
import re
import time

from ansible_collections.odoo_ops.hosting.plugins.module_utils.http_check import (
    HttpCheckError,
    HttpConfigError,
    build_url,
    http_client_argument_spec,
    http_request,
    make_ssl_context,
    split_url,
)

KIND_AUTH = 'auth'
KIND_UNREACHABLE = 'unreachable'
KIND_REJECTED = 'rejected'
KIND_PROTOCOL = 'protocol'

# Patroni's defaults and minimums for the DCS timing keys (documented by Patroni).
TIMING_DEFAULTS = {'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10}
TIMING_MINIMUMS = {'ttl': 20, 'loop_wait': 1, 'retry_timeout': 3}
INTEGER_KEYS = ('ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover', 'master_start_timeout',
                'primary_start_timeout', 'max_timelines_history', 'synchronous_node_count')
BOOLEAN_KEYS = ('synchronous_mode', 'synchronous_mode_strict', 'failsafe_mode', 'check_timeline')

LEADER_ROLES = ('leader', 'master', 'primary', 'standby_leader')
RUNNING_STATES = ('running', 'streaming')

_INT_RE = re.compile(r'^[+-]?\d+$')
_FLOAT_RE = re.compile(r'^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$')
_TRUE_WORDS = ('on', 'true', 'yes')
_FALSE_WORDS = ('off', 'false', 'no')


class PatroniApiError(Exception):
    """A REST API call that did not give the expected answer.

    ``kind`` is auth, unreachable, rejected or protocol; ``status`` is the HTTP
    status (-1 without an answer); ``reason`` is a sentence a person can act on.
    """

    def __init__(self, kind, reason, status=-1, url=None):
        super(PatroniApiError, self).__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.url = url


def _excerpt(text, limit=200):
    return ' '.join((text or '').split())[:limit]


class PatroniClient(object):
    """JSON client of one Patroni member's REST API (``base_url`` like http://10.0.0.11:8008)."""

    def __init__(self, base_url, username=None, password=None, timeout=10.0, ssl_context=None):
        # Only scheme, host and port count: a member's api_url (http://h:8008/patroni) works too.
        scheme, host, port, dummy = split_url(base_url)
        self.base_url = build_url(scheme, host, port, '/').rstrip('/')
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context

    def for_member(self, api_url):
        """A client for another member (its api_url from /cluster), same credentials and TLS."""
        return PatroniClient(api_url, self.username, self.password, self.timeout, self.ssl_context)

    def _headers(self, has_body):
        headers = {'Accept': 'application/json'}
        if has_body:
            headers['Content-Type'] = 'application/json'
        if self.username is not None:
            token = base64.b64encode(('%s:%s' % (self.username, self.password or '')).encode('utf-8')).decode('ascii')
            headers['Authorization'] = 'Basic ' + token
        return headers

    def request(self, method, path, body=None, expect_json=True):
        """Send one request; return (response, parsed JSON or None). Raises PatroniApiError."""
        url = self.base_url + path
        data = json.dumps(body) if body is not None else None
        try:
            response = http_request(url, method=method, headers=self._headers(data is not None), body=data,
                                    timeout=self.timeout, ssl_context=self.ssl_context)
        except HttpCheckError as exc:
            raise PatroniApiError(KIND_UNREACHABLE, 'Patroni REST API at %s is unreachable: %s' % (url, exc.reason), url=url) from exc
        except HttpConfigError as exc:
            raise PatroniApiError(KIND_PROTOCOL, str(exc), url=url) from exc
        if response.status in (401, 403):
            who = 'user %s' % self.username if self.username is not None else 'no credentials'
            raise PatroniApiError(
                KIND_AUTH,
                '%s %s answered %s (%s): authentication refused for %s; check the REST API username and password'
                % (method, url, response.status, _excerpt(response.text) or response.reason, who),
                status=response.status, url=url)
        if not 200 <= response.status < 300:
            raise PatroniApiError(
                KIND_REJECTED, '%s %s answered %s: %s' % (method, url, response.status, _excerpt(response.text) or response.reason),
                status=response.status, url=url)
        if not expect_json:
            return response, None
        try:
            parsed = response.json()
        except ValueError:
            raise PatroniApiError(
                KIND_PROTOCOL, '%s %s answered %s but not with JSON: %s' % (method, url, response.status, _excerpt(response.text)),
                status=response.status, url=url) from None
        return response, parsed

    def get(self, path):
        return self.request('GET', path)[1]

    def get_dict(self, path):
        data = self.get(path)
        if not isinstance(data, dict):
            raise PatroniApiError(KIND_PROTOCOL, 'GET %s%s did not answer a JSON object: %s' % (self.base_url, path, _excerpt(json.dumps(data))),
                                  status=200, url=self.base_url + path)
        return data

    def patch_config(self, patch):
        """PATCH /config; returns the dynamic configuration Patroni stored."""
        return self.request('PATCH', '/config', patch)[1]


def patroni_api_argument_spec():
    """Argument spec of the odoo_ops.hosting.patroni_api and odoo_ops.hosting.http_client doc fragments."""
    spec = dict(
        url=dict(type='str', required=True),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
    )
    spec.update(http_client_argument_spec())
    return spec


# required_by of AnsibleModule for the options of patroni_api_argument_spec().
PATRONI_API_REQUIRED_BY = {'client_key': 'client_cert', 'password': 'username'}


def client_from_params(params):
    """PatroniClient from the module options; raises HttpConfigError for bad settings."""
    if params['timeout'] <= 0:
        raise HttpConfigError('timeout must be more than 0, got %s' % params['timeout'])
    context = None
    if params['url'].lower().startswith('https:'):
        context = make_ssl_context(params['validate_certs'], params['ca_path'], params['client_cert'], params['client_key'])
    return PatroniClient(params['url'], params['username'], params['password'], params['timeout'], context)


# --- values and configuration comparison --------------------------------------------------

def normalize_scalar(value):
    """The comparable form of a scalar: numeric strings become numbers, on/off words booleans."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return False
        if _INT_RE.match(text):
            return int(text)
        if _FLOAT_RE.match(text):
            number = float(text)
            return int(number) if number.is_integer() else number
        return text
    return value


def values_equal(current, desired):
    """Deep equality where "100" equals 100, "0.5" equals 0.5 and "on" equals true.

    Dicts are equal when they have the same keys with equal values; lists when
    they are equal item by item. Numbers are never taken for booleans (1 is not true).
    """
    if isinstance(current, dict) and isinstance(desired, dict):
        return set(current) == set(desired) and all(values_equal(current[k], desired[k]) for k in current)
    if isinstance(current, list) and isinstance(desired, list):
        return len(current) == len(desired) and all(values_equal(current[i], desired[i]) for i in range(len(current)))
    if isinstance(current, (dict, list)) or isinstance(desired, (dict, list)):
        return False
    a, b = normalize_scalar(current), normalize_scalar(desired)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def drop_none(value):
    """A copy of value without the keys whose value is None (at every depth)."""
    if isinstance(value, dict):
        return dict((k, drop_none(v)) for k, v in value.items() if v is not None)
    return copy.deepcopy(value)


def config_patch(current, desired):
    """The smallest PATCH body that turns ``current`` into ``desired``.

    Only the keys present in ``desired`` are managed; a key whose desired value
    is None is removed (sent as null) when it is present. Nested dicts are
    compared key by key, other values with values_equal().
    """
    patch = {}
    current = current if isinstance(current, dict) else {}
    for key, want in desired.items():
        present = key in current and current[key] is not None
        have = current.get(key)
        if want is None:
            if present:
                patch[key] = None
        elif isinstance(want, dict):
            if isinstance(have, dict):
                sub = config_patch(have, want)
                if sub:
                    patch[key] = sub
            else:
                cleaned = drop_none(want)
                if cleaned or not present:
                    patch[key] = cleaned
        elif not present or not values_equal(have, want):
            patch[key] = copy.deepcopy(want)
    return patch


def apply_patch(current, patch):
    """What Patroni stores after PATCH /config with ``patch`` (a deep-merged copy; null removes)."""
    result = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = apply_patch(result[key], value)
        else:
            result[key] = drop_none(value)
    return result


def flatten_keys(patch, prefix=''):
    """Dotted names of the leaves of a patch, e.g. ['postgresql.parameters.work_mem', 'ttl']."""
    keys = []
    for key in sorted(patch):
        name = '%s%s' % (prefix, key)
        value = patch[key]
        if isinstance(value, dict) and value:
            keys.extend(flatten_keys(value, name + '.'))
        else:
            keys.append(name)
    return keys


def check_types(config):
    """Problems with the types of well-known top-level keys (list of sentences)."""
    problems = []
    for key in INTEGER_KEYS:
        if key in config and config[key] is not None:
            value = normalize_scalar(config[key])
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append('%s must be an integer, got %r' % (key, config[key]))
    for key in BOOLEAN_KEYS:
        if key in config and config[key] is not None and not isinstance(normalize_scalar(config[key]), bool):
            problems.append('%s must be a boolean, got %r' % (key, config[key]))
    if 'postgresql' in config and config['postgresql'] is not None:
        pg = config['postgresql']
        if not isinstance(pg, dict):
            problems.append('postgresql must be a dict, got %r' % (pg,))
        elif pg.get('parameters') is not None and not isinstance(pg['parameters'], dict):
            problems.append('postgresql.parameters must be a dict, got %r' % (pg['parameters'],))
    return problems


def check_timing(config):
    """Problems with ttl/loop_wait/retry_timeout in a (complete) dynamic config.

    Patroni requires loop_wait + 2 * retry_timeout <= ttl and the minimums
    ttl >= 20, loop_wait >= 1, retry_timeout >= 3. Missing keys take Patroni's
    defaults (30, 10, 10). Returns a list of sentences (empty when fine).
    """
    values = {}
    problems = []
    for key, default in TIMING_DEFAULTS.items():
        raw = config.get(key)
        value = default if raw is None else normalize_scalar(raw)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append('%s must be an integer, got %r' % (key, raw))
            continue
        if value < TIMING_MINIMUMS[key]:
            problems.append('%s must be at least %d, got %d' % (key, TIMING_MINIMUMS[key], value))
        values[key] = value
    if len(values) == 3 and values['loop_wait'] + 2 * values['retry_timeout'] > values['ttl']:
        problems.append('loop_wait + 2 * retry_timeout must not exceed ttl, got %d + 2 * %d = %d > ttl %d'
                        % (values['loop_wait'], values['retry_timeout'], values['loop_wait'] + 2 * values['retry_timeout'], values['ttl']))
    return problems


# --- cluster state ----------------------------------------------------------------------

def _lag_bytes(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    return None  # "unknown" or absent


def parse_member(raw):
    """One member of GET /cluster in the form the modules return."""
    role = raw.get('role') or 'unknown'
    if role in ('master', 'primary'):
        role = 'leader'
    return dict(
        name=raw.get('name'),
        host=raw.get('host'),
        port=raw.get('port'),
        role=role,
        state=raw.get('state') or 'unknown',
        lag=_lag_bytes(raw.get('lag')) if role != 'leader' else 0,
        timeline=raw.get('timeline'),
        pending_restart=bool(raw.get('pending_restart', False)),
        api_url=raw.get('api_url'),
        tags=raw.get('tags') or {},
    )


def parse_cluster(data, max_lag=None):
    """Members, leader, timeline and a healthy summary from GET /cluster.

    ``healthy.ok`` is true when there is exactly one leader, every member is
    running (or streaming), every replica's lag is known and, when ``max_lag``
    is given, at most ``max_lag`` bytes.
    """
    if not isinstance(data, dict) or not isinstance(data.get('members', []), list):
        raise PatroniApiError(KIND_PROTOCOL, 'GET /cluster did not answer {"members": [...]}: %s' % _excerpt(json.dumps(data)))
    members = [parse_member(m) for m in data.get('members', []) if isinstance(m, dict)]
    leaders = [m for m in members if m['role'] in LEADER_ROLES]
    leader = leaders[0] if len(leaders) == 1 else None
    problems = []
    if not leaders:
        problems.append('no leader')
    elif len(leaders) > 1:
        problems.append('more than one leader: %s' % ', '.join(m['name'] for m in leaders))
    not_running = [m['name'] for m in members if m['state'] not in RUNNING_STATES]
    for m in members:
        if m['state'] not in RUNNING_STATES:
            problems.append('member %s is %s' % (m['name'], m['state']))
    replicas = [m for m in members if m['role'] not in LEADER_ROLES]
    lag_unknown = [m['name'] for m in replicas if m['lag'] is None]
    for name in lag_unknown:
        if name not in not_running:
            problems.append('replica %s has unknown lag' % name)
    lagging = [m['name'] for m in replicas if m['lag'] is not None and max_lag is not None and m['lag'] > max_lag]
    for m in replicas:
        if m['name'] in lagging:
            problems.append('replica %s lags %d bytes (more than %d)' % (m['name'], m['lag'], max_lag))
    known_lags = [m['lag'] for m in replicas if m['lag'] is not None]
    healthy = dict(
        ok=not problems,
        has_leader=leader is not None,
        members_total=len(members),
        members_running=len(members) - len(not_running),
        not_running=not_running,
        pending_restart=[m['name'] for m in members if m['pending_restart']],
        max_lag=max(known_lags) if known_lags else (0 if replicas == [] else None),
        problems=problems,
    )
    return dict(
        members=members,
        leader=leader['name'] if leader else None,
        timeline=leader['timeline'] if leader else None,
        healthy=healthy,
    )


# --- waiting for members to apply a change -------------------------------------------------

def _date_header_epoch(response):
    value = response.headers.get('date')
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def wait_for_members(client, members, timeout, poll=1.0, sleep=time.sleep, clock=time.monotonic):
    """Wait until every member ran an HA cycle that began after this call, then read its state.

    A member's GET /patroni carries ``dcs_last_seen`` (epoch seconds of its last
    DCS read, taken at the start of an HA cycle, where the dynamic configuration
    is applied). The first answer's ``Date`` header (the member's own clock, so
    no clock skew matters) is the mark; the member is done when ``dcs_last_seen``
    is at least one second past it. Returns (states, waiting) where ``states``
    maps member name to its last /patroni answer (or None) and ``waiting`` lists
    members that did not get there within ``timeout`` seconds.
    """
    deadline = clock() + timeout
    marks = {}
    states = {}
    pending = [m for m in members if m.get('api_url')]
    while True:
        still = []
        for member in pending:
            name = member['name']
            try:
                response, data = client.for_member(member['api_url']).request('GET', '/patroni')
            except PatroniApiError:
                states[name] = None
                still.append(member)
                continue
            states[name] = data if isinstance(data, dict) else None
            if name not in marks:
                marks[name] = _date_header_epoch(response) or time.time()
                still.append(member)
                continue
            seen = states[name].get('dcs_last_seen') if states[name] else None
            if not isinstance(seen, (int, float)) or seen < int(marks[name]) + 1:
                still.append(member)
        pending = still
        if not pending or clock() >= deadline:
            break
        sleep(poll)
    waiting = [m['name'] for m in pending]
    # The configuration is applied right after the DCS read: read every member once more.
    sleep(min(poll, 1.0))
    for member in members:
        if member.get('api_url') and member['name'] not in waiting:
            try:
                states[member['name']] = client.for_member(member['api_url']).get_dict('/patroni')
            except PatroniApiError:
                states[member['name']] = None
    return states, waiting


# --- planned switchover (patroni_switchover) ------------------------------------------------

def _truthy(value):
    return normalize_scalar(value) is True


def parse_iso_time(text):
    """An ISO 8601 time with a timezone (Z accepted) as an aware datetime; ValueError otherwise."""
    import datetime  # pylint: disable=import-outside-toplevel
    value = str(text or '').strip()
    if value[-1:] in ('Z', 'z'):
        value = value[:-1] + '+00:00'
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError('%r is not an ISO 8601 time such as 2026-05-01T02:30:00+00:00' % (text,)) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError('%r has no timezone; add one, such as +00:00 or Z' % (text,))
    return parsed


def parse_schedule(text, now=None):
    """parse_iso_time() of a time that must be in the future (``now``, aware, is for tests)."""
    import datetime  # pylint: disable=import-outside-toplevel
    parsed = parse_iso_time(text)
    if parsed <= (now or datetime.datetime.now(datetime.timezone.utc)):
        raise ValueError('%r is in the past' % (text,))
    return parsed


def same_schedule(scheduled, wanted):
    """Whether /cluster's scheduled_switchover dict matches ``wanted`` (dict of at, leader, candidate)."""
    if not isinstance(scheduled, dict) or wanted is None:
        return False
    try:
        at = parse_iso_time(scheduled.get('at'))
    except ValueError:
        return False
    return at == wanted['at'] and scheduled.get('from') == wanted['leader'] and scheduled.get('to') == wanted['candidate']


def takeover_limitations(member, synchronous_mode=False, max_lag=None):
    """Why a replica cannot take over in a switchover (sentences; empty when it can)."""
    reasons = []
    name = member['name']
    if member['state'] not in RUNNING_STATES:
        reasons.append('member %s is %s, not running' % (name, member['state']))
    if _truthy((member.get('tags') or {}).get('nofailover')):
        reasons.append('member %s has the nofailover tag' % name)
    if member['lag'] is None:
        if member['state'] in RUNNING_STATES:
            reasons.append('member %s has unknown replication lag' % name)
    elif max_lag is not None and member['lag'] > max_lag:
        reasons.append('member %s lags %d bytes behind the leader (max_lag_bytes %d)' % (name, member['lag'], max_lag))
    if synchronous_mode and member['role'] != 'sync_standby':
        reasons.append('synchronous_mode is on and member %s is not a synchronous standby' % name)
    return reasons


def plan_switchover(cluster_data, config=None, candidate=None, leader=None, max_lag=None, schedule=None):
    """Decide about a planned switchover from GET /cluster (raw) and GET /config.

    Returns a dict: ``cluster`` (parse_cluster()), ``noop`` (a sentence when
    nothing is to be done: the candidate already leads, or the same switchover
    is already scheduled), ``problems`` (sentences; the switchover must not be
    requested when there are any), ``leader`` (the current leader),
    ``eligible`` (names of the replicas that could take over) and
    ``synchronous_mode``. ``schedule`` is an aware datetime or None.
    """
    cluster = parse_cluster(cluster_data)
    config = config if isinstance(config, dict) else {}
    sync = _truthy(config.get('synchronous_mode'))
    current = cluster['leader']
    members = dict((m['name'], m) for m in cluster['members'])
    plan = dict(cluster=cluster, noop=None, problems=[], leader=current, eligible=[], synchronous_mode=sync)
    problems = plan['problems']

    if candidate is not None and candidate == current:
        plan['noop'] = 'member %s is already the leader' % candidate
        return plan
    scheduled = cluster_data.get('scheduled_switchover')
    if scheduled:
        wanted = dict(at=schedule, leader=leader or current, candidate=candidate) if schedule is not None else None
        if same_schedule(scheduled, wanted):
            plan['noop'] = 'this switchover is already scheduled at %s' % scheduled.get('at')
            return plan
        problems.append('another switchover is already scheduled (%s); cancel it first with DELETE /switchover'
                        % ', '.join('%s %s' % (k, scheduled[k]) for k in ('at', 'from', 'to') if scheduled.get(k)))

    if current is None:
        leaders = [m['name'] for m in cluster['members'] if m['role'] in LEADER_ROLES]
        problems.append('the cluster has more than one leader: %s' % ', '.join(leaders) if leaders else 'the cluster has no leader')
    else:
        if leader is not None and leader != current:
            problems.append('the leader is %s, not %s as expected' % (current, leader))
        if members[current]['state'] not in RUNNING_STATES:
            problems.append('leader %s is %s, not running' % (current, members[current]['state']))
    if cluster_data.get('pause'):
        if candidate is None:
            problems.append('the cluster is paused (maintenance mode); a switchover then needs a candidate')
        if schedule is not None:
            problems.append('the cluster is paused (maintenance mode); a switchover cannot be scheduled')

    replicas = [m for m in cluster['members'] if m['name'] != current and m['role'] not in LEADER_ROLES]
    for member in replicas:
        if not takeover_limitations(member, sync, max_lag):
            plan['eligible'].append(member['name'])
    if candidate is not None:
        if candidate not in members:
            problems.append('candidate %s is not a member of the cluster (members: %s)' % (candidate, ', '.join(sorted(members)) or 'none'))
        elif current is not None:
            problems.extend(takeover_limitations(members[candidate], sync, max_lag))
    elif current is not None and not plan['eligible']:
        if not replicas:
            problems.append('the cluster has no replica to switch over to')
        else:
            reasons = [r for m in replicas for r in takeover_limitations(m, sync, max_lag)]
            problems.append('no replica can take over: %s' % '; '.join(reasons))
    return plan


def switchover_body(leader, candidate=None, scheduled_at=None):
    body = {'leader': leader}
    if candidate is not None:
        body['candidate'] = candidate
    if scheduled_at is not None:
        body['scheduled_at'] = scheduled_at
    return body


def check_credentials(client, path='/switchover'):
    """Check the REST API credentials without acting: POST an empty JSON object.

    Patroni checks the credentials first (401/403, raised as ``auth``) and then
    rejects the empty request with 400 before doing anything.
    """
    try:
        client.request('POST', path, {}, expect_json=False)
    except PatroniApiError as exc:
        if exc.kind == KIND_REJECTED and exc.status == 400:
            return
        raise


def request_switchover(client, leader, candidate=None, scheduled_at=None, loop_wait=10):
    """POST /switchover; returns Patroni's answer (text). Raises PatroniApiError.

    Patroni answers an immediate switchover only once the leader key moved (or
    after about 2 * max(10, loop_wait) seconds), so the request gets that long.
    """
    wait = 2 * max(10, int(normalize_scalar(loop_wait) or 10)) + 5
    poster = PatroniClient(client.base_url, client.username, client.password, max(client.timeout, wait), client.ssl_context)
    response = poster.request('POST', '/switchover', switchover_body(leader, candidate, scheduled_at), expect_json=False)[0]
    return _excerpt(response.text, 500)


def switchover_waiting(cluster, previous_leader, candidate, leader_status, expected):
    """What is still missing after a switchover (sentences; empty when settled).

    Settled: a leader other than ``previous_leader`` (``candidate`` when given) is
    running, and every member in ``expected`` (names) other than it is running
    with known lag on the leader's timeline and streams from the leader
    (``leader_status`` is the leader's GET /patroni, or None).
    """
    waiting = []
    leader = cluster['leader']
    if leader is None or leader == previous_leader:
        return ['the leader is still %s' % (leader or 'not elected')]
    if candidate is not None and leader != candidate:
        return ['%s became the leader instead of %s' % (leader, candidate)]
    members = dict((m['name'], m) for m in cluster['members'])
    if members[leader]['state'] not in RUNNING_STATES:
        return ['new leader %s is %s' % (leader, members[leader]['state'])]
    streaming = set()
    if isinstance(leader_status, dict):
        if leader_status.get('role') not in LEADER_ROLES:
            waiting.append('new leader %s reports role %s' % (leader, leader_status.get('role')))
        for entry in leader_status.get('replication') or []:
            if isinstance(entry, dict) and entry.get('state') == 'streaming':
                streaming.add(entry.get('application_name'))
    else:
        waiting.append('the REST API of new leader %s did not answer' % leader)
    timeline = members[leader]['timeline']
    for name in expected:
        if name == leader:
            continue
        member = members.get(name)
        if member is None:
            waiting.append('member %s is not registered' % name)
        elif member['state'] not in RUNNING_STATES:
            waiting.append('member %s is %s' % (name, member['state']))
        elif member['lag'] is None:
            waiting.append('member %s has unknown lag' % name)
        elif timeline is not None and member['timeline'] is not None and member['timeline'] != timeline:
            waiting.append('member %s is on timeline %s, the leader on %s' % (name, member['timeline'], timeline))
        elif isinstance(leader_status, dict) and name not in streaming:
            waiting.append('member %s does not stream from %s yet' % (name, leader))
    return waiting


def wait_for_switchover(client, previous_leader, candidate, expected, timeout, started, poll=0.5,
                        sleep=time.sleep, clock=time.monotonic):
    """Poll GET /cluster (and the new leader's /patroni) until switchover_waiting() is empty.

    ``started`` is the clock() value when the switchover was requested.
    Returns (cluster, seconds from ``started`` until the new leader was seen
    running or None, waiting sentences; empty when settled within ``timeout``).
    """
    deadline = clock() + timeout
    leader_running = None
    cluster = None
    while True:
        try:
            cluster = parse_cluster(client.get_dict('/cluster'))
            waiting = None
        except PatroniApiError as exc:
            waiting = ['GET /cluster failed: %s' % exc.reason]
        if waiting is None:
            leader = cluster['leader']
            members = dict((m['name'], m) for m in cluster['members'])
            new_leader_ok = (leader is not None and leader != previous_leader and (candidate is None or leader == candidate)
                             and members[leader]['state'] in RUNNING_STATES)
            if new_leader_ok and leader_running is None:
                leader_running = round(clock() - started, 1)
            status = None
            if new_leader_ok and members[leader]['api_url']:
                try:
                    status = client.for_member(members[leader]['api_url']).get_dict('/patroni')
                except PatroniApiError:
                    status = None
            waiting = switchover_waiting(cluster, previous_leader, candidate, status, expected)
        if not waiting or clock() >= deadline:
            return cluster, leader_running, waiting
        sleep(poll)
