"""Bad input is rejected by the role's validation step, naming the variable, before any change."""

from __future__ import annotations

from conftest import run_playbook


def test_bad_input_fails_in_validation_before_any_change():
    rc, out, recap = run_playbook("validation.yml")
    assert rc == 0, out[-5000:]
    assert sorted(h for h in recap if h.startswith("base")) == ["base1"], out[-3000:]
    for host, counts in recap.items():
        if host.startswith("base"):
            assert (counts["changed"], counts["failed"]) == (0, 0), f"{host}: {counts}\n{out[-5000:]}"
