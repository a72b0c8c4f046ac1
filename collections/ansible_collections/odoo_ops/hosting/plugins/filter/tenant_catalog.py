# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Odoo tenant catalogue (``odoo_tenants``): validation, normalisation, admin password hash.

Filters:

* ``odoo_ops.hosting.tenant_catalog_errors(tenants, versions, groups, tiers={}, defaults={}, hosts=None,
  tenancy_tiers=None, overcommit=1.0, reserve_mb=1024, cpu_overcommit=2.0, dedicated_group='dedicated')``:
  every problem of the catalogue as ``tenant 'x': field 'y': what is wrong`` or
  ``host 'h': field 'y': what is wrong`` (empty list = valid). With ``groups`` as a dict (group ->
  hosts, Ansible's ``groups``) it also checks the tenancy rules; with ``hosts`` the capacity of
  every host of a placement group (see ``catalog_errors``).
* ``odoo_ops.hosting.tenant_catalog(tenants, tiers={}, defaults={}, image_repository='odoo', port_base=18000)``:
  each tenant merged over its tier and the defaults, with ``version`` as a string, ``image``,
  ``port`` (8069 published on loopback), ``websocket_port`` (8072) and ``state`` (``active``
  unless given) filled in.
* ``odoo_ops.hosting.odoo_admin_passwd_hash(password, salt_source, rounds=600000)``: a passlib-style
  ``$pbkdf2-sha512$`` hash (what Odoo's ``admin_passwd`` accepts), with a salt derived from
  ``salt_source`` and the password, so the same input always gives the same hash (idempotent files).

The functions below are plain Python (no Ansible objects), so other plugins and the unit tests
can call them directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import re
from collections.abc import Mapping
from decimal import Decimal

# What a tenant entry may contain. Everything except REQUIRED_FIELDS can come from the tier or
# the role defaults (tenant value > tier value > default; dicts are merged key by key).
REQUIRED_FIELDS = ('name', 'domains', 'version', 'tier', 'placement', 'slot', 'admin_password', 'db_password')
OPTIONAL_FIELDS = (
    'image', 'tenancy', 'workers', 'max_cron_threads', 'limits', 'limit_memory_soft', 'limit_memory_hard',
    'limit_time_cpu', 'limit_time_real', 'modules', 'rate_limit', 'database_manager_allow', 'state',
)
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
SECRET_FIELDS = ('admin_password', 'db_password')
TENANCIES = ('dedicated', 'shared')
# Lifecycle state recorded in the catalogue: 'suspended' keeps the tenant's containers stopped and
# its route on the maintenance page on every run (site.yml, tenant.yml) until it says 'active'.
STATES = ('active', 'suspended')
DEFAULT_STATE = 'active'

# A tenant name is the PostgreSQL role and database name, the compose project, the Redis
# session prefix and part of container and router names: lowercase letter first, then
# lowercase letters, digits and single underscores, not ending with an underscore, 2-31
# characters. It is never used as a host name (domains are separate).
NAME_RE = re.compile(r'^[a-z](?:[a-z0-9]|_(?!_)){0,29}[a-z0-9]$')
RESERVED_NAMES = ('postgres', 'template0', 'template1', 'admin', 'odoo', 'root')
RESERVED_PREFIXES = ('pg_',)
HOST_LABEL_RE = re.compile(r'^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
MODULE_RE = re.compile(r'^[a-z0-9][a-z0-9_]*$')
# A container memory limit as Docker reads it: a number (decimals allowed) and an optional unit
# b, k, m or g (powers of 1024, case-insensitive), or an int of bytes.
MEMORY_RE = re.compile(r'([0-9]+(?:\.[0-9]+)?)([bkmg]?)')
MEMORY_UNITS = {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}
MIB = 1024 ** 2
DOCKER_MIN_MEMORY = 6 * MIB  # Docker refuses a smaller memory limit
# The compose services of a tenant; each gets the tenant's whole limits (cpus, mem_limit,
# pids_limit: __odoo_service_common in roles/odoo/vars/main.yml), so a tenant needs them twice.
SERVICES = ('web', 'cron')
# Capacity settings: key in catalog_errors' arguments and in a host's entry of `hosts`, the role
# variable that sets it, whether 0 is allowed.
CAPACITY_SETTINGS = (
    ('overcommit', 'odoo_capacity_overcommit', False),
    ('reserve_mb', 'odoo_capacity_reserve_mb', True),
    ('cpu_overcommit', 'odoo_capacity_cpu_overcommit', False),
)
MAX_SLOT = 999


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_missing(value):
    """None, empty string, or an undefined marker (an Undefined object that is not a plain value)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ''
    return type(value).__name__.endswith('Undefined') or 'Marker' in type(value).__name__


def _get(tenant, key):
    """tenant[key], or (None, error text) when reading it raised (an undefined Vault variable...)."""
    try:
        return tenant.get(key), None
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _merge(base, override):
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def version_string(value):
    """'17.0' for '17.0', 17.0 or 17 (YAML reads an unquoted 17.0 as a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return '%d.0' % value
    if isinstance(value, float):
        return '%.1f' % value
    if isinstance(value, str):
        return value.strip()
    return None


def memory_bytes(value):
    """Bytes of a container memory limit as Docker reads it, or None when value is not one (or is 0).

    An int is bytes; a string is a number with an optional unit b, k, m or g, case-insensitive,
    powers of 1024: '2g', '512m', '1.5G', '4096b', '4096'.
    """
    if _is_int(value):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    match = MEMORY_RE.fullmatch(value.lower())
    if not match:
        return None
    size = int(Decimal(match.group(1)) * MEMORY_UNITS[match.group(2)])
    return size if size > 0 else None


def _to_number(value):
    """value as a float when it is an int, a float or a numeric string (extra vars are strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _fmt(number):
    """A quantity for a message: 6144 for 6144.0, 1536.5, 0.25."""
    rounded = round(number, 2)
    return '%d' % rounded if rounded == int(rounded) else ('%.2f' % rounded).rstrip('0')


def _plural(count, word, plural=None):
    return word if count == 1 else (plural or word + 's')


def valid_hostname(name):
    if not isinstance(name, str) or not name or len(name) > 253 or name != name.lower():
        return False
    labels = name.rstrip('.').split('.')
    return len(labels) >= 1 and all(HOST_LABEL_RE.match(label) for label in labels)


def name_problem(name):
    """Why name cannot be a tenant name, or None."""
    if not isinstance(name, str):
        return 'must be a string'
    if not NAME_RE.match(name):
        return ('%r is not a valid name: 2-31 characters, a lowercase letter first, then lowercase letters, digits and '
                'single underscores, not ending with an underscore (it is a PostgreSQL role/database and compose project name)' % name)
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        return '%r is reserved (%s and anything starting with %s)' % (name, ', '.join(RESERVED_NAMES), ', '.join(RESERVED_PREFIXES))
    return None


def resolve(tenant, tiers=None, defaults=None):
    """The tenant merged over its tier and the defaults (tenant > tier > defaults)."""
    tiers = tiers or {}
    merged = dict(defaults or {})
    tier = tenant.get('tier') if isinstance(tenant, dict) else None
    if isinstance(tier, str) and isinstance(tiers.get(tier), dict):
        merged = _merge(merged, tiers[tier])
    return _merge(merged, dict(tenant))


def _field_errors(t, versions, groups):  # noqa: C901 - one check per field, kept flat on purpose
    """(field, message) for every problem of one merged tenant."""
    out = []

    def bad(field, message):
        out.append((field, message))

    def positive_int(field, minimum=1):
        value = t.get(field)
        if not _is_int(value) or value < minimum:
            bad(field, 'must be an integer >= %d, got %r' % (minimum, value))

    domains = t.get('domains')
    if not isinstance(domains, list) or not domains:
        bad('domains', 'must be a non-empty list of host names, got %r' % (domains,))
    else:
        for domain in domains:
            if not valid_hostname(domain):
                bad('domains', '%r is not a valid lowercase host name' % (domain,))
        strings = [d for d in domains if isinstance(d, str)]
        for domain in sorted({d for d in strings if strings.count(d) > 1}):
            bad('domains', '%r is listed twice' % domain)

    version = version_string(t.get('version'))
    if version not in versions:
        bad('version', '%r is not a version this role knows (%s)' % (t.get('version'), ', '.join(versions)))

    if 'image' in t and t['image'] is not None and (not isinstance(t['image'], str) or not t['image'].strip()):
        bad('image', 'must be a non-empty image reference (repository:tag) when set')

    if not isinstance(t.get('tier'), str) or not t.get('tier'):
        bad('tier', 'must be the name of a service tier')

    if t.get('tenancy') not in TENANCIES:
        bad('tenancy', 'must be one of %s, got %r' % (', '.join(TENANCIES), t.get('tenancy')))

    placement = t.get('placement')
    if not isinstance(placement, str) or not placement:
        bad('placement', 'must be the name of an inventory group of app hosts')
    elif groups is not None and placement not in groups:
        bad('placement', 'inventory group %r does not exist' % placement)

    slot = t.get('slot')
    if not _is_int(slot) or not 0 <= slot <= MAX_SLOT:
        bad('slot', 'must be an integer from 0 to %d, got %r' % (MAX_SLOT, slot))

    positive_int('workers')
    positive_int('max_cron_threads')
    for field in ('limit_memory_soft', 'limit_memory_hard', 'limit_time_cpu', 'limit_time_real'):
        positive_int(field)
    soft, hard = t.get('limit_memory_soft'), t.get('limit_memory_hard')
    if _is_int(soft) and _is_int(hard) and soft > hard:
        bad('limit_memory_soft', 'must not exceed limit_memory_hard (%d > %d)' % (soft, hard))
    cpu, real = t.get('limit_time_cpu'), t.get('limit_time_real')
    if _is_int(cpu) and _is_int(real) and cpu > real:
        bad('limit_time_cpu', 'must not exceed limit_time_real (%d > %d)' % (cpu, real))

    limits = t.get('limits')
    if not isinstance(limits, dict):
        bad('limits', 'must be a dict {cpus, memory, pids}, got %r' % (limits,))
    else:
        unknown = sorted(set(limits) - {'cpus', 'memory', 'pids'})
        if unknown:
            bad('limits', 'unknown keys %s (allowed: cpus, memory, pids)' % ', '.join(map(str, unknown)))
        if not _is_number(limits.get('cpus')) or limits.get('cpus') <= 0:
            bad('limits', 'cpus must be a number > 0, got %r' % (limits.get('cpus'),))
        memory = limits.get('memory')
        size = memory_bytes(memory)
        if size is None:
            bad('limits', 'memory must be a size like "2g", "512m" or a number of bytes, got %r' % (memory,))
        elif size < DOCKER_MIN_MEMORY:
            bad('limits', 'memory %r is below 6m, the smallest limit Docker accepts' % (memory,))
        if not _is_int(limits.get('pids')) or limits.get('pids') < 1:
            bad('limits', 'pids must be an integer >= 1, got %r' % (limits.get('pids'),))

    modules = t.get('modules')
    if not isinstance(modules, list):
        bad('modules', 'must be a list of module names, got %r' % (modules,))
    else:
        for module in modules:
            if not isinstance(module, str) or not MODULE_RE.match(module):
                bad('modules', '%r is not a module name (lowercase letters, digits, underscores)' % (module,))

    rate = t.get('rate_limit')
    if not isinstance(rate, dict):
        bad('rate_limit', 'must be a dict {average, burst}, got %r' % (rate,))
    else:
        for key in ('average', 'burst'):
            if not _is_int(rate.get(key)) or rate.get(key) < 1:
                bad('rate_limit', '%s must be an integer >= 1, got %r' % (key, rate.get(key)))
        unknown = sorted(set(rate) - {'average', 'burst', 'period'})
        if unknown:
            bad('rate_limit', 'unknown keys %s (allowed: average, burst, period)' % ', '.join(map(str, unknown)))

    state = t.get('state')
    if state is not None and state not in STATES:
        bad('state', 'must be one of %s, got %r' % (', '.join(STATES), state))

    allow = t.get('database_manager_allow')
    if not isinstance(allow, list):
        bad('database_manager_allow', 'must be a list of CIDRs, got %r' % (allow,))
    else:
        for cidr in allow:
            try:
                ipaddress.ip_network(str(cidr), strict=False)
                if not isinstance(cidr, str):
                    raise ValueError
            except ValueError:
                bad('database_manager_allow', '%r is not an IP network in CIDR form' % (cidr,))
    return out


def catalog_errors(tenants, versions, groups=None, tiers=None, defaults=None, hosts=None, tenancy_tiers=None,
                   overcommit=1.0, reserve_mb=1024, cpu_overcommit=2.0, dedicated_group='dedicated'):
    """Every problem of the tenant catalogue, as 'tenant 'x': field 'y': what is wrong' (or 'host 'h': ...').

    tenants: the catalogue (list of dicts); versions: the Odoo versions the role knows;
    groups: the inventory groups, either their names (placement groups must exist) or a dict
    group -> host names (Ansible's ``groups``; then also: no two tenants with the same slot on a
    host, a shared tenant has no host in ``dedicated_group``, a dedicated tenant shares no host with
    another tenant); None = placement not checked. tiers: tier name -> dict of defaults (None = tier not checked); defaults: values
    under every tenant. tenancy_tiers: tenancy -> list of the tiers it allows (a tenancy left out
    allows every tier; None or {} = no restriction).

    hosts (needs groups as a dict; None = capacity not checked): inventory host name ->
    {memory_mb, vcpus} and optionally its own overcommit, reserve_mb, cpu_overcommit (None = the
    arguments of the same name). For each host of a placement group, the tenants placed on it
    need len(SERVICES) x limits.memory and x limits.cpus each (web and cron get the whole limits),
    in total at most memory_mb x overcommit - reserve_mb MB and vcpus x cpu_overcommit CPUs, and no
    container more CPUs than the host has. A host without memory_mb or vcpus is an error.
    """
    errors = []
    versions = [version_string(v) for v in (versions or [])]
    if not isinstance(tenants, list):
        return ['odoo_tenants: must be a list of tenants, got %s' % type(tenants).__name__]
    allowed_tiers, problems = _tenancy_tiers(tenancy_tiers, tiers)
    errors.extend(problems)
    names, domains, slots = {}, {}, {}
    placed = []  # (label, short name for lists, merged tenant)
    for index, tenant in enumerate(tenants):
        label = 'tenant #%d' % index
        if not isinstance(tenant, dict):
            errors.append("%s: must be a dict, got %s" % (label, type(tenant).__name__))
            continue
        raw = {}
        unreadable = {}
        for key in list(tenant.keys()):
            value, problem = _get(tenant, key)
            if problem is not None:
                unreadable[key] = problem
            else:
                raw[key] = value
        name = raw.get('name')
        if isinstance(name, str) and name:
            label = "tenant '%s'" % name
        problem = name_problem(name) if 'name' in raw else 'is required'
        if problem:
            errors.append("%s: field 'name': %s" % (label, problem))
        elif name in names:
            errors.append("%s: field 'name': also used by tenant #%d" % (label, names[name]))
        else:
            names[name] = index

        for key in sorted(set(raw) | set(unreadable)):
            if key not in KNOWN_FIELDS:
                errors.append("%s: field '%s': unknown field (allowed: %s)" % (label, key, ', '.join(KNOWN_FIELDS)))
        for key in REQUIRED_FIELDS[1:]:
            if key in unreadable:
                what = 'secret missing' if key in SECRET_FIELDS else 'cannot be read'
                errors.append("%s: field '%s': %s (%s)" % (label, key, what, unreadable[key]))
            elif key in SECRET_FIELDS:
                value = raw.get(key)
                if _is_missing(value):
                    errors.append("%s: field '%s': secret missing (set it from Vault, e.g. \"{{ vault_tenants.%s.%s }}\")"
                                  % (label, key, name if isinstance(name, str) else 'NAME', key))
                elif not isinstance(value, str):
                    errors.append("%s: field '%s': must be a string" % (label, key))
                elif value != value.strip() or '\n' in value or '\r' in value:
                    errors.append("%s: field '%s': must not contain line breaks or leading/trailing spaces" % (label, key))
            elif key not in raw or raw[key] is None:
                errors.append("%s: field '%s': is required" % (label, key))
        for key in OPTIONAL_FIELDS:
            if key in unreadable:
                errors.append("%s: field '%s': cannot be read (%s)" % (label, key, unreadable[key]))

        tier = raw.get('tier')
        if tiers is not None and isinstance(tier, str) and tier and tier not in tiers:
            errors.append("%s: field 'tier': unknown tier %r (known: %s)" % (label, tier, ', '.join(sorted(tiers)) or 'none'))
        merged = resolve(raw, tiers, defaults)
        for field, message in _field_errors(merged, versions, groups):
            if field in REQUIRED_FIELDS and (field not in raw or raw[field] is None):
                continue  # already reported as required
            if field in unreadable:
                continue
            errors.append("%s: field '%s': %s" % (label, field, message))
        tenancy, merged_tier = merged.get('tenancy'), merged.get('tier')
        if (isinstance(tenancy, str) and tenancy in allowed_tiers and isinstance(merged_tier, str) and merged_tier
                and merged_tier not in allowed_tiers[tenancy]):
            errors.append("%s: field 'tier': tier %r is not allowed for a %s tenant (odoo_tenancy_tiers.%s: %s)"
                          % (label, merged_tier, tenancy, tenancy, ', '.join(allowed_tiers[tenancy]) or 'none'))
        placed.append((label, name if label.startswith("tenant '") else label, merged))

        own = merged.get('domains') if isinstance(merged.get('domains'), list) else []
        for domain in dict.fromkeys(d.lower().rstrip('.') for d in own if isinstance(d, str)):
            if domain in domains:
                errors.append("%s: field 'domains': %r is also a domain of %s" % (label, domain, domains[domain]))
            else:
                domains[domain] = label
        placement, slot = merged.get('placement'), merged.get('slot')
        if isinstance(placement, str) and _is_int(slot):
            other = slots.get((placement, slot))
            if other is not None:
                errors.append("%s: field 'slot': slot %d in placement %r is also used by %s" % (label, slot, placement, other))
            else:
                slots[(placement, slot)] = label
    if isinstance(groups, Mapping):
        group_hosts = {group: list(members or []) for group, members in groups.items()}
        errors.extend(_host_slot_errors(placed, group_hosts))
        errors.extend(_tenancy_errors(placed, group_hosts, dedicated_group))
        if hosts is not None:
            settings = {'overcommit': overcommit, 'reserve_mb': reserve_mb, 'cpu_overcommit': cpu_overcommit}
            errors.extend(_capacity_errors(placed, group_hosts, hosts, settings))
    return errors


def _tenancy_tiers(tenancy_tiers, tiers):
    """({tenancy: [tiers]}, errors) from odoo_tenancy_tiers."""
    if tenancy_tiers is None:
        return {}, []
    if not isinstance(tenancy_tiers, Mapping):
        return {}, ['odoo_tenancy_tiers: must be a dict tenancy -> list of tiers, got %s' % type(tenancy_tiers).__name__]
    allowed, errors = {}, []
    for tenancy, names in tenancy_tiers.items():
        if tenancy not in TENANCIES:
            errors.append('odoo_tenancy_tiers: key %r is not a tenancy (%s)' % (tenancy, ', '.join(TENANCIES)))
        elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            errors.append('odoo_tenancy_tiers.%s: must be a list of tier names, got %r' % (tenancy, names))
        else:
            unknown = [n for n in names if tiers is not None and n not in tiers]
            if unknown:
                errors.append('odoo_tenancy_tiers.%s: unknown %s %s (known: %s)'
                              % (tenancy, _plural(len(unknown), 'tier'), ', '.join(unknown), ', '.join(sorted(tiers)) or 'none'))
            allowed[tenancy] = list(names)
    return allowed, errors


def _placement_hosts(tenant, group_hosts):
    placement = tenant.get('placement')
    return group_hosts.get(placement, []) if isinstance(placement, str) else []


def _host_slot_errors(placed, group_hosts):
    """Two tenants of different placement groups with the same slot on a host (their ports clash there)."""
    errors, used = [], {}  # (host, slot) -> (label, placement)
    for label, _short, tenant in placed:
        placement, slot = tenant.get('placement'), tenant.get('slot')
        if not _is_int(slot):
            continue
        clashes = {}  # other label -> [(host, its placement)]
        for host in _placement_hosts(tenant, group_hosts):
            other = used.setdefault((host, slot), (label, placement))
            if other[0] != label and other[1] != placement:  # same placement: reported with the slot already
                clashes.setdefault(other, []).append(host)
        for (other_label, other_placement), clash_hosts in clashes.items():
            errors.append("%s: field 'slot': slot %d is also used by %s (placement %r) on %s %s, where their ports would clash"
                          % (label, slot, other_label, other_placement, _plural(len(clash_hosts), 'host'), ', '.join(clash_hosts)))
    return errors


def _tenancy_errors(placed, group_hosts, dedicated_group):
    """A shared tenant on a host of the dedicated group; a dedicated tenant sharing a host."""
    errors = []
    dedicated_hosts = set(group_hosts.get(dedicated_group, []))
    for index, (label, _short, tenant) in enumerate(placed):
        own = _placement_hosts(tenant, group_hosts)
        if tenant.get('tenancy') == 'shared':
            on_dedicated = [h for h in own if h in dedicated_hosts]
            if on_dedicated:
                errors.append("%s: field 'tenancy': shared, but %s %s of its placement %r %s in the %r inventory group "
                              "(hosts there run one dedicated tenant; place it on shared hosts)"
                              % (label, _plural(len(on_dedicated), 'host'), ', '.join(on_dedicated), tenant.get('placement'),
                                 _plural(len(on_dedicated), 'is', 'are'), dedicated_group))
        elif tenant.get('tenancy') == 'dedicated' and own:
            common, others = [], []
            for other_index, (_label, other_name, other) in enumerate(placed):
                if other_index == index:
                    continue
                theirs = set(_placement_hosts(other, group_hosts))
                both = [h for h in own if h in theirs]
                if both:
                    others.append(other_name)
                    common.extend(h for h in both if h not in common)
            if others:
                common.sort(key=own.index)
                errors.append("%s: field 'tenancy': dedicated, but %s %s of its placement %r also %s %s %s "
                              "(a dedicated tenant has hosts of its own: give it a placement group no other tenant uses, "
                              "or make it shared)"
                              % (label, _plural(len(common), 'host'), ', '.join(common), tenant.get('placement'),
                                 _plural(len(common), 'runs', 'run'), _plural(len(others), 'tenant'), ', '.join(others)))
    return errors


def _setting(value, allow_zero):
    """value as a number when it is a valid capacity setting, else None."""
    number = _to_number(value)
    if number is None or number < 0 or (number == 0 and not allow_zero):
        return None
    return number


def _capacity_errors(placed, group_hosts, hosts, settings):  # noqa: C901 - one message per rule, kept flat
    """Memory and CPUs of every host of a placement group against the tenants placed on it."""
    errors = []
    if not isinstance(hosts, Mapping):
        return ['hosts: must be a dict host -> {memory_mb, vcpus}, got %s' % type(hosts).__name__]
    defaults = {}
    for key, variable, allow_zero in CAPACITY_SETTINGS:
        defaults[key] = _setting(settings[key], allow_zero)
        if defaults[key] is None:
            errors.append('%s: must be a number %s 0, got %r' % (variable, '>=' if allow_zero else '>', settings[key]))
    if errors:
        return errors

    on_host = {}  # host -> [(short name, tenant)], in catalogue order
    for _label, short, tenant in placed:
        for host in _placement_hosts(tenant, group_hosts):
            on_host.setdefault(host, []).append((short, tenant))

    per_tenant = len(SERVICES)
    services = ' + '.join(SERVICES)
    for host, tenants in on_host.items():
        label = "host '%s'" % host
        names = ', '.join(short for short, _tenant in tenants)
        info = hosts.get(host)
        info = info if isinstance(info, Mapping) else {}

        own = {}
        for key, variable, allow_zero in CAPACITY_SETTINGS:
            value = info.get(key)
            if value is None or value == '':
                own[key] = defaults[key]
                continue
            own[key] = _setting(value, allow_zero)
            if own[key] is None:
                errors.append("%s: field '%s': must be a number %s 0, got %r" % (label, variable, '>=' if allow_zero else '>', value))
        size = {}
        for key, variable, fact, what in (('memory_mb', 'odoo_capacity_host_memory_mb', 'ansible_memtotal_mb', 'memory'),
                                          ('vcpus', 'odoo_capacity_host_vcpus', 'ansible_processor_vcpus', 'vCPUs')):
            value = info.get(key)
            if value is None or value == '':
                errors.append("%s: field '%s': its %s is unknown (no %s fact) and %s %s %s placed on it: gather facts on %s "
                              "or set %s for it in the inventory"
                              % (label, variable, what, fact, _plural(len(tenants), 'tenant'), names,
                                 _plural(len(tenants), 'is', 'are'), host, variable))
                continue
            size[key] = _setting(value, False)
            if size[key] is None:
                errors.append("%s: field '%s': must be a number > 0, got %r" % (label, variable, value))

        if own['overcommit'] is not None and own['reserve_mb'] is not None and size.get('memory_mb') is not None:
            need = []
            for short, tenant in tenants:
                limits = tenant.get('limits') if isinstance(tenant.get('limits'), dict) else {}
                memory = memory_bytes(limits.get('memory'))
                if memory is not None:
                    need.append((short, per_tenant * memory / MIB))
            total = sum(mb for _short, mb in need)
            capacity = size['memory_mb'] * own['overcommit'] - own['reserve_mb']
            if need and total > capacity + 1e-6:
                errors.append("%s: field 'limits.memory': %s %s %s %s MB (%s, limits.memory each), over the capacity of %s MB "
                              "(%s MB \u00d7 %s overcommit \u2212 %s MB reserve)"
                              % (label, _plural(len(need), 'tenant'), ', '.join('%s (%s MB)' % (n, _fmt(mb)) for n, mb in need),
                                 _plural(len(need), 'needs', 'need'), _fmt(total), services, _fmt(capacity),
                                 _fmt(size['memory_mb']), own['overcommit'], _fmt(own['reserve_mb'])))

        if size.get('vcpus') is not None:
            need = []
            for short, tenant in tenants:
                limits = tenant.get('limits') if isinstance(tenant.get('limits'), dict) else {}
                cpus = limits.get('cpus')
                if not _is_number(cpus) or cpus <= 0:
                    continue
                need.append((short, per_tenant * cpus))
                if cpus > size['vcpus']:
                    errors.append("%s: field 'limits.cpus': tenant %s gives each of its containers (%s) %s CPUs, more than the "
                                  "%s vCPUs of the host (Docker refuses to start them)"
                                  % (label, short, ', '.join(SERVICES), _fmt(cpus), _fmt(size['vcpus'])))
            total = sum(c for _short, c in need)
            if own['cpu_overcommit'] is not None and need:
                capacity = size['vcpus'] * own['cpu_overcommit']
                if total > capacity + 1e-6:
                    errors.append("%s: field 'limits.cpus': %s %s %s %s CPUs (%s, limits.cpus each), over the capacity of %s CPUs "
                                  "(%s vCPUs \u00d7 %s overcommit)"
                                  % (label, _plural(len(need), 'tenant'), ', '.join('%s (%s CPUs)' % (n, _fmt(c)) for n, c in need),
                                     _plural(len(need), 'needs', 'need'), _fmt(total), services, _fmt(capacity),
                                     _fmt(size['vcpus']), own['cpu_overcommit']))
    return errors


def catalog(tenants, tiers=None, defaults=None, image_repository='odoo', port_base=18000):
    """The catalogue resolved for deployment (run catalog_errors first)."""
    out = []
    for tenant in tenants or []:
        merged = resolve(dict(tenant), tiers, defaults)
        merged['version'] = version_string(merged.get('version'))
        merged['state'] = merged.get('state') or DEFAULT_STATE
        if not merged.get('image'):
            merged['image'] = '%s:%s' % (image_repository, merged['version'])
        merged['port'] = int(port_base) + 10 * int(merged['slot'])
        merged['websocket_port'] = merged['port'] + 1
        out.append(merged)
    return out


def _ab64(data):
    """passlib's adapted base64: '.' instead of '+', no padding."""
    return base64.b64encode(data).decode('ascii').replace('+', '.').rstrip('=')


def admin_passwd_hash(password, salt_source, rounds=600000):
    """'$pbkdf2-sha512$<rounds>$<salt>$<digest>' with a 16-byte salt derived from salt_source and the password.

    The same password and salt_source always give the same hash, so odoo.conf does not change
    from run to run; a new password gives a new salt. rounds matches Odoo's own default (600000).
    """
    if not isinstance(password, str) or not password:
        raise ValueError('odoo_admin_passwd_hash: the password is empty')
    rounds = int(rounds)
    if rounds < 1000:
        raise ValueError('odoo_admin_passwd_hash: rounds must be >= 1000')
    salt = hmac.new(password.encode('utf-8'), ('odoo_ops admin_passwd salt|%s' % salt_source).encode('utf-8'), hashlib.sha256).digest()[:16]
    digest = hashlib.pbkdf2_hmac('sha512', password.encode('utf-8'), salt, rounds)
    return '$pbkdf2-sha512$%d$%s$%s' % (rounds, _ab64(salt), _ab64(digest))


def _filter_errors(tenants, versions, groups=None, tiers=None, defaults=None, hosts=None, tenancy_tiers=None,
                   overcommit=1.0, reserve_mb=1024, cpu_overcommit=2.0, dedicated_group='dedicated'):
    if isinstance(groups, Mapping):
        groups = {str(group): list(members or []) for group, members in groups.items()}
    elif groups is not None:
        groups = list(groups)
    return catalog_errors(tenants, list(versions or []), groups, dict(tiers) if tiers is not None else None, dict(defaults or {}),
                          dict(hosts) if isinstance(hosts, Mapping) else hosts,
                          dict(tenancy_tiers) if isinstance(tenancy_tiers, Mapping) else tenancy_tiers,
                          overcommit, reserve_mb, cpu_overcommit, dedicated_group)


def _filter_catalog(tenants, tiers=None, defaults=None, image_repository='odoo', port_base=18000):
    return catalog(tenants, dict(tiers or {}), dict(defaults or {}), image_repository, port_base)


def _filter_hash(password, salt_source, rounds=600000):
    from ansible.errors import AnsibleFilterError

    try:
        return admin_passwd_hash(password, salt_source, rounds)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """odoo_ops.hosting tenant catalogue filters."""

    def filters(self):
        return {
            'tenant_catalog_errors': _filter_errors,
            'tenant_catalog': _filter_catalog,
            'odoo_admin_passwd_hash': _filter_hash,
        }
