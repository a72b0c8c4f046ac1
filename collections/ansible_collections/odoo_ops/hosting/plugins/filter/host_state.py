# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare what the module ``odoo_ops.hosting.host_state`` read with what a role wants.

Filters:

* ``odoo_ops.hosting.host_state_stale(want, files)``: the paths of ``want`` that differ on the host.
  ``want`` is a list of ``{path, type, owner, group, mode, sha1, target}`` where only ``path`` is
  required: ``type`` defaults to ``file`` (``dir``, ``link`` or ``absent`` otherwise) and every
  other key that is given is compared with the read (``files``: the module's ``files`` result).
  A path missing from the read counts as absent.
* ``odoo_ops.hosting.host_state_units_down(units, read_units)``: the units of ``units`` that are
  not both active and enabled according to the module's ``units`` result.

A role renders its templates on the controller (``lookup('ansible.builtin.template', ...) |
hash('sha1')``), reads the host once and runs only the tasks whose path these filters return.
"""

from __future__ import annotations

COMPARED = ('owner', 'group', 'mode', 'sha1', 'target')


def host_state_stale(want, files):
    """Paths of ``want`` whose read state differs from the wanted one, in ``want`` order."""
    stale = []
    for entry in want or []:
        path = entry['path']
        wanted_type = entry.get('type', 'file')
        have = (files or {}).get(path) or {'type': 'absent'}
        if have.get('type', 'absent') != wanted_type:
            stale.append(path)
            continue
        if wanted_type == 'absent':
            continue
        for key in COMPARED:
            if key in entry and entry[key] is not None and str(have.get(key)) != str(entry[key]):
                stale.append(path)
                break
    return stale


def host_state_units_down(units, read_units):
    """Units that are not active and enabled."""
    down = []
    for unit in units or []:
        state = (read_units or {}).get(unit) or {}
        if state.get('active') != 'active' or state.get('enabled') != 'enabled':
            down.append(unit)
    return down


class FilterModule(object):
    """Filters comparing a host_state read with the wanted state."""

    def filters(self):
        return {
            'host_state_stale': host_state_stale,
            'host_state_units_down': host_state_units_down,
        }
