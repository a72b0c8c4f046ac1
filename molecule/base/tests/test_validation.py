"""Bad input is rejected by the role's validation step, naming the variable, before any change."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from conftest import EPHEMERAL

SCENARIO = Path(__file__).resolve().parent.parent
PROJECT = SCENARIO.parent.parent


def test_bad_input_fails_in_validation_before_any_change():
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_PIPELINING="true",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # no per-task timing noise in the output
    result = subprocess.run(
        ["ansible-playbook", "-i", str(EPHEMERAL / "inventory"), str(SCENARIO / "validation.yml")],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, out[-5000:]
    recap = re.findall(r"^(base\d)\s+: ok=\d+\s+changed=(\d+).*?failed=(\d+)", out, re.M)
    assert [h for h, _, _ in recap] == ["base1"], out[-3000:]
    for host, changed, failed in recap:
        assert (changed, failed) == ("0", "0"), f"{host}: changed={changed} failed={failed}\n{out[-5000:]}"
