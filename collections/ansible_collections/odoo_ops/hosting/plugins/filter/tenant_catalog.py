# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Odoo tenant catalogue (``odoo_tenants``): validation, normalisation, admin password hash.

Filters:

* ``odoo_ops.hosting.tenant_catalog_errors(tenants, versions, groups, tiers={}, defaults={})``:
  every problem of the catalogue as ``tenant 'x': field 'y': what is wrong`` (empty list = valid).
* ``odoo_ops.hosting.tenant_catalog(tenants, tiers={}, defaults={}, image_repository='odoo', port_base=18000)``:
  each tenant merged over its tier and the defaults, with ``version`` as a string, ``image``,
  ``port`` (8069 published on loopback) and ``websocket_port`` (8072) filled in.
* ``odoo_ops.hosting.odoo_admin_passwd_hash(password, salt_source, rounds=600000)``: a passlib-style
  ``$pbkdf2-sha512$`` hash (what Odoo's ``admin_passwd`` accepts), with a salt derived from
  ``salt_source`` and the password, so the same input always gives the same hash (idempotent files).

The functions below are plain Python (no Ansible objects), so other plugins and the unit tests
can call them directly; capacity checks (issue #5) extend ``catalog_errors``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re

# What a tenant entry may contain. Everything except REQUIRED_FIELDS can come from the tier or
# the role defaults (tenant value > tier value > default; dicts are merged key by key).
REQUIRED_FIELDS = ('name', 'domains', 'version', 'tier', 'placement', 'slot', 'admin_password', 'db_password')
OPTIONAL_FIELDS = (
    'image', 'tenancy', 'workers', 'max_cron_threads', 'limits', 'limit_memory_soft', 'limit_memory_hard',
    'limit_time_cpu', 'limit_time_real', 'modules', 'rate_limit', 'database_manager_allow',
)
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
SECRET_FIELDS = ('admin_password', 'db_password')
TENANCIES = ('dedicated', 'shared')

# A tenant name is the PostgreSQL role and database name, the compose project, the Redis
# session prefix and part of container and router names: lowercase letter first, then
# lowercase letters, digits and single underscores, not ending with an underscore, 2-31
# characters. It is never used as a host name (domains are separate).
NAME_RE = re.compile(r'^[a-z](?:[a-z0-9]|_(?!_)){0,29}[a-z0-9]$')
RESERVED_NAMES = ('postgres', 'template0', 'template1', 'admin', 'odoo', 'root')
RESERVED_PREFIXES = ('pg_',)
HOST_LABEL_RE = re.compile(r'^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
MODULE_RE = re.compile(r'^[a-z0-9][a-z0-9_]*$')
MEMORY_RE = re.compile(r'^[0-9]+(?:\.[0-9]+)?[bkmg]?$')
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
        if not (isinstance(memory, str) and MEMORY_RE.match(memory.lower())) and not (_is_int(memory) and memory > 0):
            bad('limits', 'memory must be a size like "2g", "512m" or a number of bytes, got %r' % (memory,))
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


def catalog_errors(tenants, versions, groups=None, tiers=None, defaults=None):
    """Every problem of the tenant catalogue, as 'tenant 'x': field 'y': what is wrong'.

    tenants: the catalogue (list of dicts); versions: the Odoo versions the role knows;
    groups: names of the inventory groups (None = placement not checked); tiers: tier name ->
    dict of defaults (None = tier not checked); defaults: values under every tenant.
    """
    errors = []
    versions = [version_string(v) for v in (versions or [])]
    if not isinstance(tenants, list):
        return ['odoo_tenants: must be a list of tenants, got %s' % type(tenants).__name__]
    names, domains, slots = {}, {}, {}
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
    return errors


def catalog(tenants, tiers=None, defaults=None, image_repository='odoo', port_base=18000):
    """The catalogue resolved for deployment (run catalog_errors first)."""
    out = []
    for tenant in tenants or []:
        merged = resolve(dict(tenant), tiers, defaults)
        merged['version'] = version_string(merged.get('version'))
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


def _filter_errors(tenants, versions, groups=None, tiers=None, defaults=None):
    group_names = list(groups) if groups is not None else None
    return catalog_errors(tenants, list(versions or []), group_names, dict(tiers) if tiers is not None else None, dict(defaults or {}))


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
