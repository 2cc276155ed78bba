"""Transports the worker delivers through: e-mail over SMTP (aiosmtplib) and SMS providers.

Each returns a reference of the delivery, or raises ``DeliveryFailed`` saying whether trying
again may help (a full mailbox or a gateway down: yes; an address refused: no). Errors never
carry the message's content, only the server's answer.

Development transports deliver nowhere: the message stays readable in the outbox, marked
as sent by "development". They are what an installation without SMTP or SMS gateway uses.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from api.settings import MessagingSettings
from db.outbox import OutboxMessage

DEVELOPMENT = "development"


def message_reference(key: str, message: OutboxMessage) -> str:
    """The message's own name, the same at every attempt: a resend after a crash (sent, then
    the worker died before marking it) carries the same Message-ID or SMS reference, so mail
    systems and SMS gateways can recognise the duplicate. Keyed, so that it does not reveal
    how many messages the outbox has held; the queue's table keeps the staff side's message
    n and the families' mail n apart."""
    name = f"{message.__tablename__}:{message.id}".encode()
    return hmac.new(key.encode(), name, hashlib.sha256).hexdigest()[:32]


class DeliveryFailed(Exception):
    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    name: str

    async def deliver(self, message: OutboxMessage) -> str | None: ...


class DevelopmentTransport:
    """Keeps the message in the outbox as delivered: nothing leaves the machine."""

    name = DEVELOPMENT

    async def deliver(self, message: OutboxMessage) -> str | None:
        return f"dev-{message.id}"


def email_message(message: OutboxMessage, sender: str, key: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(message.created_at)
    domain = sender.rpartition("@")[2] or "sconet.invalid"
    mail["Message-ID"] = f"<{message_reference(key, message)}@{domain}>"
    mail.set_content(message.body)
    if message.attachment is not None:
        mail.add_attachment(
            message.attachment,
            maintype="application",
            subtype="pdf",
            filename=message.attachment_name or "document.pdf",
        )
    return mail


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: MessagingSettings) -> None:
        assert settings.smtp_host is not None
        self.settings = settings

    async def deliver(self, message: OutboxMessage) -> str | None:
        settings = self.settings
        mail = email_message(message, settings.mail_from, settings.reference_key)
        try:
            _errors, response = await aiosmtplib.send(
                mail,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                use_tls=settings.smtp_security == "tls",
                start_tls=settings.smtp_security == "starttls",
                timeout=30,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed("Adresse refusée par le serveur de messagerie", True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise DeliveryFailed(f"Serveur de messagerie : {exc.code}", permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(
                f"Serveur de messagerie injoignable : {type(exc).__name__}", False
            ) from exc
        return str(mail["Message-ID"]) or response


class HttpSmsProvider:
    """Posts ``{"to", "from", "text", "reference"}`` as JSON to the gateway, with the token as a
    bearer; a 2xx answer may give the gateway's ``id``."""

    name = "http"

    def __init__(self, settings: MessagingSettings, client: httpx.AsyncClient | None = None):
        assert settings.sms_http_url is not None
        self.settings = settings
        self.client = client

    async def deliver(self, message: OutboxMessage) -> str | None:
        headers = {}
        if self.settings.sms_http_token:
            headers["Authorization"] = f"Bearer {self.settings.sms_http_token}"
        payload = {
            "to": message.recipient,
            "from": self.settings.sms_sender,
            "text": message.body,
            "reference": f"sconet-{message_reference(self.settings.reference_key, message)}",
        }
        try:
            if self.client is not None:
                response = await self.client.post(
                    self.settings.sms_http_url or "", json=payload, headers=headers
                )
            else:
                async with httpx.AsyncClient(timeout=20) as client:
                    response = await client.post(
                        self.settings.sms_http_url or "", json=payload, headers=headers
                    )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"Passerelle SMS injoignable : {type(exc).__name__}", False
            ) from exc
        if response.status_code >= 300:
            permanent = 400 <= response.status_code < 500 and response.status_code != 429
            raise DeliveryFailed(f"Passerelle SMS : HTTP {response.status_code}", permanent)
        try:
            reference = response.json().get("id")
        except ValueError:
            reference = None
        return str(reference) if reference is not None else None


def email_transport(settings: MessagingSettings) -> Transport:
    return SmtpTransport(settings) if settings.smtp_host else DevelopmentTransport()


def sms_transport(settings: MessagingSettings) -> Transport:
    return HttpSmsProvider(settings) if settings.sms_provider == "http" else DevelopmentTransport()
