"""Fixtures and helpers of the whistleblower report tests."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import UserFactory
from waterdesk.complaints.services.report import whistleblower_report_register
from waterdesk.core import antibot
from waterdesk.core.roles import Role

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake\n"


@pytest.fixture
def handler(db):
    return UserFactory(username="handler", role=Role.COMPLAINT_HANDLER)


@pytest.fixture
def hotline(db):
    return UserFactory(username="hotline", role=Role.HOTLINE_AGENT)


def stamp(seconds_ago: int = 60) -> str:
    """A form stamp issued ``seconds_ago`` seconds ago."""
    return antibot.antibot_token(now=timezone.now() - timedelta(seconds=seconds_ago))


def public_data(**overrides) -> dict:
    data = {
        "subject": "城北营业厅收费窗口的工作人员",
        "occurred_when": "2026年11月30日上午",
        "occurred_where": "城北营业厅",
        "matter": "办理过户时收取了200元“加急费”，没有开收据。",
        "reporter_name": "",
        "reporter_phone": "",
        "reporter_email": "",
        "website": "",
        "form_started": stamp(),
    }
    data.update(overrides)
    return data


def png(name: str = "evidence.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def register(*, actor=None, channel="web", **overrides):
    fields = {
        "subject": "抄表员王某",
        "matter": "抄表时索要好处费。",
        "occurred_when": "11月",
        "occurred_where": "和平路",
    }
    fields.update(overrides)
    return whistleblower_report_register(actor=actor, channel=channel, **fields)
