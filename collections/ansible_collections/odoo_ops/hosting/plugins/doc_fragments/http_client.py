# -*- coding: utf-8 -*-
# Copyright: (c) 2026, odoo_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # TLS and timeout options of modules that talk HTTP(S) through
    # odoo_ops.hosting.plugins.module_utils.http_check.
    # The argument spec is http_check.http_client_argument_spec(); keep both in step.
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the server certificate chain and that the certificate is valid for the TLS server name.
      - Set to V(false) only for throwaway test setups; the check then accepts any certificate.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) to trust.
      - When set, only these CAs are trusted (the system store is not used).
      - When not set, the system CA store of the managed host is used.
    type: path
  client_cert:
    description:
      - PEM client certificate to present (mutual TLS).
      - May also contain the private key, in which case O(client_key) is not needed.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert). Requires O(client_cert).
    type: path
  timeout:
    description:
      - Seconds one request may take in total (connect, TLS handshake, response and body).
    type: float
    default: 10
"""
