"""Installation settings: ``config/grantflow.yaml`` (all optional, sensible defaults).

Secrets are never here: the SMTP password comes from the environment variable named in
``smtp.password_env`` or from a Prefect Secret block named in ``smtp.password_block``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import UserError
from .findings import Finding
from .models import _as_written, _month_day
from .models import DOCUMENT_KINDS, Day, EmailAddress, Line, Model, Rate, RecipientRule, Slug, Whole, known_kinds
from .numbers import echo
from .register import SETTINGS_NAMES, config_root, display_path, validation_findings
from .yamlfile import load_yaml

DEFAULT_RECIPIENTS = {
    "status": RecipientRule(to=["steering_group"], cc=["leader"]),
    "costsplit": RecipientRule(to=["steering_group"], cc=["leader"]),
    "application": RecipientRule(to=["county_governor"], cc=["steering_group_leader"]),
    "final": RecipientRule(to=["county_governor"], cc=["steering_group_leader"]),
    "usage": RecipientRule(to=["county_governor"], cc=["secretariat"]),
}
DEFAULT_APPROVAL = {"application": True, "final": True, "usage": True, "status": False, "costsplit": False}


def _whole_kroner(value):
    """``max_amount`` as YAML wrote a whole number: ``1.000`` would be YAML's 1.0 (one krone), a
    ceiling nobody meant; it is refused rather than read either way."""
    source = getattr(value, "source", None)
    if isinstance(value, bool) or not isinstance(value, int) or (source is not None and not source.isdigit()):
        shown = source if source is not None else repr(value)
        raise ValueError(f"{shown!s} is not a whole number of kroner written with digits only "
                         "(e.g. 1000000000000)")
    return value


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def _host(value: str) -> str:
    """A mail server's host name (``smtp.example.no``, IDN allowed) or IP address, checked when the
    settings are read: a space or a line break in it failed only at the first send, mid-run."""
    if "@" in value and not any(c.isspace() or not c.isprintable() for c in value):
        # 'user:password@smtp.example.no' or 'smtp://user:password@…:587': the login is not shown
        # (the message goes to the console, and on a server into the run's state and logs)
        host = value.rpartition("@")[2].split("/")[0].rpartition(":")[0] or value.rpartition("@")[2].split("/")[0]
        raise ValueError(f"holds a login ('…@{echo(host, 60)[1:-1]}', the rest not shown): write the host name alone "
                         "(e.g. smtp.example.no), the user as smtp.username and the password in the environment "
                         "variable smtp.password_env names, never in this file")
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.removesuffix(".").split(".")
    if not ascii_name or len(ascii_name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        name, colon, port = value.rpartition(":")
        if colon and port.isdigit() and "]" not in name and ":" not in name:
            raise ValueError(f"{echo(value, 60)}: write the host name alone and the port as smtp.port: {port}")
        raise ValueError(f"{echo(value, 60)} is not a host name or IP address (letters, digits, hyphens and "
                         "dots, e.g. smtp.example.no or 127.0.0.1)")
    return value


_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


def _env_name(value: str) -> str:
    """``smtp.password_env`` is the *name* of an environment variable. The password itself written
    there was echoed in every SMTP message ("set the environment variable <password>"), to the
    console, the run's state and the Prefect server's logs; the value is never shown."""
    if not _ENV_NAME.fullmatch(value):
        raise ValueError("not the name of an environment variable (capital letters, digits and _, e.g. "
                         "GRANTFLOW_SMTP_PASSWORD; the value is not shown here): the password itself never goes "
                         "in this file, but in that variable or a Prefect Secret block (smtp.password_block)")
    return value


def ca_problem(path: str) -> str | None:
    """Why ``path`` cannot serve as the CA bundle for the mail server's certificate, or None."""
    import ssl

    try:
        ssl.create_default_context().load_verify_locations(path)
    except (ssl.SSLError, ValueError):       # SSLError first: it is an OSError too
        return f"{echo(path, 120)} holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)"
    except OSError as exc:
        return f"cannot read {echo(path, 120)}: {exc.strerror or type(exc).__name__}"
    return None


def _ca_file(value: str | None) -> str | None:
    """Checked when the settings are read: a missing or unreadable bundle ended the first send in
    an internal error ('a bug in grantflow')."""
    if value is not None and (problem := ca_problem(value)):
        raise ValueError(problem)
    return value


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

LEDGER_EXAMPLE = "e.g. sqlite:////srv/grantflow/sent.db or postgresql+psycopg://grantflow@db.example.no/ledger"


def _ledger_url(value: str | None) -> str | None:
    """The sent ledger's SQLAlchemy URL, checked when the settings are read (it failed only when
    the first document was to be sent, after rendering). The text is not echoed: it may hold a
    password."""
    if value is None:
        return value
    from sqlalchemy.engine import make_url            # only when one is configured: ~0.1 s to import
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL SQLAlchemy can read ({LEDGER_EXAMPLE})") from None
    try:
        url.get_dialect()
    except (NoSuchModuleError, ImportError):
        raise ValueError(f"unknown database kind {echo(url.drivername, 40)} (sqlite or postgresql, "
                         f"{LEDGER_EXAMPLE})") from None
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError(f"an SQLite ledger needs a file: in memory it would forget every send ({LEDGER_EXAMPLE})")
    return value


def outputs_root(explicit: str | os.PathLike | None = None, configured: str | None = None) -> Path:
    """Where documents go: the explicit --out, else $GRANTFLOW_OUTPUTS, else the configured folder."""
    return Path(explicit or os.environ.get("GRANTFLOW_OUTPUTS") or configured or "outputs")


class SmtpSettings(Model):
    """How to reach the SMTP server. TLS is on unless explicitly off for a localhost relay."""

    host: Annotated[str, AfterValidator(_host)] = "localhost"
    port: int | None = Field(None, ge=1, le=65535, description="Default 587 (starttls), 465 (ssl), 25 (none).")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    allow_insecure_localhost: bool = Field(
        False, description="Permit security: none, and only for 127.0.0.1/localhost/::1.")
    username: str | None = Field(None, description="Login; empty for an unauthenticated relay.")
    password_env: Annotated[str, AfterValidator(_env_name)] = Field(
        "GRANTFLOW_SMTP_PASSWORD", description="Name of the environment variable with the password.")
    password_block: str | None = Field(None, description="Name of a Prefect Secret block with the password.")
    timeout: float = Field(30, gt=0, le=600, allow_inf_nan=False, description="Seconds to wait for the server.")
    data_timeout: float = Field(
        600, gt=0, le=3600, allow_inf_nan=False,
        description="Seconds to wait for the reply to a whole message (RFC 5321 4.5.3.2.6: 10 minutes; servers "
                    "scan it first). Giving up earlier risks a second copy.")
    ca_file: Annotated[str | None, AfterValidator(_ca_file)] = Field(
        None, description="Extra CA bundle (PEM) for a private mail server's certificate.")

    def resolved_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]

    @model_validator(mode="after")
    def _tls_as_the_server_speaks_it(self) -> "SmtpSettings":
        # Checked when the settings are read (validate names the line), not first at a scheduled
        # run's send. Plain text carries the password and the documents readable on the network:
        # only to a relay on this machine (which itself sends on with TLS), and only when asked.
        if self.security == "none":
            if not self.allow_insecure_localhost:
                raise ValueError("security: none (no TLS) sends the password and the documents readable on the "
                                 "network; it is refused unless allow_insecure_localhost: true, for a relay on "
                                 "this machine")
            if self.host not in LOOPBACK_HOSTS:
                raise ValueError(f"security: none (no TLS) is only allowed to a relay on this machine "
                                 f"({', '.join(sorted(LOOPBACK_HOSTS))}), not {echo(self.host, 60)}")
        port = self.resolved_port()
        if self.security == "starttls" and port == 465:
            raise ValueError("port 465 is SMTPS, TLS from the first byte (RFC 8314): use security: ssl, or "
                             "port 587 for starttls (starttls there waits for a greeting that never comes)")
        if self.security == "ssl" and port in (25, 587):
            raise ValueError(f"port {port} starts in plain text and switches with STARTTLS: use security: starttls, "
                             "or port 465 for ssl")
        return self


class RetrySettings(Model):
    """Retries for transient SMTP failures (4xx, dropped connection, server down)."""

    attempts: int = Field(4, ge=1, le=10)
    backoff_seconds: list[Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [2, 5, 15], description="Seconds between attempts (0 to 3 600 each).")


class DeliverySettings(Model):
    transport: Literal["outbox", "smtp"] = "outbox"
    outbox: Line | None = Field(None, min_length=1, description="Folder for .eml files; default <outputs>/outbox.")
    ledger_url: Annotated[Line | None, AfterValidator(_ledger_url)] = Field(
        None, description="SQLAlchemy URL; default sqlite:///<outputs>/sent.db.")
    from_address: EmailAddress = "grantflow@localhost.localdomain"
    from_name: Line = Field("", description="The sender's name as recipients see it; empty: the council's name.")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    approval: Annotated[dict[str, bool], BeforeValidator(known_kinds)] = Field(
        default_factory=lambda: dict(DEFAULT_APPROVAL),
        description="Per kind: ask before sending (on by default for the county governor); a kind "
                    "not named keeps its default.")
    approver_email: EmailAddress | None = Field(
        None, description="Who approves external sending; default the council's secretariat.")
    approver_name: Line | None = Field(
        None, description="The approver's name as their mails greet them; default the name the config gives "
                          "that address (the secretariat's), else the address.")
    approval_reminder_days: int = Field(
        2, ge=1, le=30, description="Remind the approver after this many working days without an answer.")
    recipients: Annotated[dict[str, RecipientRule], BeforeValidator(known_kinds)] = Field(default_factory=dict)

    @field_validator("approval")
    @classmethod
    def _approval_defaults(cls, value: dict[str, bool]) -> dict[str, bool]:
        # naming one kind (approval: {status: true}) must not switch the others' approval off
        return {**DEFAULT_APPROVAL, **value}

    def recipient_rule(self, kind: str) -> RecipientRule:
        return self.recipients.get(kind) or DEFAULT_RECIPIENTS.get(kind, RecipientRule())


class DemoRun(Model):
    """One document the demo produces."""

    kind: Slug
    project: Slug | None = None
    council: Slug | None = None
    period: Line | None = None
    as_of: Day | None = None

    @model_validator(mode="after")
    def _runnable(self) -> "DemoRun":
        # checked when the file is read: the demo would otherwise stop half-way with an internal error
        if self.kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {self.kind!r} (use {', '.join(DOCUMENT_KINDS)})")
        if self.kind == "usage":
            if not self.council or self.project:
                raise ValueError("a usage report names a council (council: …), not a project")
            if self.period is None or not (len(self.period) == 4 and self.period.isdigit()):
                raise ValueError("a usage report needs its year as period (e.g. period: \"2015\")")
        elif not self.project or self.council:
            raise ValueError(f"a {self.kind} document names a project (project: …), not a council")
        elif self.kind != "status" and self.period is not None and not (
                len(self.period) == 4 and self.period.isdigit()):
            raise ValueError(f"the period of a {self.kind} document in the demo is a year (e.g. period: \"2016\")")
        return self


class DocumentSettings(Model):
    """Choices that shape the documents' content."""

    top_risk_rf: int = Field(10, ge=1, le=25, description="Status reports list every risk with RF at or above this "
                                                          "(default 10: amber and red), at least three.")
    own_effort_hourly_rate: Rate | None = Field(
        None, ge=0, description="Kroner per hour used to value own effort (egeninnsats) when the project gives none.")
    stale_note_days: int = Field(
        90, ge=1, le=3660,
        description="A status note older than this (or than the last steering-group meeting) is stale.")


class StatusCycleSettings(Model):
    """The status cycle (a deployment run by ``deadline_watch`` on a server)."""

    start_days: int = Field(
        5, ge=0, le=60, description="Start the cycle (ask the project leader) this many working days before a "
                                    "status report's send date; 0: no cycle, the report is made from the files.")
    reminder_days: int = Field(
        2, ge=0, le=60, description="Remind the project leader once, this many working days before the send date, "
                                    "when there is no answer yet.")


class WatchSettings(Model):
    """How ``deadline_watch`` (on a server) looks at the document runs it started."""

    dead_run_minutes: int = Field(
        30, ge=0, le=10080,
        description="A started run still Running after this many minutes whose process is known to be gone (its run "
                    "lock in <outputs>/.runs is held by nobody: killed, a reboot) is ended as Crashed and started "
                    "again; one whose process cannot be seen from here is reported to the secretariat. A started "
                    "run still Pending after this many minutes (its worker was killed before starting it) is "
                    "ended and started again too.")


class Settings(Model):
    outputs: Line = Field("outputs", min_length=1,
                          description="Documents, outbox and sent ledger; a relative path is taken from the folder "
                                      "that holds the config folder.")
    _home: Path | None = PrivateAttr(None)   # the folder holding the config folder (set by settings_findings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    max_amount: Annotated[int, BeforeValidator(_whole_kroner), Field(gt=0)] = Field(
        10 ** 12, description="Largest amount (kr) accepted in the register and data files; larger is an error.")
    include_personal_data: bool = Field(False, description="Phone numbers in public documents.")
    deadline_shift: Literal["before", "after"] = Field(
        "before", description="Where a deadline on a weekend or holiday moves.")
    closed_days: list[Annotated[str, BeforeValidator(_as_written), AfterValidator(_month_day)]] = Field(
        default_factory=lambda: ["24.12", "31.12"],
        description="Days (dd.mm) the offices are closed every year besides weekends and public holidays: no "
                    "working day in any count (deadlines move off them, nothing is made, sent or reminded then, "
                    "'om 3 virkedager' skips them). Default 24.12 and 31.12 (julaften, nyttårsaften); [] counts "
                    "them as working days.")
    deadline_reminders: list[Annotated[Whole, Field(ge=1, le=60)]] = Field(
        default_factory=lambda: [10, 3],
        description="Remind whoever is responsible this many working days before each deadline (once each).")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    status_cycle: StatusCycleSettings = Field(default_factory=StatusCycleSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    demo: list[DemoRun] = Field(default_factory=list)

    @field_validator("closed_days")
    @classmethod
    def _each_closed_day_once(cls, value: list[str]) -> list[str]:
        twice = sorted({day for day in value if value.count(day) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} written more than once")
        return value

    def _installed(self, path: str) -> Path:
        """A configured path: relative to the installation (the folder holding the config folder),
        never to wherever the command is run from. From two folders, a relative path would give
        two outputs folders, two outboxes and two sent ledgers: every document sent twice."""
        folder = Path(path)
        return folder if folder.is_absolute() or self._home is None else self._home / folder

    def outputs_dir(self) -> Path:
        return outputs_root(configured=str(self._installed(self.outputs)))

    def records_dir(self, out: str | os.PathLike | None = None) -> Path:
        """Where a run that writes its files to ``out`` makes and records its documents (their .json
        records, the kept copies of versions that went out): the outputs folder, also for an ``out``
        inside it (a served run's own folder, ``grantflow run --out outputs/alt``), which gets a copy
        of the files only (``placed_in``). A run there compared and numbered with its folder's
        records alone, none: the report of 29 August delivered as version 1 went to all its readers
        again as "versjon 2", its period counted from the project start (an outside tester). An
        ``out`` outside it (the person's own ``--out``) is taken as given, records and all."""
        return self.outputs_dir() if not out or self.placed_in(out) is not None else Path(out)

    def placed_in(self, out: str | os.PathLike | None) -> Path | None:
        """``out`` when it is a folder inside the outputs folder (not the folder itself): where a
        run's files go, their records being the outputs folder's (``records_dir``); else None."""
        if not out:
            return None
        main, given = self.outputs_dir().resolve(), Path(out).resolve()
        return Path(out) if main in given.parents else None

    def outbox_dir(self) -> Path:
        return self._installed(self.delivery.outbox) if self.delivery.outbox else self.outputs_dir() / "outbox"

    def ledger_url(self) -> str:
        given = os.environ.get("GRANTFLOW_LEDGER_URL")
        if given:
            try:
                url = _ledger_url(given)
            except ValueError as exc:
                raise UserError(str(exc), field="$GRANTFLOW_LEDGER_URL") from None
            from sqlalchemy.engine import make_url

            database = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
            if database and not Path(database).is_absolute():
                # 'sqlite:///tmp/x/sent.db' is tmp/x/sent.db under the working folder: a new, empty
                # ledger there said "nothing sent", and a send would send everything again (found
                # by an outside tester); which folder was meant is not guessed
                raise UserError(f"the SQLite file {database!r} is relative (to the folder grantflow is run "
                                f"from); write the whole path with four slashes, sqlite:////{database} for "
                                f"/{database}", field="$GRANTFLOW_LEDGER_URL")
            return url
        configured = self.delivery.ledger_url
        if not configured:
            return f"sqlite:///{(self.outputs_dir() / 'sent.db').resolve()}"
        from sqlalchemy.engine import make_url

        url = make_url(configured)
        if url.get_backend_name() == "sqlite" and not Path(url.database).is_absolute():
            # like outputs: and outbox:, a relative file is the installation's, not the working
            # directory's: from two folders it would be two ledgers, and everything sent twice
            url = url.set(database=str(self._installed(url.database).resolve()))
            return url.render_as_string(hide_password=False)
        return configured


def _settings_file(root: Path) -> Path | None:
    """The settings file. Anything under one of its names counts (a folder, a broken link: its
    reading says what is wrong), so the defaults are never used in its place without a word; two
    of them is an error (which one would win is a guess)."""
    found = [root / name for name in SETTINGS_NAMES if (root / name).exists() or (root / name).is_symlink()]
    if len(found) > 1:
        raise UserError(f"two settings files: {', '.join(p.name for p in found)}; keep one",
                        file=display_path(found[1]))
    return found[0] if found else None


READ_BY_READERS = {"ledger_url", "outbox"}     # delivery keys that say where the record is read


def settings_findings(root: Path, smtp_optional: bool = False) -> tuple[Settings | None, list[Finding]]:
    """The settings in ``<root>/grantflow.yaml`` and what is wrong with them (None if unusable).
    ``smtp_optional`` (a command that sends nothing): mistakes in ``delivery`` alone (its SMTP,
    transport, sender, retries, approvals...; not ``ledger_url`` or ``outbox``, which say where the
    record is) leave those keys at their defaults and come back as warnings, the settings usable."""
    try:
        path = _settings_file(root)
    except UserError as exc:
        return None, [Finding("error", exc.file or "", None, "", exc.message)]
    home = root.resolve().parent
    if path is None:
        settings = Settings()
        settings._home = home
        return settings, []
    shown = display_path(path)
    try:
        doc = load_yaml(path, shown)
    except UserError as exc:
        return None, [Finding("error", shown, exc.line, exc.field or "", exc.message)]
    if doc.data is not None and not isinstance(doc.data, dict):
        return None, [Finding("error", shown, 1, "", "expected a mapping of settings (key: value)")]
    try:
        settings = Settings.model_validate(doc.data or {})
    except ValidationError as exc:
        findings = validation_findings(exc, doc)
        # the delivery keys at fault, each left at its default; never the ledger or outbox a
        # command that only reads looks in (the transport, sender, retries and approvals were
        # refused as well: found by a reviewer)
        faulty = {f.field.split(".")[1] for f in findings if f.field.startswith("delivery.")}
        if not (smtp_optional and isinstance((doc.data or {}).get("delivery"), dict)
                and all(f.field.split(".")[0] == "delivery" and f.field.count(".") >= 1 for f in findings)
                and not faulty & READ_BY_READERS):
            return None, findings
        data = dict(doc.data)
        data["delivery"] = {k: v for k, v in data["delivery"].items() if k not in faulty}
        try:
            settings = Settings.model_validate(data)
        except ValidationError:
            return None, findings
        settings._home = home
        return settings, [Finding("warning", f.file, f.line, f.field, f.message) for f in findings]
    settings._home = home
    return settings, []


def load_settings(config: str | os.PathLike | None = None, sends: bool = True) -> Settings:
    """Read ``<config>/grantflow.yaml`` if it exists; the first problem is raised. ``sends=False``
    (a command that only reads: ``grantflow sent``, ``deadlines``): a mistake in ``delivery`` (but
    its ledger_url and outbox) is said on stderr as one warning line and passed over -- the record can be read while the mail
    settings are being fixed (it exited 1 with the SMTP error); what sends still refuses."""
    settings, findings = settings_findings(config_root(config), smtp_optional=not sends)
    from .deadlines import set_closed_days

    set_closed_days(settings.closed_days if settings is not None else None)
    if settings is None:
        first = findings[0]
        raise UserError(first.message, file=first.file, line=first.line, field=first.field)
    if findings:
        import sys

        first = findings[0]      # said as UserError says it: one line, file:line: field: message
        said = UserError(f"{first.message} (passed over here: this command sends nothing; sending "
                         "refuses until it is fixed)", file=first.file, line=first.line, field=first.field)
        print(f"warning: {said}", file=sys.stderr)
    return settings
