# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an Ansible module's main() in-process and get its result.

    from ansible_collections.odoo_ops.hosting.plugins.modules import odoo_health
    from ansible_collections.odoo_ops.hosting.tests.unit.plugins.modules.utils import run_module

    result = run_module(odoo_health.main, {'url': '...'}, check_mode=True)
    assert result['failed'] is False

exit_json/fail_json are replaced so that they raise instead of printing and
exiting; run_module() returns the keyword arguments they got, with ``failed``
set to True (fail_json) or False (exit_json). Module arguments are injected
with ansible.module_utils.testing.patch_module_args (ansible-core 2.19+) or,
on older cores, through basic._ANSIBLE_ARGS.
"""

from __future__ import annotations

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args as _patch_module_args
except ImportError:  # ansible-core < 2.19
    _patch_module_args = None


class AnsibleExitJson(Exception):
    """Raised by exit_json; .result holds its keyword arguments."""

    def __init__(self, result):
        super().__init__(result.get('msg'))
        self.result = result


class AnsibleFailJson(Exception):
    """Raised by fail_json; .result holds msg and its keyword arguments."""

    def __init__(self, result):
        super().__init__(result.get('msg'))
        self.result = result


def _exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    kwargs['failed'] = False
    raise AnsibleExitJson(kwargs)


def _fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs['msg'] = msg
    kwargs['failed'] = True
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def set_module_args(args):
    """Make AnsibleModule() read args as its module arguments."""
    if _patch_module_args is not None:
        with _patch_module_args(args):
            yield
        return
    serialized = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    with mock.patch.object(basic, '_ANSIBLE_ARGS', serialized):
        yield


@contextlib.contextmanager
def patch_exit_fail():
    """Make exit_json/fail_json raise AnsibleExitJson/AnsibleFailJson."""
    with mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json):
        yield


def run_module(main, args, check_mode=False):
    """Run main() with args (a dict); return the dict given to exit_json or fail_json."""
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    with set_module_args(args), patch_exit_fail():
        try:
            main()
        except AnsibleExitJson as exc:
            return exc.result
        except AnsibleFailJson as exc:
            return exc.result
    raise AssertionError('the module returned without calling exit_json or fail_json')
