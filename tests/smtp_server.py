"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the delivery tests; stops by itself."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def use_smtp(config, port: int, **delivery) -> None:
    """Point ``config``'s grantflow.yaml at an SmtpServer on 127.0.0.1:``port`` (plain, allowed
    for localhost only) as the transport; ``delivery``: other delivery settings (``retry=…``)."""
    import yaml

    path = config / "grantflow.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["delivery"].update(transport="smtp", smtp={"host": "127.0.0.1", "port": port, "security": "none",
                                                        "allow_insecure_localhost": True}, **delivery)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """Keeps what arrived; refuses the addresses in ``refuse`` with ``refusal`` (550 unless told;
    ``refuse`` may be changed between sends: a server that refuses for a while)."""

    def __init__(self, refuse=(), refusal="550 5.1.1 Mailbox unavailable"):
        self.arrived = []
        self.refuse = {a.casefold() for a in refuse}
        self.refusal = refusal
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.casefold() in self.refuse:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.arrived.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(content, policy=policy.default) for _, _, content in self.arrived]

    def recipients(self):
        return [r for _, rcpts, _ in self.arrived for r in rcpts]


class Authenticator:
    """Checks user and password; ``attempts`` holds (session id, mechanism) of every login tried
    (smtplib tries PLAIN, then LOGIN in one session)."""

    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()
        self.attempts: list[tuple[int, str]] = []

    def sessions(self) -> int:
        """How many sessions tried to log in."""
        return len({session for session, _ in self.attempts})

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.attempts.append((id(session), mechanism))
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
            and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """Context manager: ``with SmtpServer() as server: ...`` (server.port, server.recorder)."""

    def __init__(self, port=None, refuse=(), auth=None, tls=None, refusal="550 5.1.1 Mailbox unavailable"):
        self.port = port or free_port()
        self.recorder = Recorder(refuse, refusal)
        kwargs = {}
        self.authenticator = Authenticator(*auth) if auth else None
        if auth:
            kwargs = {"authenticator": self.authenticator, "auth_require_tls": tls is not None}
        if tls:
            import ssl
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        try:
            self.controller.stop()
        except AssertionError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def self_signed(folder):
    """A certificate for 127.0.0.1 (and its key) to test STARTTLS; returns (cert, key) paths."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def smtp_sender(config, tmp_path, monkeypatch, *extra: str):
    """``send(*args)``: `grantflow send ARGS --yes --transport smtp ...extra` against a real SMTP
    server on a free port (outputs and sent ledger in ``tmp_path``); the messages it received."""
    from grantflow.cli import main

    port = free_port()
    use_smtp(config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")

    def send(*args: str) -> list:
        with SmtpServer(port=port) as server:
            assert main(["--config", str(config), "send", *args, "--yes", "--transport", "smtp", *extra]) == 0
            return server.recorder.messages()
    return send
