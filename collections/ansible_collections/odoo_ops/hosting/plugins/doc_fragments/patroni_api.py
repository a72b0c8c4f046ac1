# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Connection options of the modules that talk to a Patroni REST API through
    # odoo_ops.hosting.plugins.module_utils.patroni; used together with odoo_ops.hosting.http_client.
    # The argument spec is patroni.patroni_api_argument_spec(); keep both in step.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of one member's REST API, for example C(http://10.0.0.11:8008). A path is ignored.
    type: str
    required: true
  username:
    description:
      - REST API user (Patroni C(restapi.authentication.username)). It is sent when given.
    type: str
  password:
    description:
      - Password of O(username).
    type: str
"""
