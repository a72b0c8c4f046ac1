#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: Read files, packages, units, users, kernel parameters and locales of a host in one run
version_added: 0.1.0
description:
  - Reads, in one module run, what a configuration role would otherwise check with one task per file, package,
    service, user or kernel parameter, so that the role can compare it with what it wants on the controller and
    only run the tasks whose target differs.
  - Paths are never followed when they are links. Files give their SHA-1, links their target.
  - The module only reads. It never reports C(changed) and runs the same way in check mode.
  - Uses the Python standard library, plus C(dpkg-query), C(systemctl) and C(locale) only when O(packages),
    O(units) or O(locales) ask for them.
author:
  - odoo_ops maintainers (!UNKNOWN)
options:
  paths:
    description:
      - Absolute paths whose type, owner, group, mode and SHA-1 (files) or target (links) are read into RV(files).
      - A path that does not exist is reported with type V(absent).
    type: list
    elements: str
    default: []
  globs:
    description:
      - Absolute glob patterns (Python C(glob)); every existing path they match is read into RV(files) like O(paths).
    type: list
    elements: str
    default: []
  regular:
    description:
      - Absolute paths to test for being a regular file, links followed (RV(regular)).
    type: list
    elements: str
    default: []
  packages:
    description:
      - Debian package names whose installed state C(dpkg-query) reports (RV(packages)).
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd units whose C(ActiveState) and C(UnitFileState) C(systemctl show) reports (RV(units)).
      - A unit that does not exist is reported as C(inactive) with an empty C(enabled).
      - The host must run systemd when this is not empty.
    type: list
    elements: str
    default: []
  users:
    description:
      - User names whose shell, home, groups, C(~/.ssh) and authorized keys are read into RV(users).
      - Users that do not exist are left out of RV(users).
    type: list
    elements: str
    default: []
  groups:
    description:
      - Group names to look up; those that exist are listed in RV(groups).
    type: list
    elements: str
    default: []
  sysctl:
    description:
      - Kernel parameters written with dots (C(net.ipv4.ip_forward)) whose running value and writability
        under C(/proc/sys) are read into RV(sysctl).
    type: list
    elements: str
    default: []
  locales:
    description:
      - Whether to list the generated locales (C(locale -a)) in RV(locales).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module is read-only; it reads the same way in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Run it with C(become) to checksum files and read C(authorized_keys) that only root may read; a file that
    cannot be read fails the task, naming it.
  - RV(apt_lists) is always returned (0 on a host without apt).
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.service_facts
  - module: ansible.builtin.getent
"""

EXAMPLES = r"""
- name: Read what the role manages, once
  odoo_ops.hosting.host_state:
    paths: [/etc/timezone, /etc/localtime, /etc/ssh/sshd_config.d/50-hardening.conf]
    globs: [/etc/nftables.d/*.nft]
    regular: [/usr/share/zoneinfo/Europe/Paris]
    packages: [chrony, openssh-server, nftables]
    units: [chrony.service, ssh.service, nftables.service]
    users: [opsadmin]
    groups: [opsadmins]
    sysctl: [net.ipv4.ip_forward, vm.swappiness]
    locales: true
  become: true
  register: host

- name: Template the time zone file only when it differs
  ansible.builtin.copy:
    content: "Europe/Paris\n"
    dest: /etc/timezone
    mode: "0644"
  when: host.files['/etc/timezone'].sha1 | default('') != "Europe/Paris\n" | hash('sha1')

- name: Start chrony only when it is not running
  ansible.builtin.systemd_service:
    name: chrony.service
    state: started
  when: host.units['chrony.service'].active != 'active'
"""

RETURN = r"""
files:
  description:
    - One entry per path of O(paths) and per path a pattern of O(globs) matched.
    - C(type) is V(file), V(dir), V(link), V(other) or V(absent) (then the only key).
    - C(owner) and C(group) are names (the numeric id when it has no name), C(uid) and C(gid) the numeric ids
      (for owners that only exist inside containers), C(mode) four octal digits.
    - C(sha1) is given for files, C(target) for links.
  returned: always
  type: dict
  sample:
    /etc/timezone: {type: file, owner: root, group: root, uid: 0, gid: 0, mode: '0644', sha1: 3c5cb4e6c3c8b2c4f0a4e0b6f5a4dd6bb9e3b6f1}
    /etc/localtime: {type: link, owner: root, group: root, uid: 0, gid: 0, mode: '0777', target: /usr/share/zoneinfo/Europe/Paris}
    /etc/missing: {type: absent}
regular:
  description: For each path of O(regular), whether it is a regular file (links followed).
  returned: always
  type: dict
  sample: {/usr/share/zoneinfo/Europe/Paris: true}
apt_lists:
  description: Number of package lists apt has downloaded (C(/var/lib/apt/lists/*_Packages*)); 0 on a fresh host.
  returned: always
  type: int
  sample: 4
packages:
  description: The packages of O(packages) that dpkg reports installed (status C(ii)).
  returned: always
  type: list
  elements: str
  sample: [chrony, openssh-server]
units:
  description: For each unit of O(units), C(active) (C(ActiveState)) and C(enabled) (C(UnitFileState), empty when the unit does not exist).
  returned: always
  type: dict
  sample: {chrony.service: {active: active, enabled: enabled}}
users:
  description:
    - For each user of O(users) that exists, C(shell), C(home) (type of the home directory as in RV(files)),
      C(member_of) (sorted group names, primary group included), C(ssh_dir) and C(keys_file) (entries as in RV(files)
      for C(~/.ssh) and C(~/.ssh/authorized_keys)) and C(authorized_keys) (the non-empty lines of that file).
  returned: always
  type: dict
  sample:
    opsadmin:
      shell: /bin/bash
      home: dir
      member_of: [opsadmin, opsadmins]
      ssh_dir: {type: dir, owner: opsadmin, group: opsadmin, mode: '0700'}
      keys_file: {type: file, owner: opsadmin, group: opsadmin, mode: '0600', sha1: 0a4d55a8d778e5022fab701977c5d840bbc486d0}
      authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample admin@example]
groups:
  description: The groups of O(groups) that exist, in the order of the group database.
  returned: always
  type: list
  elements: str
  sample: [opsadmins]
sysctl:
  description:
    - For each key of O(sysctl), C(value) (running value, whitespace collapsed to single spaces; null when it cannot
      be read) and C(writable) (whether C(/proc/sys) lets the module write it, false in most containers).
  returned: always
  type: dict
  sample: {vm.swappiness: {value: '10', writable: true}, net.ipv4.tcp_rmem: {value: 4096 131072 6291456, writable: false}}
locales:
  description: Generated locales (C(locale -a)) in lower case with C(utf-8) written C(utf8); empty unless O(locales=true).
  returned: always
  type: list
  elements: str
  sample: [c, c.utf8, en_us.utf8, posix]
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.odoo_ops.hosting.plugins.module_utils.host_state import HostStateError, read_state, validate  # noqa: E402

MODULE = 'host_state'
LIST_OPTIONS = ('paths', 'globs', 'regular', 'packages', 'units', 'users', 'groups', 'sysctl')
# Where the commands live when become or cron gives a short PATH.
EXTRA_PATHS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin']


def argument_spec():
    spec = {name: dict(type='list', elements='str', default=[]) for name in LIST_OPTIONS}
    spec['locales'] = dict(type='bool', default=False)
    return spec


def runner(module):
    """run(argv) -> (rc, stdout, stderr) through the module; a command missing on the host is a HostStateError."""
    def run(argv):
        binary = module.get_bin_path(argv[0], opt_dirs=EXTRA_PATHS)
        if binary is None:
            raise HostStateError('%s is not installed on the host (needed to read %s): leave that option empty on this host'
                                 % (argv[0], {'dpkg-query': 'packages', 'systemctl': 'units'}.get(argv[0], 'locales')))
        return module.run_command([binary] + argv[1:], check_rc=False)
    return run


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg='%s: %s' % (MODULE, problem), changed=False)

    # Read-only: the same read runs with and without check mode.
    try:
        state = read_state(params, runner(module))
    except HostStateError as exc:
        module.fail_json(msg='%s: %s' % (MODULE, exc), changed=False)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg='%s: unexpected error: %s' % (MODULE, exc), changed=False, exception=traceback.format_exc())

    module.exit_json(changed=False, **state)


if __name__ == '__main__':
    main()
