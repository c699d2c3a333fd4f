"""Complaints by e-mail (R-K1): the complaint mailbox, read through a forwarding address
(``manage.py complaints_mail_receive``: one RFC 822 message on stdin, for a Postfix pipe
alias) or an IMAP poller (``complaint_mail_poll``, a periodic task and ``manage.py
complaints_mail_poll``). Both go through ``complaint_mail_receive``.

A message becomes a complaint (channel e-mail, category "other"): the complainant is the
From display name (else the address's local part), the reply address the From address, the
matter the subject and the body (text/plain preferred, else the HTML as text), a mainland
mobile number found in the body the contact phone. Headers and bodies are decoded whatever
their charset — RFC 2047 words, GBK, GB2312 sent as GBK, GB18030. Attachments of an allowed
type and size (``WATERDESK_ATTACHMENT_TYPES``/``…_MAX_BYTES``) are kept on the case as
evidence; the others are skipped, each noted on the timeline. A message is read once by its
Message-ID (``ComplaintMail``): read again, it is the same case.
"""

import hashlib
import html
import imaplib
import logging
import re
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.cases.kinds import EventView
from waterdesk.cases.models import Case, Channel
from waterdesk.cases.services import attachment_add, case_event_record
from waterdesk.complaints.models import MATTER_MAX_LENGTH, ComplaintCategory, ComplaintMail
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.core.errors import InvalidInput

logger = logging.getLogger(__name__)

MATERIAL_EVIDENCE = "evidence"
OTHER_CATEGORY = "other"
SKIPPED_EVENT = "mail_attachment_skipped"
# Senders label GBK text as GB2312 (its subset) all the time; GB18030 reads both.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
# How the skipped attachment reads on a complaint's timeline (the event's note says which
# file and why): for the complaint kind's ``KindSpec.events``.
MAIL_EVENT_VIEWS = {SKIPPED_EVENT: EventView(label=gettext_lazy("邮件附件未保存"))}
MOBILE_PATTERN = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


@dataclass(frozen=True)
class MailReceived:
    case: Case
    created: bool
    skipped: tuple[str, ...] = ()  # the attachments not kept


def _codec(charset: str | None) -> str:
    charset = (charset or "").strip().lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        "".encode(charset)
    except (LookupError, TypeError):
        return "utf-8"
    return charset or "utf-8"


def _bytes_text(data: bytes, charset: str | None) -> str:
    codec = _codec(charset)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        for fallback in ("utf-8", "gb18030"):
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
        return data.decode(codec, errors="replace")


def header_text(value) -> str:
    """A header decoded: RFC 2047 encoded words in any charset, raw 8-bit GBK or UTF-8."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    parts = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:  # the text between encoded words, as decode_header keeps it
            parts.append(chunk.decode("raw-unicode-escape"))
        else:
            parts.append(_bytes_text(chunk, charset))
    return " ".join("".join(parts).split())


def _raw_header(message: Message, name: str) -> str:
    """A header's value with 8-bit bytes kept (compat32 escapes them as surrogates)."""
    value = next(
        (str(raw) for key, raw in message.raw_items() if key.lower() == name.lower()), None
    )
    if value is None:
        return ""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value
    return raw.decode("utf-8") if _is_utf8(raw) else raw.decode("gb18030", errors="replace")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    return _bytes_text(payload, part.get_content_charset())


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (
        part.get_filename() is not None and part.get_content_maintype() != "multipart"
    )


def _html_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", markup)
    text = html.unescape(strip_tags(markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def mail_body(message: Message) -> str:
    """The message's text: its first text/plain part, else its first text/html as text."""
    plain = markup = None
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _part_text(part)
        elif content_type == "text/html" and markup is None:
            markup = _part_text(part)
    if plain is not None and plain.strip():
        return plain.strip()
    return _html_text(markup or "").strip()


def mail_attachments(message: Message) -> list[tuple[str, bytes]]:
    """Every attached file: (its decoded name, its bytes)."""
    files = []
    for index, part in enumerate(message.walk()):
        if part.get_content_maintype() == "multipart" or not _is_attachment(part):
            continue
        name = header_text(part.get_filename() or "") or f"attachment-{index}"
        files.append(
            (name.replace("/", "_").replace("\\", "_")[:200], part.get_payload(decode=True) or b"")
        )
    return files


def _message_id(message: Message, raw: bytes) -> str:
    value = " ".join(str(message.get("Message-ID") or "").split())
    if value:
        return value[:255]
    # Without one, the message's content is its identity.
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@waterdesk.invalid>"


def _sender(message: Message) -> tuple[str, str]:
    decoded = header_text(_raw_header(message, "From"))
    addresses = getaddresses([decoded])
    name, address = addresses[0] if addresses else ("", "")
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(
            _("邮件没有可答复的发件人地址。"), code="mail_no_sender", field="from"
        ) from None
    name = " ".join(name.replace('"', "").split()) or address.split("@", 1)[0]
    return name[:100], address


def _matter(subject: str, body: str) -> str:
    parts = [text for text in (subject.strip(), body.strip()) if text]
    matter = "\n\n".join(parts) or _("（邮件没有主题和正文，见附件。）")
    if len(matter) > MATTER_MAX_LENGTH:
        cut = _("……（邮件正文过长，已截断）")
        matter = matter[: MATTER_MAX_LENGTH - len(cut)] + cut
    return matter


def _phone(body: str) -> str:
    found = MOBILE_PATTERN.search(body)
    return found.group(1) if found else ""


def _known(message_id: str) -> ComplaintMail | None:
    return ComplaintMail.objects.select_related("case").filter(message_id=message_id).first()


def _keep_attachments(case: Case, files: list[tuple[str, bytes]]) -> tuple[str, ...]:
    skipped = []
    max_bytes = settings.WATERDESK_ATTACHMENT_MAX_BYTES
    for name, content in files:
        reason = ""
        if len(content) > max_bytes:
            reason = _("文件过大（%(size).1f MB，上限 %(limit).0f MB）") % {
                "size": len(content) / 1048576,
                "limit": max_bytes / 1048576,
            }
        else:
            upload = SimpleUploadedFile(name, content)
            try:
                attachment_add(
                    case=case, actor=None, uploaded_file=upload, material_code=MATERIAL_EVIDENCE
                )
            except InvalidInput as refused:
                reason = str(refused.message)
        if reason:
            skipped.append(name)
            case_event_record(
                case=case,
                actor=None,
                action=SKIPPED_EVENT,
                note=_("邮件附件“%(file)s”未保存：%(reason)s") % {"file": name, "reason": reason},
                data={"file": name},
            )
    return tuple(skipped)


def complaint_mail_receive(*, raw: bytes) -> MailReceived:
    """Read one complaint e-mail (RFC 822 bytes) into a complaint, once per Message-ID.
    ``InvalidInput`` (``mail_no_sender``) when it has no address to reply to."""
    message = message_from_bytes(raw, policy=compat32)
    message_id = _message_id(message, raw)
    known = _known(message_id)
    if known is not None:
        return MailReceived(case=known.case, created=False)
    name, address = _sender(message)
    subject = header_text(_raw_header(message, "Subject"))
    body = mail_body(message)
    try:
        with transaction.atomic():
            case = complaint_register(
                actor=None,
                channel=Channel.EMAIL,
                contact_name=name,
                contact_phone=_phone(body),
                email=address,
                category=ComplaintCategory.objects.get(code=OTHER_CATEGORY),
                matter=_matter(subject, body),
            )
            ComplaintMail.objects.create(
                message_id=message_id,
                received_at=timezone.now(),
                case=case,
                from_address=address,
            )
            skipped = _keep_attachments(case, mail_attachments(message))
    except IntegrityError:  # the same message read at the same moment by another reader
        known = _known(message_id)
        if known is None:
            raise
        return MailReceived(case=known.case, created=False)
    return MailReceived(case=case, created=True, skipped=skipped)


# --- the IMAP poller --------------------------------------------------------------------

IMAP_TIMEOUT = 30  # seconds: a mail server that hangs must not hold the periodic job


def complaint_mail_poll(*, imap_class=None) -> int | None:
    """Read the unseen messages of the complaint mailbox over IMAP into complaints, marking
    each seen once read (or refused as unreadable); a message that failed otherwise stays
    unseen for the next run. None when no mailbox is configured
    (``WATERDESK_COMPLAINT_IMAP_HOST`` unset); else the number of messages read."""
    host = settings.WATERDESK_COMPLAINT_IMAP_HOST
    if not host:
        return None
    if imap_class is None:
        imap_class = imaplib.IMAP4_SSL if settings.WATERDESK_COMPLAINT_IMAP_SSL else imaplib.IMAP4
    mailbox = imap_class(host, settings.WATERDESK_COMPLAINT_IMAP_PORT, timeout=IMAP_TIMEOUT)
    read = 0
    try:
        mailbox.login(
            settings.WATERDESK_COMPLAINT_IMAP_USER, settings.WATERDESK_COMPLAINT_IMAP_PASSWORD
        )
        mailbox.select(settings.WATERDESK_COMPLAINT_IMAP_FOLDER)
        _status, found = mailbox.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split():
            _status, fetched = mailbox.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched or () if isinstance(item, tuple)), None)
            if raw is None:
                continue
            try:
                complaint_mail_receive(raw=raw)
            except InvalidInput as refused:
                logger.warning("complaint mail %s not read: %s", uid, refused.code)
            except Exception:
                logger.exception("complaint mail %s failed; left unseen for the next run", uid)
                continue
            mailbox.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            read += 1
    finally:
        try:
            mailbox.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("complaint mailbox: logout failed")
    return read
