"""A deliberate bug, for tests/integration/test_run_cli.py only: this folder is on the PYTHONPATH of
that module's `grantflow serve`, so Python imports this file at the start of each of its processes
(serve, and the fork server its runs start from). A run whose ``options.out`` is a folder named
``deliberate-bug`` then fails where the form's options are checked with a ZeroDivisionError, as a
bug in grantflow would; every other run is untouched. The test asserts that a bug still shows its
traceback in serve's log while a user's mistake is one line."""

try:
    import flows.runtime as _runtime
except ImportError:      # not grantflow's environment: nothing to do
    _runtime = None

if _runtime is not None:
    _checked = _runtime.deployment_run

    def deployment_run(options) -> None:
        from pathlib import Path

        if options.out and Path(options.out).name == "deliberate-bug":
            1 / 0
        return _checked(options)

    _runtime.deployment_run = deployment_run
