"""A served run's process marks itself alive (outputs/.runs/<id>.lock); a new `grantflow serve`
tells a run whose process is gone from one still working by that lock, with real processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from flows.runtime import RUN_LOCKS, run_alive, sweep_run_locks

HOLD = textwrap.dedent("""
    import sys
    from flows.runtime import hold_run_lock
    hold_run_lock(sys.argv[1], sys.argv[2])
    print("held", flush=True)
    sys.stdin.read()            # until the test closes stdin
""")


def _holder(outputs, run_id):
    from ..conftest import ROOT

    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(outputs), run_id], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_run_is_alive_while_its_process_lives_and_its_lock_goes_with_it(tmp_path):
    proc = _holder(tmp_path, "run-1")
    try:
        assert run_alive(tmp_path, "run-1")
        assert run_alive(tmp_path, "run-1")          # asking does not take the lock away
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert not run_alive(tmp_path, "run-1")
    assert not (tmp_path / RUN_LOCKS / "run-1.lock").exists()


def test_a_killed_process_leaves_a_file_but_no_lock(tmp_path):
    proc = _holder(tmp_path, "run-2")
    proc.kill()
    proc.wait(timeout=30)
    assert (tmp_path / RUN_LOCKS / "run-2.lock").exists()
    assert not run_alive(tmp_path, "run-2")


def test_a_run_never_marked_is_not_alive(tmp_path):
    assert not run_alive(tmp_path, "never")


def test_the_sweep_removes_only_the_locks_of_ended_processes(tmp_path):
    living = _holder(tmp_path, "living")
    ended = _holder(tmp_path, "ended")
    ended.kill()
    ended.wait(timeout=30)
    try:
        sweep_run_locks(tmp_path)
        assert sorted(p.name for p in (tmp_path / RUN_LOCKS).iterdir()) == ["living.lock"]
        assert run_alive(tmp_path, "living")
    finally:
        living.stdin.close()
        living.wait(timeout=30)
