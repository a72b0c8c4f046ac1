"""Fixtures for the tests of the Odoo stand-in image (tests/images/odoo-standin): images,
the dedicated network 172.28.50.0/24, PostgreSQL, the stand-in runner. Helpers and
addresses live in standin_lib.py."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from standin_lib import (
    DYNAMIC_RANGE,
    GATEWAY,
    LABEL,
    NETWORK,
    PG_IP,
    REPO,
    SUBNET,
    Addons,
    OdooRunner,
    build_image,
    cleanup_test_containers,
    docker,
    start_postgres,
    unique,
)


@pytest.fixture(scope="session")
def images():
    env = dict(os.environ)
    if not env.get("ODOO_OPS_BASE_IMAGE"):
        env["ODOO_OPS_BASE_IMAGE"] = build_image([str(REPO / "tests/images/debian12-systemd/build.sh")], env)
    jobs = {
        "standin": [str(REPO / "tests/images/odoo-standin/build.sh"), "--no-push"],
        "postgres": [str(REPO / "tests/images/standin-deps/build.sh"), "postgres"],
        "redis": [str(REPO / "tests/images/standin-deps/build.sh"), "redis"],
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(build_image, cmd, env) for name, cmd in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.fixture(scope="session")
def network(images):
    cleanup_test_containers()
    docker("network", "create", "--driver", "bridge", "--subnet", SUBNET, "--gateway", GATEWAY, "--ip-range", DYNAMIC_RANGE,
           "--label", LABEL, NETWORK)
    yield NETWORK
    cleanup_test_containers()


@pytest.fixture(scope="session")
def pg(images, network):
    return start_postgres(images, "odoo-ops-standin-pg", PG_IP)


@pytest.fixture
def odoo(images, pg, tmp_path):
    runner = OdooRunner(images["standin"], pg, tmp_path)
    yield runner
    runner.cleanup()


@pytest.fixture(scope="session")
def initialised_db(images, pg, tmp_path_factory):
    """One database initialised with `-i base`, shared by the web tests."""
    runner = OdooRunner(images["standin"], pg, tmp_path_factory.mktemp("initdb"))
    dbname = unique("web")
    res = runner.run("odoo", "-d", dbname, "-i", "base", "--stop-after-init")
    assert res.rc == 0, res.output
    return dbname


@pytest.fixture
def addons(tmp_path):
    """A directory to mount as /mnt/extra-addons (see Addons.write_module)."""
    root = tmp_path / "addons"
    root.mkdir()
    root.chmod(0o755)
    return Addons(root)
