"""The Case backbone: numbering, scope, assignment, attachments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import (
    DepartmentFactory,
    UserFactory,
    registered_new_connection,
)
from waterdesk.cases.models import Attachment, Case
from waterdesk.cases.selectors import (
    case_available_actions,
    case_get_for_user,
    case_queue,
    case_scope,
)
from waterdesk.cases.services import attachment_add, case_number_next
from waterdesk.core.errors import InvalidInput, NotFound, NotPermitted
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_case_numbers_are_sequential_and_never_repeat():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 27, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    numbers = [case_number_next(kind="new_connection", at=at) for _ in range(3)]
    assert numbers == ["XZ-20261127-0001", "XZ-20261127-0002", "XZ-20261127-0003"]


def test_scope_hides_other_departments_cases(clerk):
    case = registered_new_connection(clerk)
    other_department = DepartmentFactory(code="engineering", name="工程部")
    outsider_clerk = UserFactory(
        username="clerk-elsewhere", role=Role.INTAKE_CLERK, department=other_department
    )
    assert case_get_for_user(user=clerk, public_id=case.public_id) == case
    with pytest.raises(NotFound):
        case_get_for_user(user=outsider_clerk, public_id=case.public_id)
    assert list(case_scope(outsider_clerk)) == []


def test_supervisor_sees_every_case(clerk, supervisor):
    case = registered_new_connection(clerk)
    supervisor.staff_profile.department = DepartmentFactory(code="supervision", name="服务监督科")
    supervisor.staff_profile.save()
    assert list(case_scope(supervisor)) == [case]


def test_queue_lists_work_waiting_for_my_role(clerk, reviewer, surveyor):
    case = registered_new_connection(clerk)
    assert list(case_queue(clerk)) == [case]  # waiting for survey assignment
    assert list(case_queue(reviewer)) == []
    assert [t.action for t in case_available_actions(case=case, user=clerk)] == [
        "withdraw",
        "assign_survey",
    ]
    assert case_available_actions(case=case, user=surveyor) == []


def test_attachment_accepts_a_pdf(clerk):
    case = registered_new_connection(clerk)
    upload = SimpleUploadedFile("身份证.pdf", PDF_BYTES, content_type="application/pdf")
    attachment = attachment_add(
        case=case, actor=clerk, uploaded_file=upload, material_code="id_card"
    )
    assert (attachment.content_type, attachment.size, attachment.original_name) == (
        "application/pdf",
        len(PDF_BYTES),
        "身份证.pdf",
    )
    assert attachment.file.read() == PDF_BYTES
    assert case.events.filter(action="attach").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 20, "attachment_type_not_allowed"),
        ("fake.pdf", b"<html>not a pdf</html>", "attachment_type_not_allowed"),
    ],
)
def test_attachment_refuses_forbidden_types(clerk, name, content, code):
    case = registered_new_connection(clerk)
    events = case.events.count()
    with pytest.raises(InvalidInput) as error:
        attachment_add(case=case, actor=clerk, uploaded_file=SimpleUploadedFile(name, content))
    assert error.value.code == code
    assert not Attachment.objects.exists()
    assert case.events.count() == events


def test_attachment_refuses_files_over_the_limit(clerk, settings):
    settings.WATERDESK_ATTACHMENT_MAX_BYTES = 1024
    case = registered_new_connection(clerk)
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2000, content_type="application/pdf")
    with pytest.raises(InvalidInput) as error:
        attachment_add(case=case, actor=clerk, uploaded_file=upload)
    assert error.value.code == "attachment_too_large"
    assert "上限为" in str(error.value.message)
    assert not Attachment.objects.exists()


def test_attachment_needs_the_permission(clerk, reviewer):
    case = registered_new_connection(clerk)
    with pytest.raises(NotPermitted):
        attachment_add(
            case=case, actor=reviewer, uploaded_file=SimpleUploadedFile("a.pdf", PDF_BYTES)
        )
    assert not Attachment.objects.exists()
    assert Case.objects.count() == 1
