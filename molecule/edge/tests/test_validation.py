"""Bad input is refused by roles redis, pg_router and traefik before they change anything.

One ansible-playbook run against edge1 (the molecule inventory): one block per case applies a
role (or a traefik entry point) with one bad value; its rescue records the failure. The run must
end with changed=0 and must not print the password.
"""

import json
import os
import subprocess

import pytest
import yaml

SECRET = "edge-validation-secret-4c9d"

BASELINES = {
    "redis": {"redis_password": SECRET, "redis_firewall_enabled": False},
    "pg_router": {
        "pg_router_firewall_enabled": False,
        "pg_router_members": [{"name": "pg-a", "address": "127.0.0.1", "port": 15432, "api_port": 18008}],
    },
    "traefik": {
        "traefik_firewall_enabled": False,
        "traefik_binary_source": "copy",
        "traefik_binary_copy_src": "/nonexistent/traefik",
        "traefik_tls_certificates": [{"cert": "-----BEGIN CERTIFICATE-----\nx", "key": "-----BEGIN PRIVATE KEY-----\nx"}],
    },
}
TENANT = {"name": "ok", "domains": ["ok.edge.test"], "web_upstream": "http://127.0.0.1:18069"}

# case -> (role, tasks_from, bad variables, words the failure message must contain)
CASES = {
    "redis_no_password": ("redis", "main", {"redis_password": ""}, ["redis_password"]),
    "redis_short_password": ("redis", "main", {"redis_password": "short"}, ["redis_password"]),
    "redis_quorum_above_sentinels": ("redis", "main", {"redis_sentinel_quorum": 3}, ["redis_sentinel_quorum"]),
    "redis_bad_policy": ("redis", "main", {"redis_maxmemory_policy": "allkeys-everything"}, ["redis_maxmemory_policy"]),
    "redis_bad_maxmemory": ("redis", "main", {"redis_maxmemory": "lots"}, ["redis_maxmemory"]),
    "redis_bad_save": ("redis", "main", {"redis_save": "every hour"}, ["redis_save"]),
    "redis_unknown_initial_master": ("redis", "main", {"redis_initial_master": "nohost"}, ["redis_initial_master"]),
    "pg_router_no_members": ("pg_router", "main", {"pg_router_members": [], "pg_router_postgres_group": "nogroup"}, ["pg_router_members"]),
    "pg_router_bad_member": ("pg_router", "main", {"pg_router_members": [{"name": "bad name", "address": "127.0.0.1"}]}, ["member"]),
    "pg_router_bad_bind": ("pg_router", "main", {"pg_router_bind_address": "everywhere"}, ["pg_router_bind_address"]),
    "pg_router_port_clash": ("pg_router", "main", {"pg_router_stats_port": 5000}, ["pg_router_stats_port"]),
    "traefik_no_certificate": ("traefik", "main", {"traefik_tls_certificates": []}, ["traefik_tls_certificates"]),
    "traefik_url_without_checksum": ("traefik", "main", {"traefik_binary_source": "url", "traefik_binary_checksum": ""}, ["traefik_binary_checksum"]),
    "traefik_bad_source": ("traefik", "main", {"traefik_binary_source": "ftp"}, ["traefik_binary_source"]),
    "traefik_acme_without_email": ("traefik", "main", {"traefik_acme_enabled": True}, ["traefik_acme_email"]),
    "tenant_bad_name": ("traefik", "tenant_route", {"traefik_tenant": dict(TENANT, name="Bad Name")}, ["traefik_tenant"]),
    "tenant_bad_domain": ("traefik", "tenant_route", {"traefik_tenant": dict(TENANT, domains=["not a domain"])}, ["traefik_tenant"]),
    "tenant_bad_allow_list": ("traefik", "tenant_route", {"traefik_tenant": dict(TENANT, database_manager_allow=["everyone"])}, ["traefik_tenant"]),
    "tenant_no_upstream": ("traefik", "tenant_route", {"traefik_tenant": {"name": "ok", "domains": ["ok.edge.test"]}}, ["web_upstream"]),
}


def playbook():
    tasks = []
    for case, (role, entry, bad, _) in CASES.items():
        include = {"name": role} if entry == "main" else {"name": role, "tasks_from": entry}
        tasks.append(
            {
                "name": f"Case {case}",
                "block": [{"name": "Apply the role", "ansible.builtin.include_role": include, "vars": dict(BASELINES[role], **bad)}],
                "rescue": [
                    {
                        "name": "Record the failure",
                        "ansible.builtin.set_fact": {
                            "negative_results": "{{ negative_results | default({}) | combine({negative_case: {'task': ansible_failed_task.name, 'msg': "
                            "[ansible_failed_result.msg | default('')] + ansible_failed_result.argument_errors | default([]) + "
                            "ansible_failed_result.results | default([]) | selectattr('msg', 'defined') | map(attribute='msg') | list}}) }}"
                        },
                        "vars": {"negative_case": case},
                    }
                ],
            }
        )
    tasks.append({"name": "Report", "ansible.builtin.debug": {"var": "negative_results"}})
    return [{"name": "Bad input for the edge roles", "hosts": "edge1", "gather_facts": True, "tasks": tasks}]


@pytest.fixture(scope="module")
def negative_run(host, tmp_path_factory):
    watched = ["/etc/redis/redis-odoo-ops.conf", "/etc/haproxy/haproxy.cfg", "/etc/traefik/traefik.yml"]
    before = {path: host.file(path).sha256sum for path in watched}
    path = tmp_path_factory.mktemp("negative") / "negative.yml"
    path.write_text(yaml.safe_dump(playbook(), sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # profile_tasks would print into the JSON
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = json.loads(proc.stdout)
    report = out["plays"][0]["tasks"][-1]["hosts"]["edge1"]["negative_results"]
    return {"report": report, "stats": out["stats"]["edge1"], "before": before, "output": proc.stdout + proc.stderr}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_naming_the_variable(negative_run, case):
    result = negative_run["report"].get(case)
    assert result, f"case {case}: the role did not fail"
    # Refused by the argument spec or a validation task ("Check ..."), i.e. before anything changes.
    assert result["task"].startswith(("Validating arguments", "Check ")), result
    message = " ".join(result["msg"])
    for word in CASES[case][3]:
        assert word in message, result


def test_nothing_changed(host, negative_run):
    stats = negative_run["stats"]
    assert stats["changed"] == 0 and stats["failures"] == 0, stats
    assert stats["rescued"] == len(CASES), stats
    for path, digest in negative_run["before"].items():
        assert host.file(path).sha256sum == digest, path


def test_password_not_printed(negative_run):
    assert SECRET not in negative_run["output"]
