"""Email over SMTP (issue 10), with real SMTP servers on loopback in both directions: mail
in through the server's own SMTP port (multipart, HTML turned into text, attachments
kept, threading by In-Reply-To / References, a redelivered mail kept once, an unreadable
one refused), replies out through a relay with correct threading headers."""

from __future__ import annotations

import shutil
import smtplib
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from advisor_console.server.channels.email import EmailConfig, html_to_text
from conftest import LiveServer, start_live_server
from support import api_client, wait_for, free_port


class Relay:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler, port = Relay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mail_server(seeded_template: tuple[Path, list[dict[str, Any]]], tmp_path: Path, relay: tuple[Relay, int]) -> Iterator[tuple[LiveServer, int]]:
    path = tmp_path / "server.sqlite"
    shutil.copyfile(seeded_template[0], path)
    smtp_port = free_port()
    config = EmailConfig(smtp_port=smtp_port, relay_host="127.0.0.1", relay_port=relay[1], domain="maison.test", sender="Maison <advisors@maison.test>")
    server = start_live_server(f"sqlite:///{path}", seeded_template[1], email=config, background_period=0.1)
    yield server, smtp_port
    server.stop()


def _send(port: int, mail: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(mail)




def _conversation_of(sup: Any, name: str) -> dict[str, Any] | None:
    items = sup.get("/api/v1/conversations", params={"channel": "email", "limit": 500}).json()["items"]
    return next((c for c in items if c["client_name"] == name), None)


def test_mail_in_threaded_and_replies_out_with_headers(mail_server: tuple[LiveServer, int], relay: tuple[Relay, int]) -> None:
    server, port = mail_server
    tag = uuid.uuid4().hex[:8]
    first = EmailMessage()
    first["From"] = f"Anna Keller {tag} <anna.{tag}@example.org>"
    first["To"] = "advisors@maison.test"
    first["Subject"] = "The Siena tote in sand"
    first["Message-ID"] = f"<first-{tag}@example.org>"
    first.set_content("Hello,\nis the Siena tote available in sand?\nAnna")
    first.add_alternative("<html><body><p>Hello,</p><p>is the <b>Siena</b> tote available?</p><script>alert(1)</script></body></html>", subtype="html")
    first.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    _send(port, first)
    _send(port, first)  # redelivered: kept once
    with api_client(server, "supervisor") as sup, api_client(server, "advisor") as adv:
        conv = wait_for(lambda: _conversation_of(sup, f"Anna Keller {tag}"), "the conversation")
        detail = sup.get(f"/api/v1/conversations/{conv['id']}").json()
        inbound = [m for m in detail["messages"] if m["kind"] == "inbound"]
        assert len(inbound) == 1
        assert inbound[0]["body"] == "Hello,\nis the Siena tote available in sand?\nAnna"  # text/plain preferred
        assert inbound[0]["subject"] == "The Siena tote in sand"
        attachment = inbound[0]["attachments"][0]
        assert attachment["name"] == "receipt.pdf" and attachment["data"]["mime_type"] == "application/pdf" and attachment["data"]["size"] == 16

        # The reply leaves through the relay, threaded.
        sup.post(f"/api/v1/conversations/{conv['id']}/transfer", json={"to_advisor": "advisor"}).raise_for_status()
        reply = adv.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "Dear Anna, it is. Shall I hold one?"}).json()
        assert reply["delivery"] == "pending"
        out = wait_for(lambda: next((m for m in relay[0].mails if "Shall I hold one?" in m.get_content()), None), "the mail at the relay")
        assert out["In-Reply-To"] == f"<first-{tag}@example.org>" and f"<first-{tag}@example.org>" in out["References"]
        assert out["Subject"] == "Re: The Siena tote in sand" and out["To"].addresses[0].addr_spec == f"anna.{tag}@example.org"
        assert out["Message-ID"].endswith("@maison.test>")
        wait_for(lambda: next((m for m in sup.get(f"/api/v1/conversations/{conv['id']}").json()["messages"] if m["id"] == reply["id"] and m["delivery"] == "sent"), None), "sent")

        # She answers from another address, replying to our mail: the same conversation.
        answer = EmailMessage()
        answer["From"] = f"A. Keller <keller.office.{tag}@example.com>"
        answer["To"] = "advisors@maison.test"
        answer["Subject"] = "Re: The Siena tote in sand"
        answer["Message-ID"] = f"<answer-{tag}@example.com>"
        answer["In-Reply-To"] = out["Message-ID"]
        answer["References"] = f"<first-{tag}@example.org> {out['Message-ID']}"
        answer.set_content("Yes please, until Friday.")
        _send(port, answer)
        wait_for(lambda: any(m["body"] == "Yes please, until Friday." for m in sup.get(f"/api/v1/conversations/{conv['id']}").json()["messages"]), "the answer in the thread")

        # A mail asking for a call: a callback task for her advisor.
        ask = EmailMessage()
        ask["From"] = f"Anna Keller {tag} <anna.{tag}@example.org>"
        ask["To"] = "advisors@maison.test"
        ask["Subject"] = "Re: The Siena tote in sand"
        ask["Message-ID"] = f"<ask-{tag}@example.org>"
        ask.set_content("Could you call me back this afternoon?")
        _send(port, ask)
        tasks = wait_for(lambda: [t for t in sup.get(f"/api/v1/clients/{conv['client_id']}").json()["tasks"] if t["kind"] == "callback"], "the callback task")
        assert tasks[0]["title"] == f"Call back Anna Keller {tag}: asked by email"


def test_html_only_and_unreadable_mail(mail_server: tuple[LiveServer, int]) -> None:
    server, port = mail_server
    tag = uuid.uuid4().hex[:8]
    mail = EmailMessage()
    mail["From"] = f"Bo {tag} <bo.{tag}@example.org>"
    mail["To"] = "advisors@maison.test"
    mail["Subject"] = "HTML only"
    mail.set_content("<div>Line one<br>Line <i>two</i></div><ul><li>a</li><li>b</li></ul><style>p{}</style>", subtype="html")
    _send(port, mail)
    with api_client(server, "supervisor") as sup:
        conv = wait_for(lambda: _conversation_of(sup, f"Bo {tag}"), "the conversation")
        body = [m for m in sup.get(f"/api/v1/conversations/{conv['id']}").json()["messages"] if m["kind"] == "inbound"][0]["body"]
        assert "<" not in body and "Line one\nLine two" in body and "• a" in body and "p{}" not in body
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("x@example.org", ["advisors@maison.test"], b"Subject: no sender\r\n\r\n\xff\xfe garbage")
        assert refused.value.smtp_code == 550


def test_html_to_text() -> None:
    assert html_to_text("<p>Caf&eacute; <b>Roma</b></p><p>Second</p>") == "Café Roma\n\nSecond"
    assert html_to_text("<script>x()</script>ok") == "ok"
    assert html_to_text("<p unclosed <b>bold") is not None
