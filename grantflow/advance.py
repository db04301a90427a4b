"""Approval in advance (``grantflow run --yes``) that only the operator on this machine can give.

A run's parameters reach Prefect's API, and anyone who can reach the API can set them: an
``approved`` with a name "from the login" sent an internal report with a data error to the
county governor. The command signs the run's parameters (flow, document, every delivery option
including approver, comment and reason) with a key only the operator's user can read, with the
time and a nonce; the run checks the signature, that it is fresh and that no other run used it.
A run whose parameters claim approval without such a signature is treated as not approved.

The key is ``$PREFECT_HOME/grantflow-approval.key`` (default ``~/.prefect``), made on first use,
mode 0600, outside the repository and the outputs folder; the nonces used are kept beside it in
``grantflow-approvals-used/``. ``grantflow serve`` must run as the user (and with the
PREFECT_HOME) of whoever types ``grantflow run --yes``: another user cannot read the key, and its
runs wait for the approval form."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from datetime import date
from pathlib import Path

KEY_NAME = "grantflow-approval.key"
USED_NAME = "grantflow-approvals-used"
# the run is started at once; one queued behind others (or a serve down) still starts within this
FRESH_SECONDS = 6 * 3600
_TOKEN = re.compile(r"^(\d{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})$")


def state_folder() -> Path:
    """Where the key lives: PREFECT_HOME, as Prefect reads it (default ~/.prefect)."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def _key(create: bool) -> bytes | None:
    """The signing key; made (mode 0600) when ``create`` and missing. None when there is none this
    user may trust: missing, unreadable (another user's), or readable by others."""
    path = state_folder() / KEY_NAME
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass                                  # made meanwhile by another process: read below
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_hex(32).encode())
    try:
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        key = path.read_bytes().strip()
    except OSError:
        return None
    return key if len(key) >= 32 else None


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _message(flow_name: str, params: dict, options: dict, issued: int, nonce: str) -> bytes:
    shown = {k: _plain(v) for k, v in params.items() if k != "options" and v is not None}
    return json.dumps({"flow": flow_name, "params": shown, "options": options, "issued": issued, "nonce": nonce},
                      sort_keys=True, ensure_ascii=False, default=str).encode()


def sign(flow_name: str, params: dict, options: dict, now: float | None = None) -> str:
    """The token for a run of ``flow_name`` with ``params`` (the flow's parameters but ``options``)
    and ``options`` (the delivery options as JSON, without the token)."""
    key = _key(create=True)
    if key is None:
        from .errors import UserError

        raise UserError(f"cannot make or read the approval key {state_folder() / KEY_NAME} (it must be this "
                        "user's, mode 0600)", field="--yes")
    issued, nonce = int(now if now is not None else time.time()), secrets.token_hex(16)
    mac = hmac.new(key, _message(flow_name, params, options, issued, nonce), hashlib.sha256).hexdigest()
    return f"{issued}.{nonce}.{mac}"


def check(flow_name: str, params: dict, options: dict, token: str, run_id: str,
          now: float | None = None) -> str:
    """Why ``token`` does not approve this run in advance ("" when it does), in Norwegian for the
    secretariat. Used once: the first run to show it takes it; the same run resumed (a suspended run
    starts from the top) may show it again."""
    found = _TOKEN.match(token or "")
    if not found:
        return "ikke gitt med «grantflow run --yes» på maskinen (ingen signatur)"
    key = _key(create=False)
    if key is None:
        return f"serveren har ingen nøkkel å kontrollere den med ({KEY_NAME} mangler eller er ikke denne brukerens)"
    issued, nonce, mac = int(found[1]), found[2], found[3]
    wanted = hmac.new(key, _message(flow_name, params, options, issued, nonce), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(wanted, mac):
        return "signaturen stemmer ikke med kjøringens parametre"
    used = state_folder() / USED_NAME / nonce
    try:
        if used.read_text(encoding="utf-8").strip() == run_id:
            return ""
        return "allerede brukt av en annen kjøring"
    except FileNotFoundError:
        pass
    except OSError:
        return "kan ikke lese hvilke godkjenninger som er brukt"
    age = (now if now is not None else time.time()) - issued
    if age > FRESH_SECONDS or age < -300:
        return f"for gammel (gitt for {int(age // 60)} minutter siden; gjelder i {FRESH_SECONDS // 3600} timer)"
    try:
        used.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(used, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return "allerede brukt av en annen kjøring"
    except OSError:
        return "kan ikke skrive hvilke godkjenninger som er brukt"
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(run_id)
    return ""
