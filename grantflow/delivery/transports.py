"""Transports: the outbox (RFC 5322 .eml files, the embedded default) and SMTP through yagmail.

yagmail opens the connection (TLS, login); the message itself is ours (``message.compose``) and
goes out with ``send_message`` so both transports carry byte-for-byte the same e-mail, and
failures are classified here rather than swallowed.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

import yagmail

from .. import fmt
from ..errors import UserError
from ..fileio import atomic_write
from ..register import display_path
from ..settings import LOOPBACK_HOSTS, SmtpSettings, ca_problem
from .ledger import LOCAL

LOCALHOST = LOOPBACK_HOSTS


class TransientError(Exception):
    """Worth retrying: 4xx, dropped connection, server down."""

    # no answer at all (cannot connect, timed out, connection lost), as opposed to a 4xx reply:
    # after the retries, the next recipients would only wait for the same silence
    unreachable = False
    # the whole message was transmitted and the connection dropped before the server's reply:
    # the server may have accepted it ("maybe delivered"); a retry may make a second copy
    maybe_delivered = False


def _unreachable(text: str, maybe_delivered: bool = False) -> TransientError:
    exc = TransientError(text)
    exc.unreachable, exc.maybe_delivered = True, maybe_delivered
    return exc


class PermanentError(Exception):
    """Not worth retrying: 5xx (refused recipient, rejected message)."""

    # the message is larger than the server takes: so is every other copy of this document
    too_large = False


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{fmt.number(size / 1_000_000, 1)} MB"
    return f"{fmt.number(max(1, size / 1000))} kB"


OUTBOX_FIELD = "delivery.outbox"


def outbox_problem(folder: Path, exc: OSError) -> UserError:
    """The local outbox folder cannot be written (a file in its place, read-only, full): every
    message of the run fails alike, so it is one line naming the folder (a ``UserError``: never
    retried; a run on a server is Failed with it and ``grantflow run`` shows it as one line)."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        why = "it is a file, not a folder" if blocker == folder else f"{display_path(blocker)} is a file, not a folder"
    else:
        why = exc.strerror or type(exc).__name__
    return UserError(f"cannot write to the outbox folder {display_path(folder)}: {why} (set delivery.outbox "
                     "in grantflow.yaml, or GRANTFLOW_OUTPUTS, to a folder grantflow can write)", field=OUTBOX_FIELD)


class OutboxTransport:
    """Writes each message as ``<outbox>/<message-id>.eml``; any mail client opens them."""

    name = LOCAL

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path_for(self, msg: EmailMessage) -> Path:
        token = hashlib.sha256(msg["Message-ID"].encode()).hexdigest()[:16]
        return self.folder / f"{token}.eml"

    def send(self, msg: EmailMessage) -> str:
        try:
            path = atomic_write(self.path_for(msg), msg.as_bytes())
        except OSError as exc:
            raise outbox_problem(self.folder, exc) from None
        return str(path)

    def check(self) -> None:
        """Raise ``outbox_problem`` unless a message can be written to the folder (makes it)."""
        try:
            atomic_write(self.folder / ".grantflow-write-check", b"")
            (self.folder / ".grantflow-write-check").unlink()
        except OSError as exc:
            raise outbox_problem(self.folder, exc) from None

    def close(self) -> None:
        pass


class SmtpTransport:
    """SMTP with STARTTLS or SSL; plain only when explicitly allowed for a localhost relay."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, password: str | None, sender: str):
        if settings.security == "none":
            if not settings.allow_insecure_localhost:
                raise UserError("SMTP without TLS is refused; set smtp.allow_insecure_localhost: true "
                                "for a relay on this machine", field="delivery.smtp.security")
            if settings.host not in LOCALHOST:
                raise UserError(f"SMTP without TLS is only allowed to localhost, not {settings.host!r}",
                                field="delivery.smtp.host")
        if settings.username and not password:
            raise UserError(f"no SMTP password: set the environment variable {settings.password_env} "
                            "or smtp.password_block (a Prefect Secret block)", field="delivery.smtp")
        self.settings = settings
        self.password = password
        self.sender = sender
        self._client: yagmail.SMTP | None = None
        # called just before the whole message goes to the server (``deliver`` notes it in the ledger)
        self.on_transmit = None

    def _password_source(self) -> str:
        """Where the password was read: the variable when it is set, else the Secret block."""
        import os

        s = self.settings
        if s.password_block and not os.environ.get(s.password_env):
            return f"the Prefect Secret block {s.password_block!r}"
        return s.password_env

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            problem = ca_problem(self.settings.ca_file)     # removed or replaced since the settings were read
            if problem:
                raise UserError(problem, field="delivery.smtp.ca_file")
            context.load_verify_locations(self.settings.ca_file)
        return context

    def _connect(self) -> yagmail.SMTP:
        s = self.settings
        kwargs = {"timeout": s.timeout}
        if s.security == "ssl":
            kwargs["context"] = self._tls_context()
        client = yagmail.SMTP(
            user=s.username or self.sender, password=self.password or "", host=s.host, port=s.resolved_port(),
            smtp_ssl=s.security == "ssl",
            smtp_starttls={"context": self._tls_context()} if s.security == "starttls" else False,
            smtp_skip_login=not s.username, soft_email_validation=False, **kwargs)
        if s.username:
            client.user = s.username   # yagmail appends '@gmail.com' to a bare user name
        try:
            client.login()
        except UnicodeEncodeError:
            # smtplib sends user name and password as ASCII; the exception names the character
            # and its position, so it is not shown
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing before the error line; any failure is moot
                pass
            raise UserError(f"SMTP login for {s.username!r} at {s.host}:{s.resolved_port()} cannot send a user "
                            f"name or password with letters outside ASCII (such as æ, ø, å): use an ASCII "
                            f"password in {self._password_source()}", field="delivery.smtp") from None
        except smtplib.SMTPAuthenticationError:
            raise UserError(f"SMTP login failed for {s.username!r} at {s.host}:{s.resolved_port()}: "
                            f"wrong user name or password (check {self._password_source()})",
                            field="delivery.smtp") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise UserError(f"SMTP server {s.host} does not support what is configured ({exc}); "
                            "check smtp.security", field="delivery.smtp.security") from None
        except ssl.SSLError as exc:
            hint = ""
            if s.security == "ssl" and exc.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                                                      "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"):
                # the server's plain greeting read as TLS: it said only the reason, not what to change
                hint = ("; the server does not speak TLS from the first byte on this port (security: ssl is "
                        "for port 465): use security: starttls on port 587, or security: none with "
                        "allow_insecure_localhost: true on a relay on this machine")
            raise UserError(f"TLS failed with {s.host}:{s.resolved_port()}: {exc.reason or exc}{hint}",
                            field="delivery.smtp") from None
        except smtplib.SMTPResponseException as exc:
            where = f"{s.host}:{s.resolved_port()}"
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            if exc.smtp_code < 200:      # smtplib's -1: the greeting is not SMTP (IMAP, HTTP: a wrong port)
                raise UserError(f"{where} does not answer as an SMTP server (it said {text[:80]!r}); "
                                "check smtp.host and smtp.port", field="delivery.smtp") from None
            if exc.smtp_code >= 500:     # refuses this machine or this login for every recipient alike
                raise UserError(f"the SMTP server {where} refuses the session: {exc.smtp_code} {text}"[:300],
                                field="delivery.smtp") from None
            # 421 "service not available", 454 "TLS not available now": no session, as for silence
            raise _unreachable(f"cannot connect to {where}: {exc.smtp_code} {text}") from None
        except smtplib.SMTPServerDisconnected as exc:
            if "timed out" not in str(exc):
                raise _unreachable(f"cannot connect to {s.host}:{s.resolved_port()}: {exc}") from None
            # the connection was taken and nothing said in s.timeout seconds: a web server (it waits
            # to be spoken to) or another service, not a busy mail server; four retries took 2 min
            # 24 s to say "timed out" (found by an outside tester with smtp.port at Prefect's port)
            raise UserError(f"{s.host}:{s.resolved_port()} took the connection but sent no SMTP greeting in "
                            f"{s.timeout:g} s: it does not answer as an SMTP server (a web server on that port?); "
                            "check smtp.host and smtp.port", field="delivery.smtp") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _unreachable(f"cannot connect to {s.host}:{s.resolved_port()}: {exc}") from None
        return client

    def send(self, msg: EmailMessage) -> str:
        if self._client is None:
            self._client = self._connect()
        smtp = self._client.smtp
        transmitted = []

        def send_bytes(data, _send=type(smtp).send.__get__(smtp)):
            # smtplib's DATA ends the message with CRLF.CRLF in one send(), then waits for the reply:
            # that reply may take minutes (the server scans the message); giving up early makes a
            # "maybe delivered" message that a retry could make a second copy of
            if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
                if self.on_transmit is not None:
                    self.on_transmit()
                transmitted.append(True)
                result = _send(data)
                if smtp.sock is not None:
                    smtp.sock.settimeout(max(self.settings.timeout, self.settings.data_timeout))
                return result
            return _send(data)

        smtp.send = send_bytes
        try:
            refused = smtp.send_message(msg, from_addr=self.sender)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if code == 421 or smtp.sock is None:   # smtplib closed the connection: connect anew
                self._reset()
            self._raise(code, text)
        except smtplib.SMTPResponseException as exc:
            limit = smtp.esmtp_features.get("size", "")
            self._reset()
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            # 552 to MAIL FROM (which carries SIZE=) or 5.3.4/5.2.3 anywhere: the message's size,
            # not this recipient (552 to a recipient or after the data may be a full mailbox)
            if exc.smtp_code >= 500 and ((exc.smtp_code == 552 and isinstance(exc, smtplib.SMTPSenderRefused))
                                         or text.startswith(("5.3.4", "5.2.3"))):
                size = len(msg.as_bytes())
                most = f", the server takes at most {_size(int(limit))}" if limit.isdigit() else ""
                error = PermanentError(f"{exc.smtp_code} {text} (the message with its attachments is "
                                       f"{_size(size)}{most})")
                error.too_large = True
                raise error from None
            self._raise(exc.smtp_code, text)
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            self._reset()
            if transmitted:
                raise _unreachable(f"no reply after the whole message was sent (it may have arrived; a new send "
                                   f"uses the same Message-ID): {exc}", maybe_delivered=True) from None
            raise _unreachable(f"connection lost: {exc}") from None
        finally:
            smtp.__dict__.pop("send", None)
            if smtp.sock is not None:
                smtp.sock.settimeout(self.settings.timeout)
        if refused:
            code, text = next(iter(refused.values()))
            self._raise(code, text)
        return f"{self.settings.host}:{self.settings.resolved_port()}"

    @staticmethod
    def _raise(code: int, text) -> None:
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        if 400 <= code < 500:
            raise TransientError(f"{code} {text}")
        raise PermanentError(f"{code} {text}")

    def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail any way
                pass
        self._client = None

    def close(self) -> None:
        self._reset()
