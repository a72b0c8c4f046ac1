"""Behaviour of the engine the docker role set up on docker1.

A small compose project (the harness registry's Debian image running python3's http.server with a
healthcheck and cpu/memory limits) is brought up, queried, survives an engine restart (live-restore)
and is taken down again. Every wait is bounded.
"""

import ipaddress
import json
import shlex
import time

import pytest

REGISTRY = "odoo-ops-infra:5000"
IMAGE = f"{REGISTRY}/odoo-ops/debian12-systemd:latest"
ADDRESS_POOL = ipaddress.ip_network("10.213.0.0/16")
POOL_SIZE = 24
PROJECT = "odoo-ops-docker-test"
PROJECT_DIR = f"/tmp/{PROJECT}"
PORT = 18080
COMPOSE = f"docker compose --project-name {PROJECT} --project-directory {PROJECT_DIR} -f {PROJECT_DIR}/compose.yaml"

COMPOSE_FILE = f"""\
services:
  web:
    image: {IMAGE}
    command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", "/srv"]
    volumes:
      - {PROJECT_DIR}/srv:/srv:ro
    ports:
      - "127.0.0.1:{PORT}:8080"
    cpus: 0.5
    mem_limit: 128m
    healthcheck:
      test: ["CMD", "curl", "-fsS", "--max-time", "2", "-o", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 2s
      timeout: 3s
      retries: 15
"""


def run_ok(host, cmd, timeout=60):
    """Run a shell command on docker1 with a hard time limit; fail the test when it fails."""
    result = host.run(f"timeout {timeout} sh -c {shlex.quote(cmd)}")
    assert result.rc == 0, f"{cmd!r} exited {result.rc}: {result.stdout}{result.stderr}"
    return result.stdout


def docker_info(host):
    return json.loads(run_ok(host, "docker info --format '{{json .}}'"))


def http_get(host, attempts=15):
    """Ask the published loopback port, at most `attempts` times one second apart."""
    last = None
    for _ in range(attempts):
        last = host.run(f"curl -fsS --max-time 3 http://127.0.0.1:{PORT}/")
        if last.rc == 0:
            return last.stdout
        time.sleep(1)
    pytest.fail(f"http://127.0.0.1:{PORT}/ never answered: {last.stderr}")


def container(host):
    cid = run_ok(host, f"{COMPOSE} ps -q web").strip()
    assert cid, "the web service has no container"
    return json.loads(run_ok(host, f"docker inspect {cid}"))[0]


@pytest.fixture(scope="module")
def project(host):
    run_ok(host, f"install -d -m 0755 {PROJECT_DIR}/srv && echo odoo-ops-docker-test-ok > {PROJECT_DIR}/srv/index.html")
    run_ok(host, f"cat > {PROJECT_DIR}/compose.yaml <<'EOF'\n{COMPOSE_FILE}EOF")
    run_ok(host, f"{COMPOSE} up -d --wait --wait-timeout 150", timeout=180)
    yield
    run_ok(host, f"{COMPOSE} down --volumes --remove-orphans --timeout 5", timeout=60)
    assert host.run(f"docker ps -q --filter label=com.docker.compose.project={PROJECT}").stdout.strip() == ""


def test_engine_settings(host):
    info = docker_info(host)
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "json-file"
    assert info["Driver"] == "overlay2"
    index = info["RegistryConfig"]["IndexConfigs"]
    assert REGISTRY in index and index[REGISTRY]["Secure"] is False


def test_services_enabled(host):
    for unit in ("docker", "containerd"):
        assert host.service(unit).is_running, unit
        assert host.service(unit).is_enabled, unit


def test_compose_plugin_runs(host):
    version = run_ok(host, "docker compose version --short").strip().lstrip("v")
    assert tuple(int(p) for p in version.split(".")[:2]) >= (2, 18)


def test_project_answers(host, project):
    assert http_get(host).strip() == "odoo-ops-docker-test-ok"
    assert container(host)["State"]["Health"]["Status"] == "healthy"


def test_project_network_from_address_pool(host, project):
    net = json.loads(run_ok(host, f"docker network inspect {PROJECT}_default"))[0]
    subnets = [ipaddress.ip_network(c["Subnet"]) for c in net["IPAM"]["Config"]]
    assert subnets, net["IPAM"]
    for subnet in subnets:
        assert subnet.subnet_of(ADDRESS_POOL) and subnet.prefixlen == POOL_SIZE, subnet


def test_container_log_rotation(host, project):
    log_config = container(host)["HostConfig"]["LogConfig"]
    assert log_config["Type"] == "json-file"
    assert log_config["Config"].get("max-size") == "10m"
    assert log_config["Config"].get("max-file") == "3"


def test_container_limits_enforced(host, project):
    c = container(host)
    assert c["HostConfig"]["NanoCpus"] == 500_000_000
    assert c["HostConfig"]["Memory"] == 128 * 1024 * 1024
    # What the kernel enforces (cgroup v1 as seen from inside the container).
    cid = c["Id"]
    limit = run_ok(host, f"docker exec {cid} cat /sys/fs/cgroup/memory/memory.limit_in_bytes").strip()
    assert int(limit) == 128 * 1024 * 1024
    quota = run_ok(host, f"docker exec {cid} cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us").strip()
    period = run_ok(host, f"docker exec {cid} cat /sys/fs/cgroup/cpu/cpu.cfs_period_us").strip()
    assert int(quota) * 2 == int(period)


def test_live_restore_keeps_container(host, project):
    before = container(host)
    dockerd_before = run_ok(host, "systemctl show -p MainPID --value docker").strip()
    run_ok(host, "systemctl restart docker", timeout=90)
    for _ in range(30):
        if host.run("docker info --format '{{.ServerVersion}}'").rc == 0:
            break
        time.sleep(1)
    else:
        pytest.fail("docker did not answer within 30 s of its restart")
    dockerd_after = run_ok(host, "systemctl show -p MainPID --value docker").strip()
    assert dockerd_after != dockerd_before, "dockerd was not restarted"
    after = container(host)
    assert after["State"]["Running"] is True
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert after["State"]["Pid"] == before["State"]["Pid"]
    assert http_get(host).strip() == "odoo-ops-docker-test-ok"
