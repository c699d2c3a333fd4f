"""Complaints by e-mail: real RFC 822 bytes through the pipe command and through an IMAP
mailbox (a fake IMAP4 server standing in for the mail server): one case per Message-ID,
Chinese headers and bodies decoded, allowed attachments kept as evidence, others noted."""

import io
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waterdesk.cases.models import Attachment, Case, CaseEvent
from waterdesk.complaints.models import Complaint, ComplaintMail
from waterdesk.complaints.services.mail import (
    complaint_mail_poll,
    complaint_mail_receive,
    header_text,
)
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BODY = "你好：\n我家水表上月读数明显偏大，水费翻倍，请核实处理。我的手机 13900139001。\n张三"


def complaint_message(
    *,
    message_id="<20261207.001@mail.example.cn>",
    body=BODY,
    body_charset="gbk",
    attachments=(("水表照片.pdf", PDF),),
) -> bytes:
    """A multipart complaint as a Chinese mail client sends it: subject and sender name in
    RFC 2047 (GB2312 label, GBK bytes), a GBK body, a PDF with an RFC 2047 file name."""
    message = MIMEMultipart()
    message["Subject"] = Header("投诉：水费异常偏高", "gb2312").encode()
    message["From"] = formataddr((str(Header("张三", "gbk").encode()), "zhangsan@example.cn"))
    message["To"] = "complaints@waterdesk.example"
    message["Message-ID"] = message_id
    message.attach(MIMEText(body, "plain", body_charset))
    message.attach(MIMEText("<p>HTML 版本</p>", "html", "utf-8"))
    for name, content in attachments:
        part = MIMEApplication(content)
        part.add_header("Content-Disposition", "attachment", filename=Header(name, "gbk").encode())
        message.attach(part)
    return message.as_bytes()


def _counts():
    return (
        Case.objects.count(),
        Complaint.objects.count(),
        ComplaintMail.objects.count(),
        Attachment.objects.count(),
    )


def test_a_message_becomes_a_complaint_with_its_attachment(monkeypatch):
    raw = complaint_message()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()

    call_command("complaints_mail_receive", stdout=out)

    complaint = Complaint.objects.select_related("case", "category").get()
    case = complaint.case
    assert out.getvalue().strip() == f"{case.number} registered"
    assert case.channel == "email"
    assert case.contact_name == "张三"
    assert case.contact_phone == "13900139001"
    assert complaint.email == "zhangsan@example.cn"
    assert complaint.category.code == "other"
    assert complaint.matter.startswith("投诉：水费异常偏高\n\n你好：")
    assert "请核实处理" in complaint.matter
    assert "HTML" not in complaint.matter  # text/plain preferred
    (attachment,) = case.attachments.all()
    assert attachment.original_name == "水表照片.pdf"
    assert attachment.material_code == "evidence"
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by is None
    mail = ComplaintMail.objects.get()
    assert (mail.message_id, mail.from_address, mail.case_id) == (
        "<20261207.001@mail.example.cn>",
        "zhangsan@example.cn",
        case.pk,
    )
    # The complainant is told by e-mail, the channel they used.
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


def test_the_same_message_twice_is_one_case():
    raw = complaint_message()
    first = complaint_mail_receive(raw=raw)
    before = _counts()

    again = complaint_mail_receive(raw=raw)

    assert first.created and not again.created
    assert again.case == first.case
    assert _counts() == before


def test_disallowed_and_too_large_attachments_are_skipped_and_noted(settings):
    settings.WATERDESK_ATTACHMENT_MAX_BYTES = 1000
    raw = complaint_message(
        attachments=(
            ("水表照片.pdf", PDF),
            ("程序.exe", b"MZ\x90\x00" + b"\x00" * 100),
            ("大文件.pdf", PDF + b"0" * 2000),
        )
    )

    received = complaint_mail_receive(raw=raw)

    case = received.case
    assert [a.original_name for a in case.attachments.all()] == ["水表照片.pdf"]
    assert received.skipped == ("程序.exe", "大文件.pdf")
    notes = list(
        CaseEvent.objects.filter(case=case, action="mail_attachment_skipped")
        .order_by("pk")
        .values_list("note", flat=True)
    )
    assert len(notes) == 2
    assert notes[0].startswith("邮件附件“程序.exe”未保存：不支持的文件类型")
    assert notes[1].startswith("邮件附件“大文件.pdf”未保存：文件过大")


def test_an_html_only_message_is_read_as_text():
    message = MIMEText(
        "<html><body><p>停水三天&nbsp;无人处理</p><script>x()</script><p>请尽快</p></body></html>",
        "html",
        "gb18030",
    )
    message["Subject"] = (
        "=?GB18030?B?"
        + __import__("base64").b64encode("停水投诉".encode("gb18030")).decode()
        + "?="
    )
    message["From"] = "li@example.cn"
    message["Message-ID"] = "<html-only@example.cn>"

    case = complaint_mail_receive(raw=message.as_bytes()).case

    complaint = case.complaint
    assert complaint.matter == "停水投诉\n\n停水三天 无人处理\n请尽快"
    assert case.contact_name == "li"
    assert case.contact_phone == ""


def test_raw_8bit_gbk_headers_are_read():
    raw = (
        "From: 王五 <wangwu@example.cn>\r\nSubject: 水压太低\r\n"
        "Message-ID: <raw8bit@example.cn>\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n"
        "楼上没水。\r\n"
    ).encode("gbk")

    case = complaint_mail_receive(raw=raw).case

    assert case.contact_name == "王五"
    assert case.complaint.matter == "水压太低\n\n楼上没水。"


def test_header_text_decodes_rfc2047_words():
    assert header_text("=?UTF-8?B?5rC06LS5?= =?GB2312?B?xOO6ww==?=") == "水费你好"


def test_a_message_without_a_sender_is_refused_with_nothing_written():
    raw = b"Subject: x\r\nMessage-ID: <nosender@x>\r\n\r\nbody\r\n"
    before = _counts()
    with pytest.raises(CommandError) as refused:
        import sys

        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
        try:
            call_command("complaints_mail_receive")
        finally:
            sys.stdin = old
    assert refused.value.returncode == 65
    assert _counts() == before


# --- IMAP --------------------------------------------------------------------------------


class FakeIMAP:
    """The mail server's IMAP4 interface, as far as the poller uses it."""

    instances: list["FakeIMAP"] = []
    messages: dict[bytes, bytes] = {}

    def __init__(self, host, port, *, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.seen: set[bytes] = set()
        self.calls: list[tuple] = []
        FakeIMAP.instances.append(self)

    def login(self, user, password):
        self.calls.append(("login", user, password))
        return "OK", [b"logged in"]

    def select(self, folder):
        self.calls.append(("select", folder))
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        command = command.upper()
        if command == "SEARCH":
            unseen = [uid for uid in self.messages if uid not in self.seen]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid, _what = args
            return "OK", [(b"1 (UID " + uid + b" BODY[] {n}", self.messages[uid]), b")"]
        if command == "STORE":
            uid, _op, _flags = args
            self.seen.add(uid)
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        self.calls.append(("logout",))
        return "BYE", []


@pytest.fixture
def mailbox(settings):
    settings.WATERDESK_COMPLAINT_IMAP_HOST = "imap.example.cn"
    settings.WATERDESK_COMPLAINT_IMAP_PORT = 993
    settings.WATERDESK_COMPLAINT_IMAP_USER = "complaints"
    settings.WATERDESK_COMPLAINT_IMAP_PASSWORD = "secret"
    settings.WATERDESK_COMPLAINT_IMAP_FOLDER = "INBOX"
    FakeIMAP.instances = []
    FakeIMAP.messages = {
        b"11": complaint_message(),
        b"12": complaint_message(message_id="<second@example.cn>", body="水质发黄。"),
        b"13": b"Subject: no sender\r\n\r\nx\r\n",
    }
    return FakeIMAP


def test_the_poller_reads_unseen_messages_once(mailbox):
    assert complaint_mail_poll(imap_class=mailbox) == 3
    server = mailbox.instances[0]
    assert (server.host, server.port, server.timeout) == ("imap.example.cn", 993, 30)
    assert server.calls[0] == ("login", "complaints", "secret")
    assert server.calls[-1] == ("logout",)
    assert server.seen == {b"11", b"12", b"13"}  # the unreadable one too: not retried
    assert Complaint.objects.count() == 2
    assert sorted(ComplaintMail.objects.values_list("message_id", flat=True)) == [
        "<20261207.001@mail.example.cn>",
        "<second@example.cn>",
    ]
    # The same messages again (the server forgot the flags): still two cases.
    assert complaint_mail_poll(imap_class=mailbox) == 3
    assert Complaint.objects.count() == 2


def test_a_failing_message_stays_unseen(mailbox, monkeypatch):
    from waterdesk.complaints.services import mail

    def broken(*, raw):
        raise RuntimeError("database away")

    monkeypatch.setattr(mail, "complaint_mail_receive", broken)
    assert complaint_mail_poll(imap_class=mailbox) == 0
    assert mailbox.instances[0].seen == set()


def test_no_mailbox_configured_is_off(settings):
    settings.WATERDESK_COMPLAINT_IMAP_HOST = ""
    assert complaint_mail_poll(imap_class=FakeIMAP) is None
    out = io.StringIO()
    call_command("complaints_mail_poll", stdout=out)
    assert "no complaint mailbox configured" in out.getvalue()


def test_the_periodic_task_is_scheduled(settings):
    from waterdesk.core.scheduler import resolve_task

    entry = settings.CELERY_BEAT_SCHEDULE["complaints-mail-poll"]
    assert resolve_task(entry["task"]).name == "waterdesk.complaints.tasks.complaints_mail_poll"
