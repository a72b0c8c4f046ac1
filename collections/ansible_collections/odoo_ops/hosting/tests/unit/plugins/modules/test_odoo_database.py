# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""odoo_database against a real PostgreSQL server (Debian's postgresql 15 binaries on this machine,
started for the test session in a temporary directory) and, when a Docker engine and the
odoo-ops/odoo-standin test image are there, a real one-off container run.
Tests that need what is missing are skipped."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.odoo_ops.hosting.plugins.modules import odoo_database
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules import pg_fixture
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

PASSWORD = 'tenant-pw-1'
SCHEMA = """
CREATE TABLE ir_module_module (id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, state varchar NOT NULL DEFAULT 'uninstalled');
CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL);
"""


class PgServer(pg_fixture.PgServer):
    def tenant(self, name, schema=True, modules=(), neutralized=False):
        self.psql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (name, PASSWORD))
        self.psql('CREATE DATABASE %s OWNER %s' % (name, name))
        if schema:
            self.psql('SET ROLE %s;' % name + SCHEMA, db=name)
            for module in modules:
                self.psql("INSERT INTO ir_module_module (name, state) VALUES ('%s', 'installed')" % module, db=name)
            if neutralized:
                self.psql("INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', 'True')", db=name)


@pytest.fixture(scope='module')
def pg():
    if pg_fixture.MISSING:
        pytest.skip(pg_fixture.MISSING)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip('psycopg not installed')
    server = PgServer()
    yield server
    server.stop()


def args(pg, database, **kw):
    base = {'database': database, 'project': database, 'login_host': '127.0.0.1', 'login_port': pg.port,
            'login_user': database, 'login_password': PASSWORD, 'odoo_version': '17.0'}
    base.update(kw)
    return base


def test_fresh_database_check_mode(pg):
    pg.tenant('fresh1', schema=False)
    result = run_module(odoo_database.main, dict(args(pg, 'fresh1', modules_installed=['sale', 'project']), _ansible_diff=True), check_mode=True)
    assert result['failed'] is False and result['changed'] is True
    assert result['commands'] == [
        'odoo -c /etc/odoo/odoo.conf -d fresh1 -i base --without-demo=all --stop-after-init --no-http',
        'odoo -c /etc/odoo/odoo.conf -d fresh1 -i sale,project --without-demo=all --stop-after-init --no-http']
    assert result['modules_before'] == [] and result['modules_after'] == ['base', 'project', 'sale']
    assert '  - sale' in result['diff']['after'] and result['runner'] == 'none'


def test_ready_database_is_unchanged(pg):
    pg.tenant('ready1', modules=['base', 'web', 'sale'], neutralized=True)
    result = run_module(odoo_database.main, args(pg, 'ready1', modules_installed=['sale'], neutralized=True))
    # Nothing to do: no Docker call at all, even outside check mode.
    assert result['failed'] is False and result['changed'] is False and result['commands'] == []
    assert result['modules_before'] == ['base', 'sale', 'web'] and result['neutralized'] is True


def test_missing_modules_update_and_neutralize_planned(pg):
    pg.tenant('ready2', modules=['base', 'web'])
    result = run_module(odoo_database.main, args(pg, 'ready2', modules_installed=['web', 'crm'], modules_updated=['web'], neutralized=True),
                        check_mode=True)
    assert result['changed'] is True
    assert [c.split(' -d ready2 ')[1] for c in result['commands'][:2]] == [
        '-i crm --without-demo=all --stop-after-init --no-http', '-u web --stop-after-init --no-http']
    assert result['commands'][2] == 'odoo neutralize -c /etc/odoo/odoo.conf -d ready2'


def test_absent_database_counts_as_uninitialised(pg):
    pg.psql("CREATE ROLE ghost LOGIN PASSWORD '%s'" % PASSWORD)
    result = run_module(odoo_database.main, args(pg, 'ghost'), check_mode=True)
    assert result['changed'] is True and result['commands'][0].endswith('-i base --without-demo=all --stop-after-init --no-http')


def test_wrong_password_fails_with_context(pg):
    pg.tenant('locked1', modules=['base'])
    result = run_module(odoo_database.main, args(pg, 'locked1', login_password='nope'), check_mode=True)
    assert result['failed'] is True
    assert result['msg'].startswith('odoo_database: database locked1: cannot connect as locked1@127.0.0.1:%d/locked1: ' % pg.port)
    assert 'nope' not in result['msg']


def test_argument_validation(pg):
    result = run_module(odoo_database.main, args(pg, 'x', modules_installed=['Bad-Name']))
    assert result['failed'] is True and "modules_installed: invalid module names 'Bad-Name'" in result['msg']
    result = run_module(odoo_database.main, dict(args(pg, 'x'), container='c'))
    assert result['failed'] is True and 'mutually exclusive' in result['msg']
    result = run_module(odoo_database.main, args(pg, 'x', run_one_off=True))
    assert result['failed'] is True and 'image' in result['msg']


def _standin_image():
    if not shutil.which('docker'):
        return None
    out = subprocess.run(['docker', 'image', 'inspect', '-f', '{{.Id}}', 'odoo-ops/odoo-standin:latest'], capture_output=True, check=False)
    return 'odoo-ops/odoo-standin:latest' if out.returncode == 0 else None


def test_one_off_run_with_standin_image(pg, tmp_path):
    image = _standin_image()
    if image is None or pg.gateway is None:
        pytest.skip('no Docker engine with the odoo-ops/odoo-standin image')
    pytest.importorskip('docker')
    pg.tenant('oneoff1', schema=False)
    conf = tmp_path / 'odoo.conf'
    conf.write_text('[options]\ndb_host = pg\ndb_port = %d\ndb_user = oneoff1\ndb_password = %s\ndata_dir = /var/lib/odoo\n'
                    'addons_path = /mnt/extra-addons\nlist_db = False\n' % (pg.port, PASSWORD))
    conf.chmod(0o644)
    common = dict(run_one_off=True, image=image, volumes=['%s:/etc/odoo/odoo.conf:ro' % conf], extra_hosts={'pg': pg.gateway}, timeout=120)
    result = run_module(odoo_database.main, args(pg, 'oneoff1', modules_installed=['sale'], **common))
    assert result['failed'] is False, result
    assert result['changed'] is True and result['runner'] == 'one_off'
    assert {'base', 'sale'} <= set(result['modules_after']) and result['initialized'] is True
    assert pg.psql("SELECT state FROM ir_module_module WHERE name = 'sale'", db='oneoff1').strip() == 'installed'
    again = run_module(odoo_database.main, args(pg, 'oneoff1', modules_installed=['sale'], **common))
    assert again['changed'] is False and again['commands'] == []
    # A failing module: the stand-in fails modules named fail_*; the reason comes from Odoo's output.
    failed = run_module(odoo_database.main, args(pg, 'oneoff1', modules_installed=['fail_demo'], **common))
    assert failed['failed'] is True and failed['rc'] != 0
    assert 'fail_demo' in failed['reason'] and failed['cmd'].endswith('-i fail_demo --without-demo=all --stop-after-init --no-http')
    missing = run_module(odoo_database.main, args(pg, 'oneoff1', modules_installed=['not_in_addons'], **common))
    assert missing['failed'] is True and 'modules not_in_addons are still not installed' in missing['msg']
    absent = run_module(odoo_database.main, args(pg, 'oneoff1', modules_installed=['crm'], project='no_such_project'))
    assert absent['failed'] is True and 'is absent and run_one_off is false' in absent['msg']
