"""Outgoing mail: .eml files in instance/outbox/ by default, SMTP when MAIL_SERVER is configured."""

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def send_mail(to, subject, body):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    # Subjects often quote user text (thread titles): one line, or the header would break (or be injected).
    message["Subject"] = " ".join(str(subject).split())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="sparetime.local")
    message.set_content(body)

    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return None

    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{formatdate(usegmt=True)[5:16].replace(' ', '-')}-{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    return path


def read_outbox(outbox_dir):
    """Messages in the outbox folder, oldest first (used by tests and the dev server)."""
    from email import policy
    from email.parser import BytesParser

    paths = sorted(Path(outbox_dir).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in paths]
