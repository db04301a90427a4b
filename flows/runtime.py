"""Runtime choices for Prefect runs, made once and documented here.

- Heartbeats off for one-shot runs (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` unset): a CLI run that
  lasts seconds does not need the server to watch for a crashed process.
- The task-run recorder off in the embedded (ephemeral) server: it costs ~1 s at the end of
  every flow run to flush task states nobody reads in a one-shot run.
- Analytics off; Prefect's own INFO logs quiet unless ``GRANTFLOW_VERBOSE`` is set.
These apply to the embedded default only; against a real server (``PREFECT_API_URL``) Prefect's
settings are left as the operator chose them.
- ``grantflow serve``'s runner looks for new runs every second (Prefect's default: every 10 s),
  unless ``PREFECT_RUNNER_POLL_FREQUENCY`` is set: a run started with ``grantflow run`` or from the
  UI should not wait up to 10 s to be picked up. One small query a second to the local server.
- The embedded server (a ``python -m uvicorn`` child Prefect starts for a run) and the server
  ``grantflow serve`` starts stop when the process that started them dies, however it dies
  (``kill -9``, SIGTERM, out of memory): ``dies_with_parent``. Prefect stops its embedded server
  at exit only, which a killed process never reaches, and the server stayed up for good.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings


# Run in the child before the real command: the kernel sends it SIGTERM when the thread that
# started it ends (PR_SET_PDEATHSIG, kept across exec); if that happened already, it does not start.
_DIE_WITH_PARENT = ("import ctypes,os,signal,sys\n"
                    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)\n"
                    "os.getppid() == int(sys.argv[1]) or sys.exit(1)\n"
                    "os.execv(sys.argv[2], sys.argv[2:])\n")


def dies_with_parent(args: list[str]) -> list[str]:
    """``args`` (a command, its program a path) run so that it stops when this process dies:
    SIGTERM from the kernel (Linux's parent-death signal) the moment the starting thread ends,
    which for the main thread is the process's end, a ``kill -9`` included. Through a small
    Python launcher that sets the signal and execs the command (same pid; ~13 ms). Only from the
    main thread: a worker thread's end would stop the server under a running process. Elsewhere
    (not Linux, another thread) ``args`` unchanged."""
    import sys
    import threading

    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return list(args)
    return [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *args]


class _ServerSubprocess:
    """The ``subprocess`` module as Prefect's ``SubprocessASGIServer`` sees it: its ``Popen``
    starts the embedded server through ``dies_with_parent``; everything else is the module's."""

    def __getattr__(self, name):
        import subprocess

        return getattr(subprocess, name)

    @staticmethod
    def Popen(args, *rest, **options):      # noqa: N802 - subprocess's name
        import subprocess

        return subprocess.Popen(dies_with_parent(args), *rest, **options)


def embedded_server_dies_with_us() -> None:
    """Make Prefect's embedded server (``SubprocessASGIServer``, started for a run when no
    ``PREFECT_API_URL`` is set) stop when this process dies: a ``grantflow run`` or ``demo``
    killed (-9, SIGTERM) left its server running for good. Prefect 3.8 starts it with
    ``subprocess.Popen([sys.executable, "-m", "uvicorn", ...])`` in its module; that module's
    ``subprocess`` name is pointed at ``_ServerSubprocess``. Nothing else in it changes; a Prefect
    that no longer looks so is left as it is (tests/integration/test_orphan_servers.py then fails)."""
    import subprocess

    from prefect.server.api import server as module

    if getattr(module, "subprocess", None) is subprocess:
        module.subprocess = _ServerSubprocess()


def quiet_environment() -> None:
    """Set environment defaults before Prefect is imported (never overrides what is set)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    # the embedded server starts in ~10 s, but on a busy machine the default 20 s is too short
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not os.environ.get("GRANTFLOW_VERBOSE"):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_INTERNAL_LEVEL", "ERROR")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "ERROR")
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")


RUNNER_POLL_SECONDS = 0.5   # a run asked for with `grantflow run` or the UI starts within half a second


def runner_poll_seconds() -> float | None:
    """How often ``grantflow serve``'s runner asks for runs; None leaves it to Prefect's setting."""
    return None if os.environ.get("PREFECT_RUNNER_POLL_FREQUENCY") else RUNNER_POLL_SECONDS


class UserMistakeOnce(logging.Filter):
    """For the console of a one-shot CLI run: the CLI prints a user mistake (``UserError``) as one
    line; Prefect's own report of it -- a traceback, "Finished in state Failed(...)" -- would repeat
    it with a traceback around it. Records of other failures (bugs) pass."""

    _NAMED = re.compile(r"exception(?: during execution)?:? (\w+)")

    def filter(self, record: logging.LogRecord) -> bool:
        from grantflow.errors import UserError

        if record.exc_info and isinstance(record.exc_info[1], UserError):
            return False
        if record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            named = self._NAMED.search(record.getMessage())
            if named and named.group(1) in _names(UserError):
                return False
        return True


def _names(cls) -> set[str]:
    return {cls.__name__} | {n for sub in cls.__subclasses__() for n in _names(sub)}


@contextlib.contextmanager
def one_shot():
    """Settings for a single CLI run on the embedded server (see module docstring)."""
    quiet_environment()
    if not os.environ.get("PREFECT_API_URL"):
        embedded_server_dies_with_us()
    from prefect.logging.handlers import PrefectConsoleHandler
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    logging.getLogger("prefect.server").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    consoles = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    once = UserMistakeOnce()
    for handler in consoles:
        handler.addFilter(once)
    try:
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    finally:
        for handler in consoles:
            handler.removeFilter(once)


def smtp_password(settings) -> str | None:
    """The SMTP password: the environment variable, else the Prefect Secret block, else None."""
    from grantflow.delivery.service import smtp_password as from_env

    password = from_env(settings)
    block = settings.delivery.smtp.password_block
    if password or not block:
        return password
    from prefect.blocks.system import Secret

    from grantflow.errors import UserError

    try:
        return Secret.load(block).get()
    except ValueError:       # Prefect: "Unable to find block document named …" (a misspelt name)
        raise UserError(f"no Prefect Secret block named {block!r} on the Prefect server, and "
                        f"{settings.delivery.smtp.password_env} is not set: create the block "
                        f"(prefect block create secret) or correct smtp.password_block",
                        field="delivery.smtp.password_block") from None


def worth_retrying(task, task_run, state) -> bool:
    """``retry_condition_fn`` of the steps that touch the outside: a user mistake (``UserError``:
    a wrong SMTP password, TLS refused, bad data) fails the same way again, and a login retried
    counts again toward the mail server locking the account; only other failures are retried."""
    from grantflow.errors import UserError

    return not isinstance(getattr(state, "data", None), UserError)


def mistake_ends_run(steps):
    """``steps()``: a flow's body. A user's mistake (``UserError``: an option of the shared form, the
    config, an unknown project, the data) that stops a run started from a deployment (the Prefect
    UI, ``grantflow run`` on a server, the deadline watch) ends it Failed with its one line in the
    run's log (serve's log, the UI), by returning a ``Failed`` state (Prefect's documented way to set
    a flow run's final state). Raised, Prefect logged it as a crash, whole traceback and all
    ("Encountered exception during execution: Traceback …"), and the operator could not tell the
    two apart. The state's message is the one Prefect gives a raised exception ('Flow run encountered
    an exception: UserError: …'), which ``grantflow run`` and the deadline watch read
    (``flows.remote.user_mistake``). Anything else (a bug) is raised, its traceback logged, as before;
    so is a mistake outside a deployment run (the command line prints it as one line) or in a
    subflow (the run above it deals with it)."""
    from grantflow.errors import UserError

    try:
        return steps()
    except UserError as exc:
        from prefect.context import FlowRunContext

        context = FlowRunContext.get()
        run = context.flow_run if context else None
        if not (run and run.deployment_id and not run.parent_task_run_id):
            raise
        from prefect.logging import get_run_logger
        from prefect.states import Failed

        from flows.remote import failed_message

        get_run_logger().error(str(exc))
        return Failed(message=failed_message(exc))


RUN_LOCKS = ".runs"          # outputs/.runs/<flow run id>.lock, held by the run's process
_held: dict = {}             # flow run id -> its open lock file, for this process's life


def hold_run_lock(outputs, flow_run_id: str) -> None:
    """Mark this process as the one running ``flow_run_id``: an exclusive lock on
    ``outputs/.runs/<id>.lock``, held until the process ends (the kernel releases it however it
    ends). ``grantflow serve`` reads it to tell a run whose process is gone from one that is still
    working (``run_alive``). Marking the same run again in this process does nothing."""
    import fcntl
    import time
    from pathlib import Path

    if flow_run_id in _held:
        return
    folder = Path(outputs) / RUN_LOCKS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{flow_run_id}.lock"
    for _ in range(100):
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:     # a serve looking whether the run is alive, for a moment
            handle.close()
            time.sleep(0.01)
            continue
        try:                        # that serve removes a file nobody held: lock the file now at the path
            here = path.stat().st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            here = False
        if here:
            _held[flow_run_id] = handle
            return
        handle.close()
    # held for a second by someone else: another process runs this same run and marks it


def _lock_held(outputs, flow_run_id: str, remove_unheld: bool) -> bool | None:
    """Whether a process holds ``flow_run_id``'s run lock (``hold_run_lock``); None when there is
    no lock file. ``remove_unheld``: a lock file nobody holds (its process ended) is removed."""
    import fcntl
    from pathlib import Path

    path = Path(outputs) / RUN_LOCKS / f"{flow_run_id}.lock"
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        if remove_unheld:
            path.unlink(missing_ok=True)
        else:
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def run_alive(outputs, flow_run_id: str) -> bool:
    """Whether a process holds ``flow_run_id``'s run lock. A lock file nobody holds (its process
    ended) is removed."""
    return _lock_held(outputs, flow_run_id, remove_unheld=True) is True


def run_lock_gone(outputs, flow_run_id: str) -> bool | None:
    """Whether the process that marked itself as running ``flow_run_id`` (``hold_run_lock``) has
    ended: True when its lock file is there and nobody holds it, False when a process holds it,
    None when there is no lock file (the run works on a machine that does not share this outputs
    folder, has not reached its first step, or its file was swept). The file is left in place."""
    held = _lock_held(outputs, flow_run_id, remove_unheld=False)
    return None if held is None else not held


def sweep_run_locks(outputs) -> None:
    """Remove the lock files of runs whose process has ended (one file per run otherwise stays)."""
    from pathlib import Path

    folder = Path(outputs) / RUN_LOCKS
    if folder.is_dir():
        for path in folder.glob("*.lock"):
            run_alive(outputs, path.stem)


MIN_APPROVAL_TIMEOUT = 3600


def check_advance_approval(options, context) -> None:
    """Approval in advance in a deployment run's ``options`` counts only when ``grantflow run --yes``
    on the machine signed these parameters (``grantflow.advance``): anyone who can reach the API
    set ``approved``, a name and "from the login", and the report went to the county governor.
    Otherwise it is taken away (the run asks the approver as if not approved) and the reason kept
    for the record."""
    from prefect.logging import get_run_logger
    from prefect.runtime import flow_run

    from grantflow.advance import check

    run_id = str(context.flow_run.id) if context and context.flow_run else ""
    why = check(flow_run.flow_name or "", dict(flow_run.parameters or {}), options.unsigned(),
                options.approval_token, run_id)
    if why:
        line = f"Forhåndsgodkjenning i kjøringens parametre er ignorert: {why}"
        get_run_logger().warning(line)
        options.without_approval(line)


def deployment_run(options) -> None:
    """What a run started from a deployment (the Prefect UI's form, ``grantflow run`` on a server,
    the deadline watch's schedule) does first; a run not started from a deployment passes (but for
    an ``approval_timeout_seconds`` below an hour or an ``out`` that is a file: one line each).
    Approval in advance it claims counts only when signed (``check_advance_approval``).

    It reads this installation's config and writes inside its outputs folder only. The form is
    shared: ``options.config`` and ``options.out`` are free text there, and anyone who could open
    the UI had documents written anywhere the serving process may write and a config (with its
    mail server and ledger) read from anywhere. The CLI's local ``--out`` is the person's own shell
    and stays as given. Refused with one line naming the parameter, before anything is read or
    written.

    Then it marks its process alive (``hold_run_lock``), so that a ``grantflow serve`` started
    after the one that ran it was killed can tell a finished process from a working one."""
    from pathlib import Path

    from prefect.runtime import deployment

    from grantflow.errors import UserError
    from grantflow.numbers import echo

    timeout = options.approval_timeout_seconds
    if timeout is not None and timeout < MIN_APPROVAL_TIMEOUT:
        # the run failed ("paused and never resumed") after the approver had the link in a mail
        raise UserError(f"is {timeout}; give at least {MIN_APPROVAL_TIMEOUT} (seconds: the approver is mailed a "
                        "link and needs time to answer), or leave it empty to wait until answered",
                        field="options.approval_timeout_seconds")
    if options.out:
        # a file, or a folder under one (outputs/a-file/sub): the run got as far as writing the
        # files and stopped on a raw "Not a directory" without naming the field
        blocked = next((p for p in (Path(options.out), *Path(options.out).parents)
                        if p.exists() and not p.is_dir()), None)
        if blocked == Path(options.out):
            raise UserError(f"{echo(options.out)} is a file, not a folder", field="options.out")
        if blocked is not None:
            raise UserError(f"{echo(options.out)} is inside {echo(str(blocked))}, a file, not a folder",
                            field="options.out")
    if not deployment.id:
        return
    from grantflow.register import config_root
    from grantflow.settings import load_settings

    settings = load_settings(None)
    installed = config_root(None).resolve()
    if options.config and Path(options.config).resolve() != installed:
        raise UserError(f"{echo(options.config)} is not this installation's config folder ({installed}); a run "
                        "started from a deployment reads only that one (leave the field empty)",
                        field="options.config")
    if options.out:
        outputs = settings.outputs_dir().resolve()
        given = Path(options.out).resolve()
        if given != outputs and outputs not in given.parents:
            raise UserError(f"{echo(options.out)} is outside this installation's outputs folder ({outputs}); a run "
                            "started from a deployment writes only there (leave the field empty)",
                            field="options.out")
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if options.claims_approval() and not (context and context.flow_run and context.flow_run.parent_task_run_id):
        check_advance_approval(options, context)
    if context and context.flow_run and context.flow_run.deployment_id:     # not a subflow of it
        hold_run_lock(settings.outputs_dir(), str(context.flow_run.id))
