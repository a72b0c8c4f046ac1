#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: odoo_health
short_description: Synthetic HTTP(S) health check of an Odoo tenant through its ingress
version_added: 0.1.0
description:
  - Sends HTTP(S) requests to an Odoo tenant, typically C(/web/health) behind the ingress, and checks
    the status code, the body and JSON keys of the answer.
  - The TCP connection goes to O(url) (or O(host)/O(port)) while O(host_header) is sent as the Host header
    and used as the TLS server name (SNI and certificate hostname check), so one can probe a given ingress
    address for C(tenant.example.com) without DNS.
  - Retries the whole request up to O(retries) times, O(delay) seconds apart, until it meets the expectations.
  - Fails with a message naming the tenant, the URL, the status and the reason, unless O(fail_on_unhealthy=false).
  - The module only reads. It never reports C(changed), and it runs the check in check mode too.
  - Uses only the Python standard library (C(http.client), C(ssl)), so it needs nothing on the managed host.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  url:
    description:
      - Full URL to request, for example C(https://10.0.0.5/web/health?db_server_status=1).
      - Mutually exclusive with O(host), O(port), O(path) and O(scheme). One of O(url) and O(host) is required.
    type: str
  host:
    description:
      - Address (IP or name) to connect to, used with O(scheme), O(port) and O(path) to build the URL.
    type: str
  port:
    description:
      - TCP port to connect to. Defaults to 443 for https and 80 for http.
    type: int
  path:
    description:
      - Path and query string to request. Defaults to C(/web/health).
    type: str
  scheme:
    description:
      - Scheme used with O(host). Defaults to V(https).
    type: str
    choices: [http, https]
  host_header:
    description:
      - Name of the tenant, sent as the Host header and, for https, as TLS SNI and the name the certificate must match.
      - May carry a port (C(tenant.example.com:8443)); the port is not part of the TLS server name.
      - When not set, a C(Host) entry of O(headers) plays this role; otherwise the host of the URL is used.
    type: str
  method:
    description:
      - HTTP method.
    type: str
    choices: [GET, HEAD, POST]
    default: GET
  headers:
    description:
      - Extra request headers. O(host_header) takes precedence over a C(Host) entry here.
    type: dict
  body:
    description:
      - Request body, for example a JSON-RPC payload with O(method=POST). Set C(Content-Type) in O(headers).
    type: str
  expected_status:
    description:
      - HTTP status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  expected_body:
    description:
      - Regular expression (Python C(re) syntax) the body must match somewhere (C(re.search)).
    type: str
  expected_json:
    description:
      - Keys and values the body, parsed as JSON, must contain.
      - A key is looked up at the top level first, then as a dotted path (C(a.b.0.c)).
      - Values are compared with their JSON types; V(true) does not match C(1).
    type: dict
  retries:
    description:
      - Extra attempts after a failed one (network error or unmet expectation). V(0) tries once.
    type: int
    default: 0
  delay:
    description:
      - Seconds to wait between attempts.
    type: float
    default: 2
  fail_on_unhealthy:
    description:
      - Fail the task when the tenant is unhealthy. With V(false) the task succeeds and RV(ok) tells the outcome.
      - Invalid options (bad URL, unreadable CA file, bad regular expression) always fail.
    type: bool
    default: true
extends_documentation_fragment:
  - odoo_ops.hosting.http_client
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module is read-only; the check runs in check mode as well.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - >-
    Recent Odoo versions answer C(/web/health) with C({"status": "pass"}). Asked with C(?db_server_status=1),
    they add C("db_server_status") and answer 500 with C({"status": "fail", "db_server_status": false}) when
    the database server is unreachable. Check what your Odoo version serves before relying on it.
seealso:
  - module: ansible.builtin.uri
  - module: ansible.builtin.wait_for
"""

EXAMPLES = r"""
- name: Check a tenant through the ingress address, with the estate CA
  odoo_ops.hosting.odoo_health:
    url: https://10.0.0.5/web/health?db_server_status=1
    host_header: acme.example.com
    ca_path: /etc/odoo-ops/ca.pem
    expected_json:
      status: pass
      db_server_status: true
    retries: 5
    delay: 3

- name: Same check built from parts, only reporting
  odoo_ops.hosting.odoo_health:
    host: 10.0.0.5
    path: /web/health?db_server_status=1
    host_header: acme.example.com
    fail_on_unhealthy: false
  register: acme_health

- name: Show the outcome
  ansible.builtin.debug:
    msg: "{{ acme_health.ok }} {{ acme_health.status }} {{ acme_health.latency_ms }} ms {{ acme_health.reason }}"

- name: The login page renders (plain http, straight to an Odoo container)
  odoo_ops.hosting.odoo_health:
    url: http://127.0.0.1:8069/web/login
    expected_body: 'name="login"'
    timeout: 5

- name: JSON-RPC version call
  odoo_ops.hosting.odoo_health:
    url: https://acme.example.com/web/webclient/version_info
    method: POST
    headers:
      Content-Type: application/json
    body: '{"jsonrpc": "2.0", "method": "call", "params": {}}'
    expected_body: '"server_serie"'
"""

RETURN = r"""
ok:
  description: Whether the last attempt met every expectation.
  returned: always
  type: bool
  sample: false
status:
  description: HTTP status of the last attempt, or V(-1) when no HTTP response was received.
  returned: always
  type: int
  sample: 500
reason:
  description:
    - Why the last attempt failed; empty when RV(ok).
    - For example C(DNS lookup of x failed), C(connection refused by 10.0.0.5:443),
      C(TLS certificate verification failed for acme.example.com at 10.0.0.5:443 ...), C(timed out after 5.0s ...),
      C(unexpected status 500 (expected 200)), C(body did not match /re/), C(json key status was "fail" expected "pass").
  returned: always
  type: str
  sample: 'json key db_server_status was false expected true'
latency_ms:
  description: Duration of the last attempt in milliseconds (until the error when there was no response).
  returned: always
  type: float
  sample: 12.7
attempts:
  description: Number of requests made.
  returned: always
  type: int
  sample: 3
url:
  description: The URL requested, with an explicit port.
  returned: always
  type: str
  sample: https://10.0.0.5:443/web/health?db_server_status=1
body_excerpt:
  description: First 512 characters of the last response body (undecodable bytes replaced); empty without a response.
  returned: always
  type: str
  sample: '{"status": "fail", "db_server_status": false}'
headers:
  description: Headers of the last response, names in lower case; repeated headers joined with C(, ).
  returned: always
  type: dict
  sample: {"content-type": "application/json", "content-length": "46"}
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.http_check import (  # noqa: E402
    KIND_BODY,
    KIND_JSON,
    KIND_STATUS,
    HttpConfigError,
    build_url,
    compile_body_pattern,
    http_client_argument_spec,
    make_ssl_context,
    run_check,
    split_url,
)

MODULE = 'odoo_health'


def argument_spec():
    spec = dict(
        url=dict(type='str'),
        host=dict(type='str'),
        port=dict(type='int'),
        path=dict(type='str'),
        scheme=dict(type='str', choices=['http', 'https']),
        host_header=dict(type='str'),
        method=dict(type='str', choices=['GET', 'HEAD', 'POST'], default='GET'),
        headers=dict(type='dict'),
        body=dict(type='str'),
        expected_status=dict(type='list', elements='int', default=[200]),
        expected_body=dict(type='str'),
        expected_json=dict(type='dict'),
        retries=dict(type='int', default=0),
        delay=dict(type='float', default=2.0),
        fail_on_unhealthy=dict(type='bool', default=True),
    )
    spec.update(http_client_argument_spec())
    return spec


def target_url(params):
    """The URL to probe, from url or from host/port/path/scheme; raises HttpConfigError."""
    if params['url']:
        split_url(params['url'])
        return params['url']
    port = params['port']
    if port is not None and not 0 < port < 65536:
        raise HttpConfigError('port must be between 1 and 65535, got %s' % port)
    return build_url(params['scheme'] or 'https', params['host'], port, params['path'] or '/web/health')


def check_numbers(params):
    if params['retries'] < 0:
        raise HttpConfigError('retries must be 0 or more, got %s' % params['retries'])
    if params['delay'] < 0:
        raise HttpConfigError('delay must be 0 or more, got %s' % params['delay'])
    if params['timeout'] <= 0:
        raise HttpConfigError('timeout must be more than 0, got %s' % params['timeout'])
    bad = [s for s in params['expected_status'] if not 100 <= s <= 599]
    if bad or not params['expected_status']:
        raise HttpConfigError('expected_status must list HTTP status codes (100-599), got %s' % params['expected_status'])


def describe(params, result):
    """A message naming the tenant, the URL, the outcome and the reason."""
    tenant = params['host_header'] or next((v for k, v in (params['headers'] or {}).items() if k.lower() == 'host'), None)
    who = 'tenant %s via %s' % (tenant, result.url) if tenant else result.url
    tries = '%d attempt%s' % (result.attempts, '' if result.attempts == 1 else 's')
    if result.ok:
        return '%s: %s answered %s in %s ms after %s' % (MODULE, who, result.status, result.latency_ms, tries)
    excerpt = ' '.join(result.body_excerpt.split())[:300]
    if result.failure == KIND_STATUS:
        return '%s: %s answered %s after %s: %s' % (MODULE, who, result.status, tries, excerpt or result.reason)
    if result.failure in (KIND_BODY, KIND_JSON):
        return '%s: %s answered %s after %s but %s: %s' % (MODULE, who, result.status, tries, result.reason, excerpt)
    return '%s: %s failed after %s: %s' % (MODULE, who, tries, result.reason)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('url', 'host'), ('url', 'port'), ('url', 'path'), ('url', 'scheme')],
        required_one_of=[('url', 'host')],
        required_by={'client_key': 'client_cert'},
        supports_check_mode=True,
    )
    params = module.params

    # Read-only: the same check runs with and without check mode.
    try:
        url = target_url(params)
        check_numbers(params)
        expected_body = compile_body_pattern(params['expected_body'])
        context = None
        if url.lower().startswith('https:'):
            context = make_ssl_context(params['validate_certs'], params['ca_path'], params['client_cert'], params['client_key'])
        result = run_check(
            url,
            expected_status=params['expected_status'],
            expected_body=expected_body,
            expected_json=params['expected_json'],
            retries=params['retries'],
            delay=params['delay'],
            method=params['method'],
            headers=params['headers'],
            body=params['body'],
            host_header=params['host_header'],
            timeout=params['timeout'],
            ssl_context=context,
        )
    except HttpConfigError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc), ok=False)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), ok=False, exception=traceback.format_exc())

    output = result.to_dict()
    output['changed'] = False
    msg = describe(params, result)
    if not result.ok and params['fail_on_unhealthy']:
        module.fail_json(msg=msg, **output)
    module.exit_json(msg=msg, **output)


if __name__ == '__main__':
    main()
