# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of module_utils/odoo.py: command lines, plans, failure summaries, diffs."""

from __future__ import annotations

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils import odoo as o

FRESH = {'exists': True, 'initialized': False, 'installed': [], 'neutralized': False}
READY = {'exists': True, 'initialized': True, 'installed': ['base', 'web', 'sale'], 'neutralized': False}


def test_build_initialize_per_series():
    assert o.build_command('initialize', 'acme', version='17.0') == [
        'odoo', '-c', '/etc/odoo/odoo.conf', '-d', 'acme', '-i', 'base', '--without-demo=all', '--stop-after-init', '--no-http']
    assert o.build_command('initialize', 'acme', version='19.0') == [
        'odoo', '-c', '/etc/odoo/odoo.conf', '-d', 'acme', '-i', 'base', '--stop-after-init', '--no-http']
    assert '--with-demo' in o.build_command('initialize', 'acme', version='19.0', demo=True)
    assert '--without-demo=all' not in o.build_command('initialize', 'acme', version='18.0', demo=True)
    # Unknown series: be safe, no demo data.
    assert '--without-demo=all' in o.build_command('initialize', 'acme')


def test_build_install_update_neutralize():
    assert o.build_command('install', 'acme', ['sale', 'project'], config_path='/c', odoo_bin='/usr/bin/odoo', version='18.0') == [
        '/usr/bin/odoo', '-c', '/c', '-d', 'acme', '-i', 'sale,project', '--without-demo=all', '--stop-after-init', '--no-http']
    expected = ['odoo', '-c', '/etc/odoo/odoo.conf', '-d', 'acme', '-u', 'sale', '--stop-after-init', '--no-http']
    assert o.build_command('update', 'acme', ['sale']) == expected
    assert o.build_command('neutralize', 'acme') == ['odoo', 'neutralize', '-c', '/etc/odoo/odoo.conf', '-d', 'acme']
    with pytest.raises(o.OdooOpsError):
        o.build_command('install', 'acme', [])
    with pytest.raises(o.OdooOpsError):
        o.build_command('drop', 'acme')


def test_plan_fresh_database():
    steps = o.plan_steps(FRESH, True, ['sale', 'base', 'sale'], [], True)
    assert steps == [('initialize', ['base']), ('install', ['sale']), ('neutralize', [])]
    after = o.predicted_state(FRESH, steps)
    assert after == {'initialized': True, 'neutralized': True, 'installed': ['base', 'sale']}


def test_plan_ready_database_is_empty_unless_asked():
    assert o.plan_steps(READY, True, ['sale', 'web'], [], False) == []
    assert o.plan_steps(READY, True, ['sale', 'crm'], ['sale'], False) == [('install', ['crm']), ('update', ['sale'])]
    assert o.plan_steps(dict(READY, neutralized=True), True, [], [], True) == []


def test_plan_needs_initialisation():
    with pytest.raises(o.OdooOpsError, match='modules_installed needs an initialised database'):
        o.plan_steps(FRESH, False, ['sale'])
    with pytest.raises(o.OdooOpsError, match='neutralized needs'):
        o.plan_steps(FRESH, False, [], [], True)
    assert o.plan_steps(FRESH, False) == []


def test_module_names():
    assert o.check_module_names(['sale', 'l10n_be'], 'x') == ['sale', 'l10n_be']
    with pytest.raises(o.OdooOpsError, match="x: invalid module names 'Sale', 'a,b'"):
        o.check_module_names(['Sale', 'a,b'], 'x')


ODOO_TRACEBACK = """2026-01-02 10:00:00,123 7 INFO acme odoo.modules.loading: loading 1 modules...
2026-01-02 10:00:01,456 7 ERROR acme odoo.modules.registry: Failed to load registry
Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/odoo/modules/registry.py", line 87, in new
    odoo.modules.load_modules(registry, force_demo, status, update_module)
odoo.exceptions.UserError: You try to install module 'fail_x' that depends on module 'nope'.
2026-01-02 10:00:01,999 7 CRITICAL acme odoo.service.server: Failed to initialize database `acme`.
"""


def test_failure_summary_prefers_traceback_line():
    reason, tail = o.failure_summary(ODOO_TRACEBACK.encode())
    assert reason == "odoo.exceptions.UserError: You try to install module 'fail_x' that depends on module 'nope'."
    assert tail[-1].endswith('Failed to initialize database `acme`.')


def test_failure_summary_log_line_and_plain():
    out = "2026-01-02 10:00:00,123 7 INFO ? odoo: start\n2026-01-02 10:00:00,200 7 CRITICAL acme odoo.x: Database acme not initialized\n\n"
    assert o.failure_summary(out)[0] == 'acme odoo.x: Database acme not initialized'
    assert o.failure_summary('Usage: odoo [options]\n\nodoo: error: no such option: --bogus\n')[0] == 'odoo: error: no such option: --bogus'
    assert o.failure_summary('')[0] == '(no output)'
    long_output = '\n'.join('line %d' % i for i in range(100))
    assert len(o.failure_summary(long_output, limit=5)[1]) == 5


def test_state_diff():
    diff = o.state_diff(FRESH, {'initialized': True, 'neutralized': False, 'installed': ['base']})
    assert diff['before'] == 'initialized: false\nneutralized: false\nmodules:\n'
    assert diff['after'] == 'initialized: true\nneutralized: false\nmodules:\n  - base\n'


def test_missing_database_detection():
    assert o.missing_database(Exception('connection failed: FATAL:  database "acme" does not exist'))
    assert not o.missing_database(Exception('password authentication failed for user "acme"'))
