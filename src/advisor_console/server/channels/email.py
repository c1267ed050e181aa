"""Email over SMTP (issue 10).

In: `serve --smtp-port P` runs an SMTP server (aiosmtpd) inside the server. A received
mail becomes an inbound message of the client with that From address (a new client if
none), in her open email conversation; it is threaded by In-Reply-To / References (a
reply to one of our mails lands in that mail's conversation, even once resolved: it is
reopened) and kept once (its Message-ID is the key: a redelivered mail creates nothing).
MIME multipart: text/plain preferred, HTML turned into readable text (never markup);
attachments kept (name, type, size; the bytes up to `MAX_ATTACHMENT` each, base64).
Anything unreadable is refused with an SMTP error, never a crash.

Out: replies on email conversations start "pending"; `EmailSender.tick` (the background
loop) sends each through the configured relay (smtplib) with a Message-ID of ours,
In-Reply-To the client's last mail and References the thread, then "sent", or "failed"
with the relay's reason.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import html
import html.parser
import logging
import os
import re
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ...domain.models import Channel, InboundContact, InboundIn
from .. import services
from ..tables import ClientRow, ConversationRow, MessageRow
from . import phone
from .delivery import set_delivery
from .whatsapp import channel_account

log = logging.getLogger(__name__)
ENV = "ADVISOR_CONSOLE_SMTP_"
MAX_MAIL = 25 * 1024 * 1024
MAX_ATTACHMENT = 2 * 1024 * 1024
MAX_BODY = 100_000


@dataclass(frozen=True)
class EmailConfig:
    smtp_port: int | None = None  # receive on this port (loopback unless smtp_host)
    smtp_host: str = "127.0.0.1"
    relay_host: str | None = None  # send replies through this relay
    relay_port: int = 25
    sender: str = "Client advisors <advisors@maison.example>"
    domain: str = "maison.example"  # of our Message-IDs

    @classmethod
    def from_env(cls) -> "EmailConfig | None":
        port, relay = os.environ.get(ENV + "PORT"), os.environ.get(ENV + "RELAY_HOST")
        if not port and not relay:
            return None
        return cls(
            smtp_port=int(port) if port else None, smtp_host=os.environ.get(ENV + "HOST", cls.smtp_host), relay_host=relay,
            relay_port=int(os.environ.get(ENV + "RELAY_PORT", "25")), sender=os.environ.get(ENV + "FROM", cls.sender),
            domain=os.environ.get(ENV + "DOMAIN", cls.domain),
        )


class _TextOfHtml(html.parser.HTMLParser):
    """HTML to readable text: paragraphs and line breaks kept, scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except Exception:  # noqa: BLE001 - broken HTML: the tags stripped the crude way
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def parse(raw: bytes) -> dict[str, Any]:
    """The parts of a mail we keep (ValueError for one we cannot read at all)."""
    if len(raw) > MAX_MAIL:
        raise ValueError("message too large")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(str(msg.get("From", "")))
    if not address or "@" not in address:
        raise ValueError("no From address")
    text_body = html_body = None
    attachments: list[dict[str, Any]] = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            payload = b""
        if filename or disposition == "attachment":
            item: dict[str, Any] = {"type": "email_attachment", "name": str(filename or "attachment")[:200], "data": {"mime_type": ctype, "size": len(payload)}}
            if len(payload) <= MAX_ATTACHMENT:
                item["data"]["content_base64"] = base64.b64encode(payload).decode()
            attachments.append(item)
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("utf-8", errors="replace")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ctype == "text/plain" and text_body is None:
            text_body = text
        elif ctype == "text/html" and html_body is None:
            html_body = text
    body = text_body if text_body and text_body.strip() else html_to_text(html_body or "")
    return {
        "message_id": (_ids(str(msg.get("Message-ID", ""))) or [f"<{uuid.uuid4().hex}@unknown>"])[0][:200],
        "in_reply_to": _ids(str(msg.get("In-Reply-To", ""))), "references": _ids(str(msg.get("References", ""))),
        "from_name": name.strip() or address, "from": address.strip().lower(), "subject": str(msg.get("Subject", "") or "")[:500] or None,
        "body": (body.strip() or "[no text]")[:MAX_BODY], "attachments": attachments,
    }


def receive(session: Session, mail: dict[str, Any]) -> dict[str, Any]:
    """One parsed mail into its conversation (once)."""
    if session.execute(select(MessageRow.id).where(MessageRow.external_id == mail["message_id"])).first() is not None:
        return {"duplicate": True}
    account = channel_account(session, "channel-email", "Email (SMTP)")
    thread = None
    for ref in [*mail["in_reply_to"], *reversed(mail["references"])]:
        thread = session.execute(select(MessageRow.conversation_id).where(MessageRow.external_id == ref)).scalar()
        if thread is not None:
            break
    client = None
    if thread is not None:
        conv = session.get(ConversationRow, thread)
        if conv is not None:
            client = session.get(ClientRow, conv.client_id)
            if conv.status == "resolved":  # a reply to a closed thread reopens it
                conv.status = "queued" if conv.assignee_id is None else "assigned"
                session.add(conv)
    if client is None:
        client = session.execute(select(ClientRow).where(ClientRow.email == mail["from"])).scalars().first()
    body = InboundIn(
        channel=Channel.email, client_id=client.id if client else None,
        contact=None if client else InboundContact(name=mail["from_name"][:200], email=mail["from"]),
        body=mail["body"], external_id=mail["message_id"], subject=mail["subject"],
    )
    _status, result = services.inbound(session, account, body)
    row = session.get(MessageRow, result["message"]["id"])
    if row is not None:
        row.external_id = mail["message_id"]
        if mail["attachments"]:
            row.attachments = mail["attachments"]
        session.add(row)
    callback = None
    if phone.asks_for_a_call(f"{mail['subject'] or ''}\n{mail['body']}"):
        conv = session.get(ConversationRow, result["conversation_id"])
        her = session.get(ClientRow, result["client_id"])
        if her is not None:
            callback = phone.request_callback(session, her, account.username, "asked by email", advisor_id=conv.assignee_id if conv else None)
    return {"duplicate": False, "conversation_id": result["conversation_id"], "callback": callback}


class SmtpHandler:
    """aiosmtpd handler: each mail is parsed and stored through the server's write path."""

    def __init__(self, write_engine: Any) -> None:
        self.write_engine = write_engine

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        import asyncio

        try:
            mail = parse(envelope.original_content or envelope.content)
        except ValueError as exc:
            return f"550 Cannot accept this message: {exc}"
        except Exception:  # noqa: BLE001 - never crash on a hostile mail
            log.exception("unreadable mail")
            return "550 Cannot read this message"
        try:
            await asyncio.to_thread(services.run_write, self.write_engine, lambda s: (200, receive(s, mail)))
        except Exception:  # noqa: BLE001
            log.exception("storing a mail")
            return "451 Try again later"
        return "250 OK"


def start_smtp(config: EmailConfig, write_engine: Any) -> Any:
    """The SMTP server (a thread of aiosmtpd's); returns its controller (stop() it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(SmtpHandler(write_engine), hostname=config.smtp_host, port=config.smtp_port, data_size_limit=MAX_MAIL, decode_data=False)
    controller.start()
    return controller


class EmailSender:
    """Sends pending email replies through the relay (called by the background loop)."""

    def __init__(self, config: EmailConfig, write_engine: Any, engine: Any) -> None:
        self.config, self.write_engine, self.engine = config, write_engine, engine

    def close(self) -> None:
        pass

    def tick(self) -> int:
        with Session(self.engine) as session:
            rows = session.execute(
                select(MessageRow.id, MessageRow.conversation_id).join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
                .where(MessageRow.delivery == "pending", MessageRow.kind == "reply", ConversationRow.channel == "email").order_by(MessageRow.id).limit(20)
            ).all()
            jobs = [self._compose(session, mid, cid) for mid, cid in rows]
        for message_id, mail, error in jobs:
            if mail is not None:
                error = self._send(mail)

            def store(session: Session, i: int = message_id, m: EmailMessage | None = mail, e: str | None = error) -> tuple[int, dict[str, Any]]:
                row = session.get(MessageRow, i)
                if row is not None and row.delivery == "pending":
                    if m is not None and e is None:
                        row.external_id = str(m["Message-ID"])
                    set_delivery(session, row, "failed" if e else "sent", e, actor="channel-email")
                return 200, {}

            services.run_write(self.write_engine, store)
        return len(jobs)

    def _compose(self, session: Session, message_id: int, conversation_id: int) -> tuple[int, EmailMessage | None, str | None]:
        row = session.get(MessageRow, message_id)
        conv = session.get(ConversationRow, conversation_id)
        client = session.get(ClientRow, conv.client_id) if conv else None
        if row is None or client is None or not client.email:
            return message_id, None, "The client has no email address."
        earlier = session.execute(
            select(MessageRow.external_id, MessageRow.kind).where(MessageRow.conversation_id == conversation_id, MessageRow.id < message_id, MessageRow.external_id.is_not(None)).order_by(MessageRow.id)
        ).all()
        refs = [e for e, _k in earlier if e and e.startswith("<")]
        last_inbound = next((e for e, k in reversed(earlier) if k == "inbound" and e and e.startswith("<")), None)
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = email.utils.formataddr((client.name, client.email))
        mail["Subject"] = row.subject or services.reply_subject(conv.subject) or "Your request"
        mail["Message-ID"] = email.utils.make_msgid(domain=self.config.domain)
        mail["Date"] = email.utils.format_datetime(row.at if row.at.tzinfo else row.at.replace(tzinfo=__import__("datetime").timezone.utc))
        if last_inbound:
            mail["In-Reply-To"] = last_inbound
        if refs:
            mail["References"] = " ".join(refs[-20:])
        mail.set_content(row.body)
        return message_id, mail, None

    def _send(self, mail: EmailMessage) -> str | None:
        try:
            with smtplib.SMTP(self.config.relay_host or "127.0.0.1", self.config.relay_port, timeout=10) as smtp:
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            return f"The mail relay refused it: {exc.__class__.__name__}: {str(exc)[:200]}"
        return None
