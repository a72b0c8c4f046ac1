"""Bad input is refused by role docker before it changes anything, naming the variable.

One ansible-playbook run against docker1 (the molecule inventory): one block per case applies the role
with one bad value, its rescue records the failure. The run must end with changed=0.
"""

import pytest
import yaml
from playbook_run import run_playbook

# A valid baseline for this host; every case spoils one thing.
BASELINE = {
    "docker_install_source": "debian",
    "docker_compose_source": "copy",
    "docker_compose_copy_src": "/nonexistent/docker-compose",
    "docker_daemon_userland_proxy": True,
}

SECRET = "not-a-real-password-7f3a"

# case -> (bad variables, words the failure message must contain)
CASES = {
    "unknown_install_source": ({"docker_install_source": "nonsense"}, ["docker_install_source"]),
    "unknown_compose_source": ({"docker_compose_source": "nonsense"}, ["docker_compose_source"]),
    "debian_without_compose_package": ({"docker_compose_source": "package"}, ["docker_compose_source", "url", "copy"]),
    "url_without_checksum": (
        {"docker_compose_source": "url", "docker_compose_url": "http://odoo-ops-infra:5000/docker-compose"},
        ["docker_compose_checksum"],
    ),
    "pool_not_a_cidr": ({"docker_daemon_default_address_pools": [{"base": "10.213.0.0/33", "size": 24}]}, ["docker_daemon_default_address_pools"]),
    "pool_size_above_base": ({"docker_daemon_default_address_pools": [{"base": "10.213.0.0/16", "size": 8}]}, ["docker_daemon_default_address_pools"]),
    "live_restore_not_boolean": ({"docker_daemon_live_restore": "maybe"}, ["docker_daemon_live_restore"]),
    "login_without_password": ({"docker_registry_logins": [{"registry": "registry.example.test", "username": "ci"}]}, ["docker_registry_logins"]),
    "login_empty_password": (
        {"docker_registry_logins": [{"registry": "registry.example.test", "username": "ci", "password": ""}]},
        ["docker_registry_logins"],
    ),
    "login_empty_username": (
        {"docker_registry_logins": [{"registry": "registry.example.test", "username": "", "password": SECRET}]},
        ["docker_registry_logins"],
    ),
    "docker_user_missing": ({"docker_users": ["no-such-operator"]}, ["docker_users", "no-such-operator"]),
    "userland_proxy_off_on_readonly_proc_sys": ({"docker_daemon_userland_proxy": False}, ["docker_daemon_userland_proxy"]),
}


def playbook():
    tasks = []
    for case, (bad, _) in CASES.items():
        tasks.append(
            {
                "name": f"Case {case}",
                "block": [{"name": "Apply the role", "ansible.builtin.include_role": {"name": "docker"}, "vars": bad}],
                "rescue": [
                    {
                        "name": "Record the failure",
                        "ansible.builtin.set_fact": {
                            "negative_results": "{{ negative_results | default({}) | combine({negative_case: {'task': ansible_failed_task.name, 'msg': "
                            # assert's fail_msg, the argument spec's errors, or the failed loop items' messages
                            "[ansible_failed_result.msg | default('')] + ansible_failed_result.argument_errors | default([]) + "
                            "ansible_failed_result.results | default([]) | selectattr('msg', 'defined') | map(attribute='msg') | list}}) }}"
                        },
                        "vars": {"negative_case": case},
                    }
                ],
            }
        )
    tasks.append({"name": "Report", "ansible.builtin.debug": {"var": "negative_results"}})
    return [{"name": "Bad input for role docker", "hosts": "docker1", "gather_facts": False, "vars": BASELINE, "tasks": tasks}]


@pytest.fixture(scope="module")
def negative_run(host, tmp_path_factory):
    daemon_json = host.file("/etc/docker/daemon.json").sha256sum
    path = tmp_path_factory.mktemp("negative") / "negative.yml"
    path.write_text(yaml.safe_dump(playbook(), sort_keys=False))
    proc, out = run_playbook(path, timeout=300)
    report = out["plays"][0]["tasks"][-1]["hosts"]["docker1"]["negative_results"]
    return {"report": report, "stats": out["stats"]["docker1"], "daemon_json_before": daemon_json, "output": proc.stdout + proc.stderr}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_naming_the_variable(negative_run, case):
    result = negative_run["report"].get(case)
    assert result, f"case {case}: the role did not fail"
    # Refused by the argument spec or by tasks/validate.yml, i.e. before install/configure.
    assert result["task"].startswith(("Validating arguments", "Check ")), result
    message = " ".join(result["msg"])
    for word in CASES[case][1]:
        assert word in message, result


def test_nothing_changed(host, negative_run):
    stats = negative_run["stats"]
    assert stats["changed"] == 0 and stats["failures"] == 0, stats
    assert stats["rescued"] == len(CASES), stats
    assert host.file("/etc/docker/daemon.json").sha256sum == negative_run["daemon_json_before"]
    assert host.service("docker").is_running


def test_password_not_printed(negative_run):
    assert SECRET not in negative_run["output"]
