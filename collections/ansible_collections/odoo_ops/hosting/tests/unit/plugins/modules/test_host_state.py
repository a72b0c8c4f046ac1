# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_state run in-process against the local machine: files under tmp_path, the running user and
groups, dpkg and /proc/sys of this host; systemctl where systemd runs (otherwise its failure)."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil

import pytest

from ansible_collections.odoo_ops.hosting.plugins.module_utils import host_state as hs
from ansible_collections.odoo_ops.hosting.plugins.modules import host_state
from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

RETURN_KEYS = {'files', 'regular', 'apt_lists', 'packages', 'units', 'users', 'groups', 'sysctl', 'locales'}
SYSTEMD = os.path.isdir('/run/systemd/system')
HAS_DPKG = shutil.which('dpkg-query') is not None


def run(args, check_mode=False):
    return run_module(host_state.main, args, check_mode=check_mode)


def me():
    return pwd.getpwuid(os.getuid())


@pytest.fixture
def tree(tmp_path):
    """A file (mode 0640), a directory (0750), a link and a dangling link under tmp_path."""
    data = tmp_path / 'data.conf'
    data.write_bytes(b'key = value\n')
    data.chmod(0o640)
    folder = tmp_path / 'conf.d'
    folder.mkdir()
    folder.chmod(0o750)
    (folder / '10-a.nft').write_text('a\n')
    (folder / '20-b.nft').write_text('b\n')
    (folder / 'ignored.txt').write_text('c\n')
    (tmp_path / 'link').symlink_to(data)
    (tmp_path / 'dangling').symlink_to(tmp_path / 'nowhere')
    return tmp_path


def test_every_return_key_and_nothing_changed_on_empty_options():
    result = run({})
    assert result['failed'] is False and result['changed'] is False
    assert set(result) >= RETURN_KEYS
    assert result['files'] == {} and result['regular'] == {} and result['packages'] == [] and result['units'] == {}
    assert result['users'] == {} and result['groups'] == [] and result['sysctl'] == {} and result['locales'] == []
    assert isinstance(result['apt_lists'], int)


def test_stat_of_file_dir_links_and_absent(tree):
    owner, group = me().pw_name, grp.getgrgid(os.getgid()).gr_name
    paths = [str(tree / name) for name in ('data.conf', 'conf.d', 'link', 'dangling', 'absent')]
    result = run({'paths': paths})
    assert result['failed'] is False and result['changed'] is False
    files = result['files']
    ids = {'uid': os.getuid(), 'gid': os.getgid()}
    assert files[paths[0]] == {'type': 'file', 'owner': owner, 'group': group, 'mode': '0640',
                               'sha1': hashlib.sha1(b'key = value\n').hexdigest(), **ids}
    assert files[paths[1]] == {'type': 'dir', 'owner': owner, 'group': group, 'mode': '0750', **ids}
    assert files[paths[2]]['type'] == 'link' and files[paths[2]]['target'] == str(tree / 'data.conf')
    assert 'sha1' not in files[paths[2]]
    assert files[paths[3]]['type'] == 'link' and files[paths[3]]['target'] == str(tree / 'nowhere')
    assert files[paths[4]] == {'type': 'absent'}


def test_numeric_ids_of_an_owner_without_a_name(tmp_path):
    if os.getuid() != 0:
        pytest.skip('chown to an unnamed id needs root')
    uid = next(i for i in range(64000, 65000) if not _has_uid(i))
    path = tmp_path / 'owned'
    path.write_text('x')
    os.chown(path, uid, uid)
    entry = run({'paths': [str(path)]})['files'][str(path)]
    assert (entry['uid'], entry['gid'], entry['owner']) == (uid, uid, str(uid))


def _has_uid(uid):
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def test_sha1_follows_the_content(tree):
    path = str(tree / 'data.conf')
    before = run({'paths': [path]})['files'][path]['sha1']
    (tree / 'data.conf').write_bytes(b'key = other\n')
    after = run({'paths': [path]})['files'][path]['sha1']
    assert before != after == hashlib.sha1(b'key = other\n').hexdigest()


def test_large_file_checksum_read_in_chunks(tmp_path):
    big = tmp_path / 'big'
    content = os.urandom(hs.CHUNK * 2 + 17)
    big.write_bytes(content)
    assert run({'paths': [str(big)]})['files'][str(big)]['sha1'] == hashlib.sha1(content).hexdigest()


def test_other_types_are_not_read(tmp_path):
    fifo = tmp_path / 'fifo'
    os.mkfifo(fifo)
    entry = run({'paths': [str(fifo)]})['files'][str(fifo)]
    assert entry['type'] == 'other' and 'sha1' not in entry


def test_globs_add_what_they_match_and_regular_follows_links(tree):
    result = run({'paths': [str(tree / 'data.conf')], 'globs': [str(tree / 'conf.d' / '*.nft'), str(tree / 'none' / '*.nft')],
                  'regular': [str(tree / 'data.conf'), str(tree / 'link'), str(tree / 'conf.d'), str(tree / 'dangling')]})
    assert sorted(result['files']) == sorted([str(tree / 'data.conf'), str(tree / 'conf.d' / '10-a.nft'), str(tree / 'conf.d' / '20-b.nft')])
    assert result['files'][str(tree / 'conf.d' / '20-b.nft')]['sha1'] == hashlib.sha1(b'b\n').hexdigest()
    assert result['regular'] == {str(tree / 'data.conf'): True, str(tree / 'link'): True, str(tree / 'conf.d'): False,
                                 str(tree / 'dangling'): False}


def test_check_mode_reads_the_same(tree):
    args = {'paths': [str(tree / 'data.conf'), str(tree / 'absent')], 'users': [me().pw_name]}
    assert run(args, check_mode=True) == run(args)


def test_running_user_and_groups():
    pw = me()
    primary = grp.getgrgid(pw.pw_gid).gr_name
    result = run({'users': [pw.pw_name, 'no-such-user-odoo-ops'], 'groups': [primary, 'no-such-group-odoo-ops']})
    assert result['failed'] is False
    assert result['groups'] == [primary]
    assert list(result['users']) == [pw.pw_name]
    user = result['users'][pw.pw_name]
    assert user['shell'] == pw.pw_shell
    home = 'link' if os.path.islink(pw.pw_dir) else 'dir' if os.path.isdir(pw.pw_dir) else 'absent' if not os.path.exists(pw.pw_dir) else 'file'
    assert user['home'] == home
    expected = {g.gr_name for g in grp.getgrall() if pw.pw_name in g.gr_mem} | {primary}
    assert user['member_of'] == sorted(expected)
    assert user['ssh_dir']['type'] in ('dir', 'absent', 'link') and 'type' in user['keys_file']


def test_user_ssh_dir_and_authorized_keys(tmp_path):
    pw = me()
    home = tmp_path / 'home'
    (home / '.ssh').mkdir(parents=True)
    (home / '.ssh').chmod(0o700)
    keys = home / '.ssh' / 'authorized_keys'
    keys.write_text('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA one\n\n  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB two  \n')
    keys.chmod(0o600)
    fake = pwd.struct_passwd((pw.pw_name, 'x', pw.pw_uid, pw.pw_gid, '', str(home), '/bin/sh'))
    user = hs.read_user(fake, grp.getgrall())
    assert user['shell'] == '/bin/sh' and user['home'] == 'dir'
    assert user['ssh_dir']['type'] == 'dir' and user['ssh_dir']['mode'] == '0700'
    assert user['keys_file']['type'] == 'file' and user['keys_file']['mode'] == '0600'
    assert user['authorized_keys'] == ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA one', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB two']
    keys.unlink()
    user = hs.read_user(fake, grp.getgrall())
    assert user['keys_file'] == {'type': 'absent'} and user['authorized_keys'] == []
    fake = pwd.struct_passwd((pw.pw_name, 'x', pw.pw_uid, pw.pw_gid, '', str(tmp_path / 'nohome'), '/bin/sh'))
    user = hs.read_user(fake, grp.getgrall())
    assert user['home'] == 'absent' and user['ssh_dir'] == {'type': 'absent'}


def test_sysctl_of_this_kernel_and_missing_keys():
    result = run({'sysctl': ['kernel.ostype', 'kernel.no_such_parameter_odoo_ops']})
    assert result['failed'] is False
    assert result['sysctl']['kernel.ostype']['value'] == 'Linux'
    assert result['sysctl']['kernel.ostype']['writable'] is False
    assert result['sysctl']['kernel.no_such_parameter_odoo_ops'] == {'value': None, 'writable': False}


def test_sysctl_whitespace_collapsed_and_writable(tmp_path):
    (tmp_path / 'net' / 'ipv4').mkdir(parents=True)
    (tmp_path / 'net' / 'ipv4' / 'tcp_rmem').write_text('4096\t131072   6291456\n')
    ro = tmp_path / 'net' / 'ipv4' / 'ro'
    ro.write_text('1\n')
    ro.chmod(0o444)
    out = hs.read_sysctl(['net.ipv4.tcp_rmem', 'net.ipv4.ro', 'net.ipv4.none'], root=str(tmp_path))
    assert out['net.ipv4.tcp_rmem'] == {'value': '4096 131072 6291456', 'writable': True}
    assert out['net.ipv4.ro']['value'] == '1'
    assert out['net.ipv4.ro']['writable'] is (os.geteuid() == 0)
    assert out['net.ipv4.none'] == {'value': None, 'writable': False}


@pytest.mark.skipif(not HAS_DPKG, reason='dpkg-query is not installed on this machine')
def test_packages_installed_and_missing():
    result = run({'packages': ['dpkg', 'no-such-package-odoo-ops']})
    assert result['failed'] is False and result['changed'] is False
    assert result['packages'] == ['dpkg']


def test_locales_listed_and_normalised():
    result = run({'locales': True})
    assert result['failed'] is False
    assert 'c' in result['locales'] and 'posix' in result['locales']
    assert all(name == name.lower() and 'utf-8' not in name for name in result['locales'])
    assert hs.normalize_locales('C\nen_US.UTF-8\n\nde_DE.utf8\n') == ['c', 'en_us.utf8', 'de_de.utf8']


@pytest.mark.skipif(not SYSTEMD, reason='systemd does not run on this machine')
def test_units_with_systemd():
    result = run({'units': ['no-such-unit-odoo-ops.service', 'no-such-unit-odoo-ops.timer']})
    assert result['failed'] is False
    assert result['units'] == {'no-such-unit-odoo-ops.service': {'active': 'inactive', 'enabled': ''},
                               'no-such-unit-odoo-ops.timer': {'active': 'inactive', 'enabled': ''}}


@pytest.mark.skipif(SYSTEMD, reason='systemd runs on this machine (see test_units_with_systemd)')
def test_units_without_systemd_fail_with_the_reason():
    result = run({'units': ['ssh.service']})
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('host_state: ')
    assert 'leave units empty on this host' in result['msg']


def test_systemctl_show_output_parsed_in_unit_order():
    stdout = 'ActiveState=active\nUnitFileState=enabled\n\nActiveState=inactive\nUnitFileState=\n'
    assert hs.parse_systemctl_show(stdout, ['ssh.service', 'gone.service']) == {
        'ssh.service': {'active': 'active', 'enabled': 'enabled'}, 'gone.service': {'active': 'inactive', 'enabled': ''}}
    with pytest.raises(hs.HostStateError, match='answered 1 block'):
        hs.parse_systemctl_show('ActiveState=active\nUnitFileState=enabled\n', ['ssh.service', 'gone.service'])
    with pytest.raises(hs.HostStateError, match='answered 0 block'):
        hs.parse_systemctl_show('', ['ssh.service'])


def test_dpkg_status_parsed():
    stdout = 'dpkg\tii \nfoo\trc \nbar\tun \nlibc6\tii \nlibc6\tii \n'
    assert hs.parse_dpkg_status(stdout) == ['dpkg', 'libc6']


def test_missing_command_fails_naming_it(monkeypatch):
    monkeypatch.setenv('PATH', '/nonexistent')
    monkeypatch.setattr(host_state, 'EXTRA_PATHS', [])
    result = run({'locales': True})
    assert result['failed'] is True
    assert result['msg'] == 'host_state: locale is not installed on the host (needed to read locales): leave that option empty on this host'


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads every file')
def test_unreadable_file_fails_naming_it(tmp_path):
    secret = tmp_path / 'secret'
    secret.write_text('x')
    secret.chmod(0)
    result = run({'paths': [str(secret)]})
    assert result['failed'] is True
    assert result['msg'].startswith('host_state: cannot read %s to checksum it' % secret)


@pytest.mark.parametrize('args, message', [
    ({'paths': ['/etc/hosts', 'etc/hosts']}, "paths[1] must be an absolute path, got 'etc/hosts'"),
    ({'globs': ['*.nft']}, "globs[0] must be an absolute path, got '*.nft'"),
    ({'regular': ['']}, "regular[0] must be an absolute path, got ''"),
    ({'packages': ['--admindir=/tmp']}, "packages[0] must be a Debian package name"),
    ({'packages': ['Chrony']}, "packages[0] must be a Debian package name"),
    ({'units': ['ssh.service', '--user']}, "units[1] must be a systemd unit name"),
    ({'users': ['bad name']}, "users[0] must be a user name"),
    ({'groups': ['a:b']}, "groups[0] must be a group name"),
    ({'sysctl': ['../../etc/shadow']}, "sysctl[0] must be a kernel parameter written with dots"),
    ({'sysctl': ['net/ipv4/ip_forward']}, "sysctl[0] must be a kernel parameter written with dots"),
])
def test_bad_input_refused_before_reading(args, message):
    result = run(args)
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('host_state: ' + message)


def test_wrong_types_refused_by_the_argument_spec():
    result = run({'paths': {'a': 1}})
    assert result['failed'] is True and 'paths' in result['msg']
    result = run({'unknown': 1})
    assert result['failed'] is True and 'unknown' in result['msg']
