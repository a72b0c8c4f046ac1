"""ansible-playbook against the molecule inventory, its output as JSON (ansible.posix.json callback)."""

import json
import os
import subprocess


def run_playbook(path, timeout=600):
    """Run the playbook at path; (its process, its output parsed) or a failed assertion with the output's end."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # profile_tasks would print into the JSON
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc, json.loads(proc.stdout)
