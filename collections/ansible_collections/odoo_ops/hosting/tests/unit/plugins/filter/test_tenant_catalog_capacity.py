# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant catalogue: memory sizes, tiers per tenancy, tenancy rules and host capacity (issue #5)."""

from __future__ import annotations

import pytest

from ansible_collections.odoo_ops.hosting.plugins.filter import tenant_catalog as tc

VERSIONS = ['17.0', '18.0', '19.0']
TIERS = {'small': {'limits': {'cpus': 1, 'memory': '1536m'}}, 'standard': {}, 'large': {'limits': {'cpus': 4, 'memory': '8g'}}}
DEFAULTS = {
    'tenancy': 'shared', 'workers': 2, 'max_cron_threads': 1,
    'limits': {'cpus': 1, 'memory': '1g', 'pids': 512},
    'limit_memory_soft': 1610612736, 'limit_memory_hard': 2147483648, 'limit_time_cpu': 600, 'limit_time_real': 1200,
    'modules': [], 'rate_limit': {'average': 50, 'burst': 100}, 'database_manager_allow': [],
}
# Ansible's `groups`: group -> hosts (children's hosts included).
GROUPS = {
    'all': ['app1', 'app2', 'app3', 'db1'], 'ungrouped': [], 'app': ['app1', 'app2', 'app3'],
    'shared_pool': ['app1'], 'pool_b': ['app1', 'app2'], 'solo': ['app3'], 'solo_wide': ['app2', 'app3'],
    'empty': [], 'dedicated': ['app3'], 'shared': ['app1', 'app2'], 'postgres': ['db1'],
}
BIG = {'memory_mb': 1 << 20, 'vcpus': 64}


def tenant(name, slot, **kw):
    base = {'name': name, 'domains': ['%s.example.com' % name], 'version': '17.0', 'tier': 'standard',
            'placement': 'shared_pool', 'slot': slot, 'admin_password': 'admin-secret', 'db_password': 'db-secret'}
    base.update(kw)
    return base


def errors(tenants, hosts=None, groups=None, **kw):
    return tc.catalog_errors(tenants, VERSIONS, GROUPS if groups is None else groups, TIERS, DEFAULTS, hosts=hosts, **kw)


def everywhere(**size):
    """Every app host with this size (default: big enough for anything)."""
    return {host: dict(size or BIG) for host in GROUPS['app']}


# --- memory sizes as Docker reads them ----------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('2g', 2 << 30), ('2G', 2 << 30), ('512m', 512 << 20), ('512M', 512 << 20), ('1.5g', 1536 << 20),
    ('1024k', 1 << 20), ('1024K', 1 << 20), ('4096b', 4096), ('4096B', 4096), ('4096', 4096), (4096, 4096),
    ('0.5m', 512 << 10), ('2560m', 2560 << 20),
])
def test_memory_bytes(value, expected):
    assert tc.memory_bytes(value) == expected


@pytest.mark.parametrize('value', ['2 GB', '2gb', '2GiB', '1t', '-1g', '', 'g', '1.g', '.5g', '2g\n', ' 2g', '0', '0m', 0, -5,
                                   2.5, True, None, ['2g']])
def test_memory_bytes_refuses(value):
    assert tc.memory_bytes(value) is None


@pytest.mark.parametrize('value', ['2 GB', '0m', 0, '1t', 1.5])
def test_bad_memory_is_a_field_error(value):
    msgs = errors([tenant('acme', 1, limits={'memory': value})])
    assert msgs == ["tenant 'acme': field 'limits': memory must be a size like \"2g\", \"512m\" or a number of bytes, got %r" % (value,)]


def test_memory_below_docker_minimum():
    assert errors([tenant('acme', 1, limits={'memory': '5m'})]) == [
        "tenant 'acme': field 'limits': memory '5m' is below 6m, the smallest limit Docker accepts"]
    assert errors([tenant('acme', 1, limits={'memory': '6m'})]) == []
    assert errors([tenant('acme', 1, limits={'memory': 6 << 20})]) == []


# --- tiers allowed per tenancy (odoo_tenancy_tiers) ---------------------------------------------

@pytest.mark.parametrize('tenancy_tiers', [None, {}, {'dedicated': ['large']}, {'shared': ['small', 'standard']}])
def test_tenancy_tiers_permissive(tenancy_tiers):
    assert errors([tenant('acme', 1, tier='standard')], tenancy_tiers=tenancy_tiers) == []


def test_tenancy_tiers_refuses_tier():
    cat = [tenant('acme', 1, tier='large'), tenant('beta', 2, tier='small'),
           tenant('gamma', 1, tier='large', tenancy='dedicated', placement='solo')]
    msgs = errors(cat, tenancy_tiers={'shared': ['small', 'standard'], 'dedicated': ['standard']})
    assert msgs == [
        "tenant 'acme': field 'tier': tier 'large' is not allowed for a shared tenant (odoo_tenancy_tiers.shared: small, standard)",
        "tenant 'gamma': field 'tier': tier 'large' is not allowed for a dedicated tenant (odoo_tenancy_tiers.dedicated: standard)",
    ]


def test_tenancy_tiers_empty_list_forbids_the_tenancy():
    assert errors([tenant('acme', 1)], tenancy_tiers={'shared': []}) == [
        "tenant 'acme': field 'tier': tier 'standard' is not allowed for a shared tenant (odoo_tenancy_tiers.shared: none)"]


def test_tenancy_tiers_uses_the_merged_tenancy():
    # tenancy comes from the defaults (shared) when the tenant does not set it
    assert errors([tenant('acme', 1, tier='large')], tenancy_tiers={'shared': ['small']}) == [
        "tenant 'acme': field 'tier': tier 'large' is not allowed for a shared tenant (odoo_tenancy_tiers.shared: small)"]


def test_tenancy_tiers_invalid_map():
    assert errors([tenant('acme', 1)], tenancy_tiers=['shared']) == ['odoo_tenancy_tiers: must be a dict tenancy -> list of tiers, got list']
    msgs = errors([tenant('acme', 1)], tenancy_tiers={'mixed': ['small'], 'shared': 'small', 'dedicated': ['gold', 'large', 'tin']})
    assert msgs == [
        "odoo_tenancy_tiers: key 'mixed' is not a tenancy (dedicated, shared)",
        "odoo_tenancy_tiers.shared: must be a list of tier names, got 'small'",
        'odoo_tenancy_tiers.dedicated: unknown tiers gold, tin (known: large, small, standard)',
    ]


# --- tenancy rules ------------------------------------------------------------------------------

def test_shared_tenants_on_shared_hosts():
    cat = [tenant('acme', 1), tenant('beta', 2), tenant('gamma', 3, placement='pool_b')]
    assert errors(cat) == []


def test_shared_tenant_on_a_dedicated_host():
    msgs = errors([tenant('acme', 1, placement='app')])
    assert msgs == ["tenant 'acme': field 'tenancy': shared, but host app3 of its placement 'app' is in the 'dedicated' inventory group "
                    "(hosts there run one dedicated tenant; place it on shared hosts)"]


def test_shared_tenant_on_several_dedicated_hosts_and_other_group_name():
    groups = dict(GROUPS, single_tenant=['app2', 'app3'])
    msgs = errors([tenant('acme', 1, placement='app')], groups=groups, dedicated_group='single_tenant')
    assert msgs == ["tenant 'acme': field 'tenancy': shared, but hosts app2, app3 of its placement 'app' are in the 'single_tenant' "
                    "inventory group (hosts there run one dedicated tenant; place it on shared hosts)"]


def test_no_dedicated_group_in_the_inventory():
    groups = {k: v for k, v in GROUPS.items() if k != 'dedicated'}
    assert errors([tenant('acme', 1, placement='app')], groups=groups) == []


def test_dedicated_tenant_alone_on_its_hosts():
    cat = [tenant('acme', 1, tenancy='dedicated', placement='solo'), tenant('beta', 1), tenant('gamma', 2, placement='pool_b')]
    assert errors(cat) == []


def test_dedicated_tenant_sharing_its_group():
    cat = [tenant('acme', 1, tenancy='dedicated', placement='solo'), tenant('beta', 2, tenancy='dedicated', placement='solo')]
    assert errors(cat) == [
        "tenant 'acme': field 'tenancy': dedicated, but host app3 of its placement 'solo' also runs tenant beta "
        "(a dedicated tenant has hosts of its own: give it a placement group no other tenant uses, or make it shared)",
        "tenant 'beta': field 'tenancy': dedicated, but host app3 of its placement 'solo' also runs tenant acme "
        "(a dedicated tenant has hosts of its own: give it a placement group no other tenant uses, or make it shared)",
    ]


def test_dedicated_tenant_sharing_hosts_through_other_groups():
    cat = [tenant('acme', 1, tenancy='dedicated', placement='solo_wide'), tenant('beta', 4, placement='pool_b'),
           tenant('gamma', 2, placement='pool_b'), tenant('delta', 3)]
    msgs = errors(cat)
    assert msgs == [
        "tenant 'acme': field 'tenancy': dedicated, but host app2 of its placement 'solo_wide' also runs tenants beta, gamma "
        "(a dedicated tenant has hosts of its own: give it a placement group no other tenant uses, or make it shared)"]


def test_dedicated_tenant_in_two_shared_hosts():
    cat = [tenant('acme', 1, tenancy='dedicated', placement='app'), tenant('beta', 2, placement='pool_b')]
    msgs = errors(cat)
    assert "tenant 'acme': field 'tenancy': dedicated, but hosts app1, app2 of its placement 'app' also run tenant beta " \
           "(a dedicated tenant has hosts of its own: give it a placement group no other tenant uses, or make it shared)" in msgs


def test_tenancy_rules_need_group_members():
    # group names only (the old call): placement must exist, nothing else is checked
    cat = [tenant('acme', 1, placement='app'), tenant('beta', 1, tenancy='dedicated', placement='solo'), tenant('gamma', 2, placement='solo')]
    assert tc.catalog_errors(cat, VERSIONS, list(GROUPS), TIERS, DEFAULTS, hosts={}) == []
    assert tc.catalog_errors(cat, VERSIONS, None, TIERS, DEFAULTS, hosts={}) == []


def test_empty_placement_group():
    assert errors([tenant('acme', 1, tenancy='dedicated', placement='empty'), tenant('beta', 2, placement='empty')], hosts={}) == []


# --- slots per host ----------------------------------------------------------------------------

def test_same_slot_on_a_host_through_two_placement_groups():
    cat = [tenant('acme', 1, placement='pool_b'), tenant('beta', 1), tenant('gamma', 1, placement='app', tenancy='dedicated'),
           tenant('delta', 2, placement='solo', tenancy='dedicated')]
    msgs = [m for m in errors(cat) if "field 'slot'" in m]
    assert msgs == [
        "tenant 'beta': field 'slot': slot 1 is also used by tenant 'acme' (placement 'pool_b') on host app1, where their ports would clash",
        "tenant 'gamma': field 'slot': slot 1 is also used by tenant 'acme' (placement 'pool_b') on hosts app1, app2, where their ports "
        "would clash",
    ]


def test_same_slot_on_hosts_apart_is_fine():
    assert errors([tenant('acme', 1), tenant('beta', 1, placement='solo', tenancy='dedicated')]) == []


def test_same_slot_same_placement_reported_once():
    msgs = errors([tenant('acme', 1), tenant('beta', 1)])
    assert msgs == ["tenant 'beta': field 'slot': slot 1 in placement 'shared_pool' is also used by tenant 'acme'"]


# --- memory capacity ----------------------------------------------------------------------------

def test_issue_example_memory_over_capacity():
    cat = [tenant('acme', 1, limits={'memory': '1g'}), tenant('beta', 2, limits={'memory': '2g'})]
    hosts = {'app1': {'memory_mb': 8192, 'vcpus': 8}}
    msgs = errors(cat, hosts, overcommit=0.75)
    assert msgs == ["host 'app1': field 'limits.memory': tenants acme (2048 MB), beta (4096 MB) need 6144 MB (web + cron, limits.memory "
                    "each), over the capacity of 5120 MB (8192 MB \u00d7 0.75 overcommit \u2212 1024 MB reserve)"]


def test_memory_fits_exactly():
    # web + cron: 2 x 2g = 4096 MB = 5120 MB x 1.0 - 1024 MB reserve (the defaults)
    assert errors([tenant('acme', 1, limits={'memory': '2g'})], {'app1': {'memory_mb': 5120, 'vcpus': 1}}) == []
    assert errors([tenant('acme', 1, limits={'memory': '2g'})], {'app1': {'memory_mb': 5119, 'vcpus': 1}}) == [
        "host 'app1': field 'limits.memory': tenant acme (4096 MB) needs 4096 MB (web + cron, limits.memory each), over the capacity of "
        "4095 MB (5119 MB \u00d7 1.0 overcommit \u2212 1024 MB reserve)"]


def test_memory_units_mix_and_tier_limits():
    # small tier: 1536m; acme's own 0.5g (512 MB), bytes for beta: 2 x (1536 + 512 + 256) = 4608 MB
    cat = [tenant('acme', 1, tier='small'), tenant('beta', 2, limits={'memory': '0.5g'}), tenant('gamma', 3, limits={'memory': 268435456})]
    assert errors(cat, {'app1': {'memory_mb': 4608, 'vcpus': 8}}, reserve_mb=0) == []
    msgs = errors(cat, {'app1': {'memory_mb': 4607, 'vcpus': 8}}, reserve_mb=0)
    assert msgs == ["host 'app1': field 'limits.memory': tenants acme (3072 MB), beta (1024 MB), gamma (512 MB) need 4608 MB "
                    "(web + cron, limits.memory each), over the capacity of 4607 MB (4607 MB \u00d7 1.0 overcommit \u2212 0 MB reserve)"]


def test_memory_overcommit_lets_more_in():
    cat = [tenant('acme', 1, limits={'memory': '2g'}), tenant('beta', 2, limits={'memory': '2g'})]
    hosts = {'app1': {'memory_mb': 4096, 'vcpus': 8}}
    assert errors(cat, hosts, overcommit=2.25) == []  # 4096 x 2.25 - 1024 = 8192
    assert errors(cat, hosts, overcommit=2.0) != []


def test_memory_per_host_settings_win():
    cat = [tenant('acme', 1, limits={'memory': '2g'})]
    assert errors(cat, {'app1': {'memory_mb': 4096, 'vcpus': 8, 'reserve_mb': 0}}) == []
    assert errors(cat, {'app1': {'memory_mb': 4096, 'vcpus': 8, 'reserve_mb': None}}) != []  # None = the argument (1024)
    msgs = errors(cat, {'app1': {'memory_mb': 4096, 'vcpus': 8, 'overcommit': '0.5', 'reserve_mb': '512'}})
    assert msgs == ["host 'app1': field 'limits.memory': tenant acme (4096 MB) needs 4096 MB (web + cron, limits.memory each), over the "
                    "capacity of 1536 MB (4096 MB \u00d7 0.5 overcommit \u2212 512 MB reserve)"]


def test_memory_counted_on_every_host_of_the_placement():
    cat = [tenant('acme', 1, placement='pool_b', limits={'memory': '2g'}), tenant('beta', 2, limits={'memory': '1g'})]
    hosts = {'app1': {'memory_mb': 6144, 'vcpus': 8}, 'app2': {'memory_mb': 6144, 'vcpus': 8}}
    msgs = errors(cat, hosts)
    assert msgs == ["host 'app1': field 'limits.memory': tenants acme (4096 MB), beta (2048 MB) need 6144 MB (web + cron, limits.memory "
                    "each), over the capacity of 5120 MB (6144 MB \u00d7 1.0 overcommit \u2212 1024 MB reserve)"]


def test_tenant_with_bad_memory_is_left_out_of_the_sum():
    cat = [tenant('acme', 1, limits={'memory': 'lots'}), tenant('beta', 2, limits={'memory': '8g'})]
    msgs = errors(cat, {'app1': {'memory_mb': 8192, 'vcpus': 8}})
    assert msgs[0].startswith("tenant 'acme': field 'limits': memory must be a size")
    assert msgs[1].startswith("host 'app1': field 'limits.memory': tenant beta (16384 MB) needs 16384 MB")
    assert len(msgs) == 2


# --- CPU capacity -------------------------------------------------------------------------------

def test_cpus_fit_exactly_with_the_default_overcommit():
    # 2 tenants x (web + cron) x 1 CPU = 4 = 2 vCPUs x 2.0
    cat = [tenant('acme', 1), tenant('beta', 2)]
    assert errors(cat, {'app1': {'memory_mb': 65536, 'vcpus': 2}}) == []
    cat.append(tenant('gamma', 3, limits={'cpus': 0.5}))
    assert errors(cat, {'app1': {'memory_mb': 65536, 'vcpus': 2}}) == [
        "host 'app1': field 'limits.cpus': tenants acme (2 CPUs), beta (2 CPUs), gamma (1 CPUs) need 5 CPUs (web + cron, limits.cpus each), "
        "over the capacity of 4 CPUs (2 vCPUs \u00d7 2.0 overcommit)"]


def test_cpu_overcommit_argument_and_per_host():
    cat = [tenant('acme', 1, limits={'cpus': 2}), tenant('beta', 2, limits={'cpus': 2})]
    hosts = {'app1': {'memory_mb': 65536, 'vcpus': 2}}
    assert errors(cat, hosts) != []
    assert errors(cat, hosts, cpu_overcommit=4) == []
    assert errors(cat, {'app1': dict(hosts['app1'], cpu_overcommit=4.0)}) == []
    assert errors(cat, {'app1': dict(hosts['app1'], cpu_overcommit=1)}, cpu_overcommit=4) == [
        "host 'app1': field 'limits.cpus': tenants acme (4 CPUs), beta (4 CPUs) need 8 CPUs (web + cron, limits.cpus each), "
        "over the capacity of 2 CPUs (2 vCPUs \u00d7 1.0 overcommit)"]


def test_container_with_more_cpus_than_the_host():
    msgs = errors([tenant('acme', 1, tier='large')], {'app1': {'memory_mb': 65536, 'vcpus': 2}}, cpu_overcommit=10)
    assert msgs == ["host 'app1': field 'limits.cpus': tenant acme gives each of its containers (web, cron) 4 CPUs, more than the "
                    "2 vCPUs of the host (Docker refuses to start them)"]


# --- host sizes: facts, overrides, settings -----------------------------------------------------

def test_host_without_facts_or_override():
    cat = [tenant('acme', 1), tenant('beta', 2), tenant('gamma', 1, placement='solo', tenancy='dedicated')]
    msgs = errors(cat, {'app1': {'memory_mb': None, 'vcpus': ''}})
    assert msgs == [
        "host 'app1': field 'odoo_capacity_host_memory_mb': its memory is unknown (no ansible_memtotal_mb fact) and tenants acme, beta are "
        "placed on it: gather facts on app1 or set odoo_capacity_host_memory_mb for it in the inventory",
        "host 'app1': field 'odoo_capacity_host_vcpus': its vCPUs is unknown (no ansible_processor_vcpus fact) and tenants acme, beta are "
        "placed on it: gather facts on app1 or set odoo_capacity_host_vcpus for it in the inventory",
        "host 'app3': field 'odoo_capacity_host_memory_mb': its memory is unknown (no ansible_memtotal_mb fact) and tenant gamma is "
        "placed on it: gather facts on app3 or set odoo_capacity_host_memory_mb for it in the inventory",
        "host 'app3': field 'odoo_capacity_host_vcpus': its vCPUs is unknown (no ansible_processor_vcpus fact) and tenant gamma is "
        "placed on it: gather facts on app3 or set odoo_capacity_host_vcpus for it in the inventory",
    ]


def test_only_hosts_of_placement_groups_need_a_size():
    assert errors([tenant('acme', 1)], {'app1': {'memory_mb': 8192, 'vcpus': 4}, 'db1': {}}) == []


def test_host_size_as_strings_and_numbers():
    assert errors([tenant('acme', 1)], {'app1': {'memory_mb': '8192', 'vcpus': '4'}}) == []
    assert errors([tenant('acme', 1)], {'app1': {'memory_mb': 8192.0, 'vcpus': 4}}) == []


@pytest.mark.parametrize('memory_mb, vcpus, field, value', [
    ('lots', 4, 'odoo_capacity_host_memory_mb', "'lots'"),
    (0, 4, 'odoo_capacity_host_memory_mb', '0'),
    (8192, -2, 'odoo_capacity_host_vcpus', '-2'),
    (8192, True, 'odoo_capacity_host_vcpus', 'True'),
])
def test_invalid_host_size(memory_mb, vcpus, field, value):
    assert errors([tenant('acme', 1)], {'app1': {'memory_mb': memory_mb, 'vcpus': vcpus}}) == [
        "host 'app1': field '%s': must be a number > 0, got %s" % (field, value)]


@pytest.mark.parametrize('kw, message', [
    ({'overcommit': 0}, 'odoo_capacity_overcommit: must be a number > 0, got 0'),
    ({'overcommit': 'x'}, "odoo_capacity_overcommit: must be a number > 0, got 'x'"),
    ({'reserve_mb': -1}, 'odoo_capacity_reserve_mb: must be a number >= 0, got -1'),
    ({'cpu_overcommit': None}, 'odoo_capacity_cpu_overcommit: must be a number > 0, got None'),
    ({'cpu_overcommit': float('nan')}, 'odoo_capacity_cpu_overcommit: must be a number > 0, got nan'),
])
def test_invalid_settings(kw, message):
    assert errors([tenant('acme', 1)], everywhere(), **kw) == [message]


def test_reserve_zero_is_fine():
    assert errors([tenant('acme', 1)], everywhere(), reserve_mb=0) == []


def test_invalid_per_host_setting():
    msgs = errors([tenant('acme', 1)], {'app1': dict(BIG, overcommit=-1, reserve_mb='some', cpu_overcommit=0)})
    assert msgs == [
        "host 'app1': field 'odoo_capacity_overcommit': must be a number > 0, got -1",
        "host 'app1': field 'odoo_capacity_reserve_mb': must be a number >= 0, got 'some'",
        "host 'app1': field 'odoo_capacity_cpu_overcommit': must be a number > 0, got 0",
    ]


def test_hosts_must_be_a_dict():
    assert errors([tenant('acme', 1)], ['app1']) == ['hosts: must be a dict host -> {memory_mb, vcpus}, got list']


def test_capacity_not_checked_without_hosts():
    assert errors([tenant('acme', 1, tier='large'), tenant('beta', 2, tier='large')], None) == []


def test_nameless_tenant_in_capacity_message():
    cat = [tenant('acme', 1, limits={'memory': '2g'}), {k: v for k, v in tenant('x', 2, limits={'memory': '2g'}).items() if k != 'name'}]
    msgs = errors(cat, {'app1': {'memory_mb': 4096, 'vcpus': 8}})
    assert "tenant #1: field 'name': is required" in msgs
    assert ("host 'app1': field 'limits.memory': tenants acme (4096 MB), tenant #1 (4096 MB) need 8192 MB (web + cron, limits.memory each), "
            "over the capacity of 3072 MB (4096 MB \u00d7 1.0 overcommit \u2212 1024 MB reserve)") in msgs


# --- the filter plugin --------------------------------------------------------------------------

def test_filter_old_call_still_works():
    f = tc.FilterModule().filters()['tenant_catalog_errors']
    assert f([tenant('acme', 1, placement='app')], VERSIONS, list(GROUPS), TIERS, DEFAULTS) == []
    assert f([tenant('acme', 1, placement='nowhere')], VERSIONS, list(GROUPS), TIERS, DEFAULTS) == [
        "tenant 'acme': field 'placement': inventory group 'nowhere' does not exist"]


def test_filter_with_groups_dict_and_capacity():
    f = tc.FilterModule().filters()['tenant_catalog_errors']
    cat = [tenant('acme', 1, limits={'memory': '1g'}), tenant('beta', 2, limits={'memory': '2g'})]
    hosts = {'app1': {'memory_mb': 8192, 'vcpus': 8, 'overcommit': None, 'reserve_mb': None, 'cpu_overcommit': None}}
    assert f(cat, VERSIONS, GROUPS, TIERS, DEFAULTS, hosts=hosts) == []
    msgs = f(cat, VERSIONS, GROUPS, TIERS, DEFAULTS, hosts=hosts, overcommit=0.75, reserve_mb=1024, cpu_overcommit=2.0,
             tenancy_tiers={'shared': ['small']})
    assert msgs == [
        "tenant 'acme': field 'tier': tier 'standard' is not allowed for a shared tenant (odoo_tenancy_tiers.shared: small)",
        "tenant 'beta': field 'tier': tier 'standard' is not allowed for a shared tenant (odoo_tenancy_tiers.shared: small)",
        "host 'app1': field 'limits.memory': tenants acme (2048 MB), beta (4096 MB) need 6144 MB (web + cron, limits.memory each), over the "
        "capacity of 5120 MB (8192 MB \u00d7 0.75 overcommit \u2212 1024 MB reserve)",
    ]
