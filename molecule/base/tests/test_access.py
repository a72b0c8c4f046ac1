"""SSH access as an operator sees it, from the controller over the scenario network."""

from __future__ import annotations

import pytest
from conftest import ADMIN, ADMIN_KEY, BASE1_IP, BASE2_IP, ssh


@pytest.mark.parametrize("ip", [BASE1_IP, BASE2_IP])
def test_admin_logs_in_with_key_and_has_passwordless_sudo(ip):
    result = ssh(ADMIN, ip, "sudo -n true && sudo -n id -u && id -nG")
    assert result.returncode == 0, result.stderr
    uid, groups = result.stdout.split("\n")[:2]
    assert uid == "0"
    assert "odoo-admins" in groups.split()


@pytest.fixture
def root_has_admin_key(base1):
    """Gives root the admin key, so that only PermitRootLogin can stop the login."""
    pub = ADMIN_KEY.with_suffix(".pub").read_text().strip()
    base1.check_output("install -d -m 0700 /root/.ssh && printf '%%s\\n' %s > /root/.ssh/authorized_keys", pub)
    yield
    base1.check_output("rm -f /root/.ssh/authorized_keys")


def test_root_login_is_refused_even_with_a_valid_key(root_has_admin_key):
    result = ssh("root", BASE1_IP)
    assert result.returncode == 255
    assert "Permission denied" in result.stderr


@pytest.fixture
def outsider(base1):
    """A user with the admin key who is not in the admin group."""
    pub = ADMIN_KEY.with_suffix(".pub").read_text().strip()
    base1.check_output(
        "useradd -m -s /bin/bash outsider && install -d -m 0700 -o outsider -g outsider ~outsider/.ssh"
        " && printf '%%s\\n' %s > ~outsider/.ssh/authorized_keys && chown outsider: ~outsider/.ssh/authorized_keys",
        pub,
    )
    yield
    base1.check_output("userdel -r outsider 2>/dev/null || true")


def test_users_outside_the_admin_group_are_refused(outsider):
    result = ssh("outsider", BASE1_IP)
    assert result.returncode == 255
    assert "Permission denied" in result.stderr


def test_removed_admin_is_gone_and_refused(base1):
    assert base1.run("getent passwd formeradmin").rc == 2
    assert not base1.file("/home/formeradmin").exists
    result = ssh("formeradmin", BASE1_IP)
    assert result.returncode == 255


def test_password_and_keyboard_interactive_logins_are_not_offered():
    result = ssh(
        ADMIN, BASE1_IP, "true",
        "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive",
    )  # fmt: skip
    assert result.returncode == 255
    # The server lists the methods it still accepts: public key only.
    assert "Permission denied (publickey)." in result.stderr


@pytest.mark.parametrize(
    "options",
    [
        ["Ciphers=aes128-cbc"],
        # With an AEAD cipher no MAC is negotiated: pick a cipher that needs one.
        ["Ciphers=aes128-ctr", "MACs=hmac-sha1"],
        ["KexAlgorithms=diffie-hellman-group14-sha1"],
    ],
)
def test_weak_algorithms_are_refused(options):
    argv = [arg for option in options for arg in ("-o", option)]
    result = ssh(ADMIN, BASE1_IP, "true", "-o", "LogLevel=INFO", *argv)
    assert result.returncode == 255
    assert "Unable to negotiate" in result.stderr and "no matching" in result.stderr
    # Control: the same client gets in with the server's algorithms.
    assert ssh(ADMIN, BASE1_IP, "true").returncode == 0


def test_login_environment_has_the_system_locale_and_time_zone():
    # The client sends no LANG (no ssh_config, LANG/LC_* removed): pam_env reads /etc/default/locale.
    result = ssh(ADMIN, BASE1_IP, "echo $LANG; locale charmap; date +%Z")
    assert result.returncode == 0, result.stderr
    lang, charmap, zone = result.stdout.split("\n")[:3]
    assert lang == "en_US.UTF-8"
    assert charmap == "UTF-8"
    assert zone in ("CET", "CEST")
    assert "Cannot set LC_" not in result.stderr
