# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""http_check against real servers on 127.0.0.1 (see tests/unit/conftest.py)."""

from __future__ import annotations

import re
import time

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils import http_check
from ansible_collections.odoo_ops.hosting.plugins.module_utils.http_check import (
    HttpCheckError,
    HttpConfigError,
    HttpResponse,
    build_url,
    evaluate_response,
    http_request,
    make_ssl_context,
    normalize_url,
    run_check,
    sni_hostname,
    split_url,
)

TENANT = 'tenant.test'


def response(status=200, body=b'{"status": "pass"}'):
    return HttpResponse(status, 'OK', {}, body, 1.0)


# --- URLs and names -------------------------------------------------------------------------


@pytest.mark.parametrize('url, expected', [
    ('https://10.0.0.5/web/health?db_server_status=1', ('https', '10.0.0.5', 443, '/web/health?db_server_status=1')),
    ('http://odoo:8069', ('http', 'odoo', 8069, '/')),
    ('HTTPS://[::1]:8443/x', ('https', '::1', 8443, '/x')),
])
def test_split_url(url, expected):
    assert split_url(url) == expected


@pytest.mark.parametrize('url', ['ftp://host/', 'host/web/health', 'https:///nohost', 'http://host:99999/'])
def test_split_url_rejects(url):
    with pytest.raises(HttpConfigError):
        split_url(url)


def test_build_and_normalize_url():
    assert build_url('https', '10.0.0.5', None, 'web/health') == 'https://10.0.0.5:443/web/health'
    assert build_url('http', '::1', 8069, '/') == 'http://[::1]:8069/'
    assert normalize_url('https://acme.example.com/web/health') == 'https://acme.example.com:443/web/health'
    with pytest.raises(HttpConfigError):
        build_url('gopher', 'h')


@pytest.mark.parametrize('value, expected', [
    ('tenant.test', 'tenant.test'),
    ('tenant.test:8443', 'tenant.test'),
    ('[::1]:443', '::1'),
    (None, None),
])
def test_sni_hostname(value, expected):
    assert sni_hostname(value) == expected


# --- expectations ---------------------------------------------------------------------------


def test_evaluate_status():
    assert evaluate_response(response(200)) == (None, '')
    assert evaluate_response(response(500)) == ('status', 'unexpected status 500 (expected 200)')
    assert evaluate_response(response(204), expected_status=[200, 204]) == (None, '')


def test_evaluate_body_regex():
    assert evaluate_response(response(), expected_body=r'"status":\s*"pass"') == (None, '')
    assert evaluate_response(response(), expected_body='fail') == ('body', 'body did not match /fail/')
    with pytest.raises(HttpConfigError):
        evaluate_response(response(), expected_body='(')


def test_evaluate_json():
    body = b'{"status": "fail", "db_server_status": false, "nested": {"items": [{"n": 1}]}}'
    assert evaluate_response(response(body=body), expected_json={'nested.items.0.n': 1}) == (None, '')
    assert evaluate_response(response(body=body), expected_json={'status': 'pass'}) == (
        'json', 'json key status was "fail" expected "pass"')
    assert evaluate_response(response(body=body), expected_json={'missing': True}) == (
        'json', 'json key missing is missing, expected true')
    # false is not 0 and true is not 1
    assert evaluate_response(response(body=body), expected_json={'db_server_status': 0}) == (
        'json', 'json key db_server_status was false expected 0')
    kind, reason = evaluate_response(response(body=b'<html>'), expected_json={'status': 'pass'})
    assert kind == 'json' and reason.startswith('body is not JSON')


# --- real requests ----------------------------------------------------------------------------


def test_http_request_sends_method_headers_body_and_host(http_server):
    resp = http_request(http_server.url('/echo'), method='POST', headers={'X-Trace': 'abc', 'user-agent': 'probe/1'},
                        body='{"a": 1}', host_header='acme.example.com')
    echo = resp.json()
    assert resp.status == 200
    assert echo['method'] == 'POST'
    assert echo['host'] == 'acme.example.com'
    assert echo['headers']['x-trace'] == 'abc'
    assert echo['headers']['user-agent'] == 'probe/1'
    assert echo['body'] == '{"a": 1}'
    assert resp.headers['content-type'] == 'application/json'
    assert resp.headers['x-test'] == 'one, two'
    assert resp.latency_ms > 0


def test_http_request_default_host_header(http_server):
    echo = http_request(http_server.url('/echo')).json()
    assert echo['host'] == '127.0.0.1:%d' % http_server.port
    assert echo['headers']['user-agent'] == http_check.DEFAULT_USER_AGENT


def test_http_request_head_has_no_body(http_server):
    resp = http_request(http_server.url('/web/health'), method='HEAD')
    assert resp.status == 200 and resp.body == b''


def test_http_request_truncates_body(http_server):
    resp = http_request(http_server.url('/big'), max_body_bytes=1000)
    assert len(resp.body) == 1000 and resp.truncated


def test_https_sni_and_host_from_host_header(https_server, pki):
    context = make_ssl_context(ca_path=pki['ca'])
    echo = http_request(https_server.url('/echo'), host_header='%s:%d' % (TENANT, https_server.port), ssl_context=context).json()
    assert echo['sni'] == TENANT
    assert echo['host'] == '%s:%d' % (TENANT, https_server.port)


def test_https_sni_from_host_entry_of_headers(https_server, pki):
    context = make_ssl_context(ca_path=pki['ca'])
    echo = http_request(https_server.url('/echo'), headers={'host': TENANT}, ssl_context=context).json()
    assert echo['sni'] == TENANT and echo['host'] == TENANT


def test_https_without_ca_fails_verification(https_server):
    with pytest.raises(HttpCheckError) as err:
        http_request(https_server.url('/web/health'), host_header=TENANT, ssl_context=make_ssl_context())
    assert err.value.kind == 'tls'
    assert 'TLS certificate verification failed for tenant.test' in err.value.reason
    assert 'unable to get local issuer certificate' in err.value.reason


def test_https_wrong_name_fails_verification(https_server, pki):
    with pytest.raises(HttpCheckError) as err:
        http_request(https_server.url('/web/health'), host_header='wrong.test', ssl_context=make_ssl_context(ca_path=pki['ca']))
    assert err.value.kind == 'tls'
    assert re.search(r"[Hh]ostname mismatch.*'wrong\.test'", err.value.reason)


def test_https_unverified_still_sends_sni(https_server):
    resp = http_request(https_server.url('/echo'), host_header='other.test', ssl_context=make_ssl_context(validate_certs=False))
    assert resp.status == 200 and resp.json()['sni'] == 'other.test'


def test_mtls_with_and_without_client_certificate(mtls_server, pki):
    good = make_ssl_context(ca_path=pki['ca'], client_cert=pki['client_cert'], client_key=pki['client_key'])
    assert http_request(mtls_server.url('/web/health'), host_header=TENANT, ssl_context=good).status == 200
    combined = make_ssl_context(ca_path=pki['ca'], client_cert=pki['client_combined'])
    assert http_request(mtls_server.url('/web/health'), host_header=TENANT, ssl_context=combined).status == 200
    with pytest.raises(HttpCheckError) as err:
        http_request(mtls_server.url('/web/health'), host_header=TENANT, ssl_context=make_ssl_context(ca_path=pki['ca']))
    # TLS 1.3: the server's refusal arrives after the handshake, as an alert or as a bare close,
    # depending on timing; sending the request may also hit the closed connection.
    assert err.value.kind in ('tls', 'connect'), err.value.reason


def test_make_ssl_context_rejects_missing_files(tmp_path):
    with pytest.raises(HttpConfigError, match='cannot load TLS files'):
        make_ssl_context(ca_path=str(tmp_path / 'missing.pem'))
    with pytest.raises(HttpConfigError):
        make_ssl_context(client_cert=str(tmp_path / 'missing.pem'))


def test_connection_refused(closed_port):
    with pytest.raises(HttpCheckError) as err:
        http_request('http://127.0.0.1:%d/' % closed_port, timeout=2)
    assert err.value.kind == 'refused'
    assert err.value.reason == 'connection refused by 127.0.0.1:%d' % closed_port


def test_dns_failure():
    with pytest.raises(HttpCheckError) as err:
        http_request('http://no-such-host.invalid/', timeout=2)
    assert err.value.kind == 'dns'
    assert err.value.reason.startswith('DNS lookup of no-such-host.invalid failed')


def test_timeout_waiting_for_response(http_server):
    started = time.monotonic()
    with pytest.raises(HttpCheckError) as err:
        http_request(http_server.url('/sleep/2'), timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert err.value.kind == 'timeout'
    assert err.value.reason == 'timed out after 0.3s waiting for the response from 127.0.0.1:%d' % http_server.port


def test_timeout_during_tls_handshake(silent_port):
    started = time.monotonic()
    with pytest.raises(HttpCheckError) as err:
        http_request('https://127.0.0.1:%d/' % silent_port, host_header=TENANT, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert err.value.kind == 'timeout'
    assert err.value.reason == 'timed out after 0.3s connecting to 127.0.0.1:%d' % silent_port


# --- run_check -----------------------------------------------------------------------------


def test_run_check_pass(http_server):
    result = run_check(http_server.url('/web/health?db_server_status=1'), expected_json={'status': 'pass', 'db_server_status': True})
    assert result.ok and result.attempts == 1 and result.status == 200 and result.reason == ''
    assert result.to_dict()['body_excerpt'] == '{"status": "pass", "db_server_status": true}'


def test_run_check_retries_until_healthy(http_server):
    sleeps = []
    result = run_check(http_server.url('/flaky/a/2'), retries=3, delay=0.5, sleep=sleeps.append)
    assert result.ok and result.attempts == 3
    assert sleeps == [0.5, 0.5]
    assert len(http_server.requests) == 3


def test_run_check_gives_up_after_retries(http_server):
    result = run_check(http_server.url('/flaky/b/5'), retries=1, delay=0)
    assert not result.ok and result.attempts == 2 and result.status == 503
    assert result.failure == 'status' and result.reason == 'unexpected status 503 (expected 200)'


def test_run_check_without_response(closed_port):
    result = run_check('http://127.0.0.1:%d/web/health' % closed_port, retries=1, delay=0)
    assert not result.ok and result.attempts == 2 and result.status == -1
    assert result.failure == 'refused' and result.body_excerpt == '' and result.headers == {}
    assert result.url == 'http://127.0.0.1:%d/web/health' % closed_port


def test_run_check_body_excerpt_is_512_characters(http_server):
    result = run_check(http_server.url('/big'))
    assert result.ok and result.body_excerpt == 'x' * 512
