# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant catalogue validation, resolution and the admin_passwd hash."""

from __future__ import annotations

import base64
import copy
import hashlib

import pytest

from ansible_collections.odoo_ops.hosting.plugins.filter import tenant_catalog as tc

VERSIONS = ['17.0', '18.0', '19.0']
GROUPS = ['all', 'ungrouped', 'app', 'app_b', 'postgres']
TIERS = {'standard': {'workers': 2}, 'large': {'workers': 6, 'limits': {'cpus': 4, 'memory': '8g'}}}
DEFAULTS = {
    'tenancy': 'dedicated', 'workers': 2, 'max_cron_threads': 1,
    'limits': {'cpus': 2, 'memory': '2g', 'pids': 512},
    'limit_memory_soft': 1610612736, 'limit_memory_hard': 2147483648, 'limit_time_cpu': 600, 'limit_time_real': 1200,
    'modules': [], 'rate_limit': {'average': 50, 'burst': 100}, 'database_manager_allow': [],
}


def tenant(**kw):
    base = {'name': 'acme', 'domains': ['acme.example.com'], 'version': '17.0', 'tier': 'standard', 'placement': 'app',
            'slot': 1, 'admin_password': 'admin-secret', 'db_password': 'db-secret'}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def errors(tenants, groups=None, tiers=None):
    return tc.catalog_errors(tenants, VERSIONS, groups or GROUPS, tiers or TIERS, DEFAULTS)


def test_valid_catalogue_has_no_errors():
    beta = tenant(name='beta_2', domains=['beta.example.com', 'www.beta.example.com'], slot=2, version=18.0, tier='large',
                  modules=['sale', 'project'], database_manager_allow=['10.0.0.0/8', '2001:db8::/32'], tenancy='shared')
    cat = [tenant(), beta]
    assert errors(cat) == []


def test_not_a_list():
    assert errors({'name': 'x'}) == ['odoo_tenants: must be a list of tenants, got dict']


@pytest.mark.parametrize('name', ['a', 'Acme', '1acme', 'acme_', '_acme', 'ac__me', 'ac-me', 'a' * 32, 'acme.co', ''])
def test_invalid_names(name):
    msgs = errors([tenant(name=name)])
    assert any("field 'name'" in m and 'not a valid name' in m for m in msgs), msgs


@pytest.mark.parametrize('name', ['postgres', 'template0', 'template1', 'admin', 'odoo', 'root', 'pg_acme'])
def test_reserved_names(name):
    msgs = errors([tenant(name=name)])
    assert msgs == ["tenant '%s': field 'name': %r is reserved (postgres, template0, template1, admin, odoo, root and anything starting with pg_)"
                    % (name, name)]


def test_duplicates_name_domain_slot():
    cat = [tenant(), tenant(domains=['ACME.example.com'.lower()], slot=1)]
    msgs = errors(cat)
    assert "tenant 'acme': field 'name': also used by tenant #0" in msgs
    assert "tenant 'acme': field 'domains': 'acme.example.com' is also a domain of tenant 'acme'" in msgs
    assert "tenant 'acme': field 'slot': slot 1 in placement 'app' is also used by tenant 'acme'" in msgs


def test_same_slot_in_other_placement_is_fine():
    assert errors([tenant(), tenant(name='beta', domains=['b.example.com'], placement='app_b', slot=1)]) == []


def test_domain_listed_twice_and_invalid():
    msgs = errors([tenant(domains=['a.example.com', 'a.example.com', 'bad_host.example.com', 'UPPER.example.com'])])
    assert "tenant 'acme': field 'domains': 'a.example.com' is listed twice" in msgs
    assert "tenant 'acme': field 'domains': 'bad_host.example.com' is not a valid lowercase host name" in msgs
    assert "tenant 'acme': field 'domains': 'UPPER.example.com' is not a valid lowercase host name" in msgs
    assert errors([tenant(domains=[])]) == ["tenant 'acme': field 'domains': must be a non-empty list of host names, got []"]


def test_unknown_version_tier_tenancy_placement():
    msgs = errors([tenant(version='16.0', tier='gold', tenancy='mixed', placement='nowhere')])
    assert "tenant 'acme': field 'version': '16.0' is not a version this role knows (17.0, 18.0, 19.0)" in msgs
    assert "tenant 'acme': field 'tier': unknown tier 'gold' (known: large, standard)" in msgs
    assert "tenant 'acme': field 'tenancy': must be one of dedicated, shared, got 'mixed'" in msgs
    assert "tenant 'acme': field 'placement': inventory group 'nowhere' does not exist" in msgs


def test_wrong_types():
    msgs = errors([tenant(workers='4', max_cron_threads=0, limits={'cpus': 'two', 'memory': '2 GB', 'pids': 0, 'disk': 1},
                          limit_time_cpu=True, modules='sale', rate_limit={'average': 0}, database_manager_allow=['10.0.0.300/8'],
                          slot=-1)])
    expected = [
        "field 'workers': must be an integer >= 1, got '4'",
        "field 'max_cron_threads': must be an integer >= 1, got 0",
        "field 'limits': unknown keys disk",
        "field 'limits': cpus must be a number > 0, got 'two'",
        "field 'limits': memory must be a size like",
        "field 'limits': pids must be an integer >= 1, got 0",
        "field 'limit_time_cpu': must be an integer >= 1, got True",
        "field 'modules': must be a list of module names, got 'sale'",
        "field 'rate_limit': average must be an integer >= 1, got 0",
        "field 'database_manager_allow': '10.0.0.300/8' is not an IP network in CIDR form",
        "field 'slot': must be an integer from 0 to 999, got -1",
    ]
    for text in expected:
        assert any(text in m for m in msgs), (text, msgs)


def test_memory_order():
    msgs = errors([tenant(limit_memory_soft=3, limit_memory_hard=2, limit_time_cpu=10, limit_time_real=5)])
    assert msgs == ["tenant 'acme': field 'limit_memory_soft': must not exceed limit_memory_hard (3 > 2)",
                    "tenant 'acme': field 'limit_time_cpu': must not exceed limit_time_real (10 > 5)"]


def test_missing_required_and_secrets():
    msgs = errors([tenant(db_password=_DROP, admin_password='', slot=_DROP)])
    assert "tenant 'acme': field 'db_password': secret missing (set it from Vault, e.g. \"{{ vault_tenants.acme.db_password }}\")" in msgs
    assert "tenant 'acme': field 'admin_password': secret missing (set it from Vault, e.g. \"{{ vault_tenants.acme.admin_password }}\")" in msgs
    assert "tenant 'acme': field 'slot': is required" in msgs
    assert not any('must be an integer from 0' in m for m in msgs)


def test_secret_with_newline():
    assert errors([tenant(db_password='a\nb')]) == [
        "tenant 'acme': field 'db_password': must not contain line breaks or leading/trailing spaces"]


class _Raising(dict):
    """Like Ansible's lazy dict when a value is an undefined Vault variable."""

    def get(self, key, default=None):
        if key == 'db_password':
            raise KeyError("'vault_tenants' is undefined")
        return super().get(key, default)


def test_unreadable_secret_is_named():
    msgs = errors([_Raising(tenant())])
    assert msgs == ["tenant 'acme': field 'db_password': secret missing (\"'vault_tenants' is undefined\")"]


def test_unknown_field_and_nameless_tenant():
    msgs = errors([tenant(worker=3), {'domains': ['x.example.com']}, 'oops'])
    assert any("tenant 'acme': field 'worker': unknown field" in m for m in msgs)
    assert "tenant #1: field 'name': is required" in msgs
    assert "tenant #1: field 'version': is required" in msgs
    assert 'tenant #2: must be a dict, got str' in msgs


def test_placement_not_checked_without_groups():
    assert tc.catalog_errors([tenant(placement='anything')], VERSIONS, None, None, DEFAULTS) == []


def test_catalog_resolution():
    out = tc.catalog([tenant(version=18.0, tier='large', limits={'pids': 64}), tenant(name='b', image='reg/odoo:17.0-custom', slot=3)],
                     TIERS, DEFAULTS, 'odoo', 18000)
    assert out[0]['version'] == '18.0' and out[0]['image'] == 'odoo:18.0'
    assert out[0]['workers'] == 6 and out[0]['limits'] == {'cpus': 4, 'memory': '8g', 'pids': 64}
    assert (out[0]['port'], out[0]['websocket_port']) == (18010, 18011)
    assert out[1]['image'] == 'reg/odoo:17.0-custom' and out[1]['port'] == 18030
    assert out[1]['tenancy'] == 'dedicated'


def _verify(password, stored):
    """Independent check of the passlib pbkdf2_sha512 format."""
    dummy, scheme, rounds, salt, digest = stored.split('$')
    assert dummy == ''
    assert scheme == 'pbkdf2-sha512'

    def unb64(s):
        return base64.b64decode(s.replace('.', '+') + '=' * (-len(s) % 4))

    return hashlib.pbkdf2_hmac('sha512', password.encode(), unb64(salt), int(rounds)) == unb64(digest)


def test_admin_passwd_hash_is_deterministic_and_verifiable():
    one = tc.admin_passwd_hash('s3cret', 'acme', rounds=1000)
    assert one == tc.admin_passwd_hash('s3cret', 'acme', rounds=1000)
    assert one != tc.admin_passwd_hash('s3cret', 'beta', rounds=1000)
    assert one.split('$')[3] != tc.admin_passwd_hash('other', 'acme', rounds=1000).split('$')[3]
    assert one.startswith('$pbkdf2-sha512$1000$')
    assert _verify('s3cret', one) and not _verify('wrong', one)
    with pytest.raises(ValueError):
        tc.admin_passwd_hash('', 'acme')
    with pytest.raises(ValueError):
        tc.admin_passwd_hash('x', 'acme', rounds=10)


def test_filter_plugin_exports():
    filters = tc.FilterModule().filters()
    assert set(filters) == {'tenant_catalog_errors', 'tenant_catalog', 'odoo_admin_passwd_hash'}
    assert filters['tenant_catalog_errors'](copy.deepcopy([tenant()]), VERSIONS, GROUPS, TIERS, DEFAULTS) == []


@pytest.mark.parametrize('state', ['active', 'suspended'])
def test_state_is_valid(state):
    assert errors([tenant(state=state)]) == []


@pytest.mark.parametrize('state', ['stopped', 'absent', 'SUSPENDED', '', True, 1])
def test_state_invalid(state):
    assert errors([tenant(state=state)]) == [
        "tenant 'acme': field 'state': must be one of active, suspended, got %r" % (state,)]


def test_state_defaults_to_active_and_can_come_from_a_tier():
    resolved = tc.catalog([tenant(), tenant(name='beta', slot=2, state='suspended')], TIERS, DEFAULTS)
    assert [t['state'] for t in resolved] == ['active', 'suspended']
    tiers = dict(TIERS, frozen={'state': 'suspended'})
    assert tc.catalog([tenant(tier='frozen')], tiers, DEFAULTS)[0]['state'] == 'suspended'
    assert errors([tenant(tier='frozen')], tiers=tiers) == []
