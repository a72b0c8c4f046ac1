# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only state of a host for the host_state module, standard library only.

Everything a configuration role would otherwise check with one remote task per file, package,
unit, user or kernel parameter, read in one run:

* ``path_entry()``: type (``file``, ``dir``, ``link``, ``other`` or ``absent``, never following a
  link), owner, group, mode and the SHA-1 of a file or the target of a link;
* ``read_files()``, ``read_regular()``: entries of listed paths and of what globs match; whether
  paths are regular files (links followed);
* ``parse_dpkg_status()``, ``parse_systemctl_show()``, ``normalize_locales()``: the output of
  ``dpkg-query``, ``systemctl show`` and ``locale -a``;
* ``read_groups()``, ``read_user()``, ``read_users()``: groups that exist; a user's shell, home,
  groups, ``~/.ssh`` and authorized keys;
* ``read_sysctl()``: running value (whitespace collapsed) and writability of kernel parameters;
* ``validate()``: the first thing wrong with the options, or None;
* ``read_state()``: all of it, given a ``run(argv) -> (rc, stdout, stderr)`` for the commands.

Failures a caller can act on raise ``HostStateError``.
"""

from __future__ import annotations

import glob
import grp
import hashlib
import os
import pwd
import re
import stat

PROC_SYS = '/proc/sys'
APT_LISTS = '/var/lib/apt/lists/*_Packages*'
CHUNK = 1024 * 1024

_PACKAGE_RE = re.compile(r'^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$')
_UNIT_RE = re.compile(r'^[A-Za-z0-9_:@\\][A-Za-z0-9_.:@\\-]*$')
_ACCOUNT_RE = re.compile(r'^[^\s:/]+$')
_SYSCTL_RE = re.compile(r'^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$')


class HostStateError(Exception):
    """A failure the caller can act on; str() says what and how."""


def _owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def sha1_of(path):
    digest = hashlib.sha1()  # noqa: S324 - a content fingerprint compared with Ansible's hash('sha1'), not security
    try:
        with open(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b''):
                digest.update(chunk)
    except OSError as exc:
        raise HostStateError('cannot read %s to checksum it (%s): run the task with become: true, or leave the path out'
                             % (path, exc.strerror or exc)) from exc
    return digest.hexdigest()


def path_entry(path):
    """{type, owner, group, uid, gid, mode[, sha1 | target]} of path, or {type: absent}; links are not followed."""
    try:
        st = os.lstat(path)
    except OSError:
        return {'type': 'absent'}
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        kind = 'dir'
    elif stat.S_ISREG(mode):
        kind = 'file'
    elif stat.S_ISLNK(mode):
        kind = 'link'
    else:
        kind = 'other'
    out = {'type': kind, 'owner': _owner(st.st_uid), 'group': _group(st.st_gid), 'uid': st.st_uid, 'gid': st.st_gid,
           'mode': '%04o' % stat.S_IMODE(mode)}
    if kind == 'file':
        out['sha1'] = sha1_of(path)
    elif kind == 'link':
        out['target'] = os.readlink(path)
    return out


def read_files(paths, globs):
    """{path: path_entry(path)} for every listed path and every existing path a glob matches."""
    files = {path: path_entry(path) for path in paths}
    for pattern in globs:
        for path in sorted(glob.glob(pattern)):
            files[path] = path_entry(path)
    return files


def read_regular(paths):
    """{path: whether it is a regular file, links followed}."""
    return {path: os.path.isfile(path) for path in paths}


def count_apt_lists(pattern=APT_LISTS):
    """How many package lists apt has downloaded (0 on a fresh host or without apt)."""
    return len(glob.glob(pattern))


def dpkg_query_argv(packages):
    return ['dpkg-query', '-W', '-f=${Package}\t${db:Status-Abbrev}\n', '--'] + list(packages)


def parse_dpkg_status(stdout):
    """Names that dpkg-query reports installed (status ii), in its order."""
    installed = []
    for line in stdout.splitlines():
        name, _sep, status = line.partition('\t')
        if status.startswith('ii') and name not in installed:
            installed.append(name)
    return installed


def systemctl_show_argv(units):
    return ['systemctl', 'show', '--property=ActiveState,UnitFileState', '--'] + list(units)


def parse_systemctl_show(stdout, units):
    """{unit: {active, enabled}} from `systemctl show` of units (one block each, in order)."""
    text = stdout.strip()
    blocks = text.split('\n\n') if text else []
    if len(blocks) != len(units):
        raise HostStateError('systemctl show answered %d block(s) for %d unit(s) (%s): output not understood: %s'
                             % (len(blocks), len(units), ', '.join(units), ' '.join(text.split())[:300]))
    out = {}
    for index, name in enumerate(units):
        props = dict(line.split('=', 1) for line in blocks[index].splitlines() if '=' in line)
        out[name] = {'active': props.get('ActiveState', ''), 'enabled': props.get('UnitFileState', '')}
    return out


def normalize_locales(stdout):
    """`locale -a` names as locale_gen compares them: lower case, utf-8 written utf8."""
    return [line.strip().lower().replace('utf-8', 'utf8') for line in stdout.splitlines() if line.strip()]


def read_groups(names, all_groups=None):
    """The names that exist as groups, in the order of the group database."""
    wanted = set(names)
    all_groups = grp.getgrall() if all_groups is None else all_groups
    return [g.gr_name for g in all_groups if g.gr_name in wanted]


def read_user(pw, all_groups):
    """Shell, home type, groups (primary included), ~/.ssh and authorized keys of a passwd entry."""
    member = {g.gr_name for g in all_groups if pw.pw_name in g.gr_mem or g.gr_gid == pw.pw_gid}
    ssh_dir = os.path.join(pw.pw_dir, '.ssh')
    keys_file = os.path.join(ssh_dir, 'authorized_keys')
    user = {'shell': pw.pw_shell, 'home': path_entry(pw.pw_dir)['type'], 'member_of': sorted(member),
            'ssh_dir': path_entry(ssh_dir), 'keys_file': path_entry(keys_file), 'authorized_keys': []}
    if user['keys_file']['type'] == 'file':
        with open(keys_file, errors='replace') as handle:
            user['authorized_keys'] = [line.strip() for line in handle if line.strip()]
    return user


def read_users(names, all_groups=None):
    """{name: read_user()} for the names that exist as users; others are left out."""
    all_groups = grp.getgrall() if all_groups is None else all_groups
    users = {}
    for name in names:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        users[name] = read_user(pw, all_groups)
    return users


def read_sysctl(keys, root=PROC_SYS):
    """{key: {value, writable}}: running value with whitespace collapsed (None when unreadable)."""
    out = {}
    for key in keys:
        path = os.path.join(root, key.replace('.', '/'))
        try:
            with open(path) as handle:
                value = ' '.join(handle.read().split())
        except OSError:
            value = None
        out[key] = {'value': value, 'writable': os.access(path, os.W_OK)}
    return out


def validate(params):
    """The first thing wrong with the options (naming the option and item), or None."""
    for option in ('paths', 'globs', 'regular'):
        for index, path in enumerate(params[option]):
            if not path.startswith('/'):
                return '%s[%d] must be an absolute path, got %r' % (option, index, path)
    checks = (
        ('packages', _PACKAGE_RE, 'a Debian package name (lower case letters, digits, + . -, optional :arch)'),
        ('units', _UNIT_RE, 'a systemd unit name (letters, digits, _ . : @ \\ -, not starting with -)'),
        ('users', _ACCOUNT_RE, 'a user name (no whitespace, : or /)'),
        ('groups', _ACCOUNT_RE, 'a group name (no whitespace, : or /)'),
        ('sysctl', _SYSCTL_RE, 'a kernel parameter written with dots, like net.ipv4.ip_forward'),
    )
    for option, pattern, what in checks:
        for index, value in enumerate(params[option]):
            if not pattern.match(value):
                return '%s[%d] must be %s, got %r' % (option, index, what, value)
    return None


def read_state(params, run):
    """Everything asked for in params; run(argv) -> (rc, stdout, stderr) runs dpkg-query, systemctl, locale."""
    state = {'files': read_files(params['paths'], params['globs']), 'regular': read_regular(params['regular']),
             'apt_lists': count_apt_lists(), 'packages': [], 'units': {}, 'users': {}, 'groups': [], 'sysctl': {},
             'locales': []}
    if params['packages']:
        argv = dpkg_query_argv(params['packages'])
        rc, stdout, stderr = run(argv)
        # rc 1: some of the packages are unknown to dpkg, which only means not installed.
        if rc not in (0, 1):
            raise HostStateError('dpkg-query failed (rc %s): %s' % (rc, ' '.join(stderr.split())[:300]))
        state['packages'] = parse_dpkg_status(stdout)
    if params['units']:
        rc, stdout, stderr = run(systemctl_show_argv(params['units']))
        if rc != 0:
            raise HostStateError('systemctl show failed (rc %s): %s; unit states can only be read where systemd runs: '
                                 'leave units empty on this host' % (rc, ' '.join(stderr.split())[:300]))
        state['units'] = parse_systemctl_show(stdout, params['units'])
    all_groups = grp.getgrall() if params['users'] or params['groups'] else []
    state['groups'] = read_groups(params['groups'], all_groups)
    state['users'] = read_users(params['users'], all_groups)
    state['sysctl'] = read_sysctl(params['sysctl'])
    if params['locales']:
        rc, stdout, stderr = run(['locale', '-a'])
        if rc != 0:
            raise HostStateError('locale -a failed (rc %s): %s' % (rc, ' '.join(stderr.split())[:300]))
        state['locales'] = normalize_locales(stdout)
    return state
