# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""odoo_health run in-process against real servers on 127.0.0.1 (see tests/unit/conftest.py)."""

from __future__ import annotations

import time

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.odoo_ops.hosting.plugins.modules import odoo_health
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

TENANT = 'tenant.test'
RETURN_KEYS = {'ok', 'status', 'reason', 'latency_ms', 'attempts', 'url', 'body_excerpt', 'headers'}


def run(args, check_mode=False):
    return run_module(odoo_health.main, args, check_mode=check_mode)


def test_healthy_tenant_over_https(https_server, pki):
    result = run({
        'url': https_server.url('/web/health?db_server_status=1'),
        'host_header': TENANT,
        'ca_path': pki['ca'],
        'expected_json': {'status': 'pass', 'db_server_status': True},
    })
    assert result['failed'] is False and result['changed'] is False
    assert set(result) >= RETURN_KEYS
    assert result['ok'] is True and result['status'] == 200 and result['attempts'] == 1 and result['reason'] == ''
    assert result['url'] == 'https://127.0.0.1:%d/web/health?db_server_status=1' % https_server.port
    assert result['headers']['content-type'] == 'application/json'
    assert result['latency_ms'] > 0
    assert https_server.requests[0]['sni'] == TENANT and https_server.requests[0]['host'] == TENANT
    assert result['msg'].startswith('odoo_health: tenant tenant.test via https://127.0.0.1:%d/web/health' % https_server.port)


def test_url_built_from_host_port_path_scheme(http_server):
    result = run({'host': '127.0.0.1', 'port': http_server.port, 'scheme': 'http'})
    assert result['ok'] is True
    assert result['url'] == 'http://127.0.0.1:%d/web/health' % http_server.port
    result = run({'host': '127.0.0.1', 'port': http_server.port, 'scheme': 'http', 'path': 'text', 'expected_body': 'name="login"'})
    assert result['ok'] is True and result['url'].endswith('/text')


def test_unexpected_status_fails_with_actionable_message(http_server):
    result = run({'url': http_server.url('/status/500'), 'host_header': 'acme.example.com', 'retries': 2, 'delay': 0})
    assert result['failed'] is True and result['changed'] is False
    assert result['ok'] is False and result['status'] == 500 and result['attempts'] == 3
    assert result['reason'] == 'unexpected status 500 (expected 200)'
    assert result['msg'] == ('odoo_health: tenant acme.example.com via http://127.0.0.1:%d/status/500 answered 500 after 3 attempts: '
                             '{"status": "fail", "db_server_status": false}' % http_server.port)


def test_host_entry_of_headers_names_the_tenant(https_server, pki):
    result = run({'url': https_server.url('/status/502'), 'headers': {'Host': TENANT}, 'ca_path': pki['ca']})
    assert result['failed'] is True and https_server.requests[0]['sni'] == TENANT
    assert result['msg'].startswith('odoo_health: tenant tenant.test via https://127.0.0.1:')


def test_expected_status_list(http_server):
    assert run({'url': http_server.url('/status/204'), 'expected_status': [200, 204]})['ok'] is True


def test_body_regex_mismatch(http_server):
    result = run({'url': http_server.url('/text'), 'expected_body': r'Database \w+ ready'})
    assert result['failed'] is True and result['status'] == 200
    assert result['reason'] == r'body did not match /Database \w+ ready/'
    assert 'answered 200 after 1 attempt but body did not match' in result['msg']


def test_json_mismatch(http_server):
    result = run({'url': http_server.url('/web/health?db_server_status=1'), 'expected_json': {'db_server_status': False}})
    assert result['failed'] is True
    assert result['reason'] == 'json key db_server_status was true expected false'


def test_json_string_values_from_yaml(http_server):
    result = run({'url': http_server.url('/web/health'), 'expected_json': {'status': 'pass'}})
    assert result['ok'] is True


def test_retries_count_until_healthy(http_server):
    result = run({'url': http_server.url('/flaky/mod/2'), 'retries': 3, 'delay': 0.05})
    assert result['failed'] is False and result['ok'] is True
    assert result['attempts'] == 3 and result['status'] == 200
    assert len(http_server.requests) == 3


def test_timeout(http_server):
    started = time.monotonic()
    result = run({'url': http_server.url('/sleep/2'), 'timeout': 0.3})
    assert time.monotonic() - started < 1.5
    assert result['failed'] is True and result['status'] == -1
    assert result['reason'].startswith('timed out after 0.3s waiting for the response')
    assert result['msg'].endswith('failed after 1 attempt: ' + result['reason'])


def test_connection_refused(closed_port):
    result = run({'url': 'https://127.0.0.1:%d/web/health' % closed_port, 'retries': 1, 'delay': 0})
    assert result['failed'] is True and result['status'] == -1 and result['attempts'] == 2
    assert result['reason'] == 'connection refused by 127.0.0.1:%d' % closed_port
    assert result['msg'] == 'odoo_health: https://127.0.0.1:%d/web/health failed after 2 attempts: connection refused by 127.0.0.1:%d' % (
        closed_port, closed_port)


def test_tls_without_ca_fails(https_server):
    result = run({'url': https_server.url('/web/health'), 'host_header': TENANT})
    assert result['failed'] is True and result['status'] == -1
    assert result['reason'].startswith('TLS certificate verification failed for tenant.test')


def test_tls_wrong_hostname_fails(https_server, pki):
    result = run({'url': https_server.url('/web/health'), 'host_header': 'wrong.test', 'ca_path': pki['ca']})
    assert result['failed'] is True
    assert 'wrong.test' in result['reason'] and 'TLS certificate verification failed' in result['reason']


def test_tls_validate_certs_false(https_server):
    result = run({'url': https_server.url('/web/health'), 'host_header': TENANT, 'validate_certs': False})
    assert result['ok'] is True


def test_client_certificate(mtls_server, pki):
    args = {'url': mtls_server.url('/web/health'), 'host_header': TENANT, 'ca_path': pki['ca']}
    assert run(args)['failed'] is True
    result = run(dict(args, client_cert=pki['client_cert'], client_key=pki['client_key']))
    assert result['ok'] is True


def test_check_mode_runs_the_read_only_check(http_server):
    result = run({'url': http_server.url('/web/health')}, check_mode=True)
    assert result['failed'] is False and result['changed'] is False and result['ok'] is True
    assert len(http_server.requests) == 1
    result = run({'url': http_server.url('/status/503')}, check_mode=True)
    assert result['failed'] is True and result['status'] == 503


def test_fail_on_unhealthy_false_only_reports(http_server):
    result = run({'url': http_server.url('/status/503'), 'fail_on_unhealthy': False})
    assert result['failed'] is False and result['changed'] is False
    assert result['ok'] is False and result['status'] == 503
    assert 'answered 503' in result['msg']


def test_head_and_post(http_server):
    assert run({'url': http_server.url('/web/health'), 'method': 'HEAD'})['ok'] is True
    result = run({
        'url': http_server.url('/echo'), 'method': 'POST', 'body': '{"jsonrpc": "2.0"}',
        'headers': {'Content-Type': 'application/json'}, 'expected_json': {'method': 'POST', 'body': '{"jsonrpc": "2.0"}'},
    })
    assert result['ok'] is True, result['reason']


@pytest.mark.parametrize('args, message', [
    ({}, 'one of the following is required: url, host'),
    ({'url': 'http://a/', 'host': 'b'}, 'parameters are mutually exclusive: url|host'),
    ({'url': 'http://a/', 'path': '/x'}, 'parameters are mutually exclusive: url|path'),
    ({'url': 'http://a/', 'method': 'DELETE'}, 'value of method must be one of: GET, HEAD, POST'),
    ({'url': 'http://a/', 'client_key': '/k.pem'}, 'missing parameter(s) required by \'client_key\': client_cert'),
    ({'url': 'http://a/', 'retries': 'many'}, "argument 'retries' is of type"),
    ({'url': 'ftp://a/'}, 'odoo_health: invalid URL'),
    ({'host': 'a', 'port': 0}, 'odoo_health: port must be between 1 and 65535'),
    ({'url': 'http://a/', 'retries': -1}, 'odoo_health: retries must be 0 or more'),
    ({'url': 'http://a/', 'timeout': 0}, 'odoo_health: timeout must be more than 0'),
    ({'url': 'http://a/', 'expected_status': [42]}, 'odoo_health: expected_status must list HTTP status codes'),
    ({'url': 'http://a/', 'expected_body': '('}, 'odoo_health: expected_body'),
    ({'url': 'https://a/', 'ca_path': '/nonexistent/ca.pem'}, 'odoo_health: cannot load TLS files'),
])
def test_invalid_arguments(args, message):
    result = run(dict(args, fail_on_unhealthy=False))
    assert result['failed'] is True
    assert message in result['msg']


def test_helper_passes_check_mode():
    seen = {}

    def main():
        module = AnsibleModule(argument_spec={}, supports_check_mode=True)
        seen['check_mode'] = module.check_mode
        module.exit_json()

    assert run_module(main, {}, check_mode=True)['failed'] is False
    assert seen == {'check_mode': True}
