import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.clients import client_for
from tests.factories import registered_new_connection
from waterdesk.cases.models import Attachment, CaseEvent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def case(clerk):
    return registered_new_connection(clerk)


def upload(user, case, content: bytes, name: str, material_code: str = "id_card"):
    return client_for(user).post(
        f"/api/cases/{case.public_id}/attachments/",
        {
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "material_code": material_code,
        },
        format="multipart",
    )


@pytest.mark.django_db
def test_clerk_attaches_a_pdf(clerk, case):
    response = upload(clerk, case, PDF, "身份证.pdf")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["material_code"], body["original_name"], body["content_type"], body["size"]) == (
        "id_card",
        "身份证.pdf",
        "application/pdf",
        len(PDF),
    )
    assert body["uploaded_by"]["username"] == "clerk"
    attachment = Attachment.objects.get()
    assert attachment.case == case
    assert CaseEvent.objects.filter(case=case, action="attach").count() == 1
    detail = client_for(clerk).get(f"/api/cases/{case.public_id}/").json()
    assert [a["original_name"] for a in detail["attachments"]] == ["身份证.pdf"]


@pytest.mark.django_db
def test_surveyor_attaches_a_photo(surveyor, case):
    response = upload(surveyor, case, PNG, "现场.png", material_code="")

    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "image/png"


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_and_nothing_stored(clerk, case, settings):
    settings.WATERDESK_ATTACHMENT_MAX_BYTES = 32

    response = upload(clerk, case, PDF, "big.pdf")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("attachment_too_large", "file")
    assert Attachment.objects.count() == 0
    assert CaseEvent.objects.filter(case=case, action="attach").count() == 0


@pytest.mark.django_db
def test_a_forbidden_type_is_refused_whatever_its_name(clerk, case):
    response = upload(clerk, case, b"MZ\x90\x00 this is an executable", "scan.pdf")

    assert response.status_code == 400
    assert response.json()["code"] == "attachment_type_not_allowed"
    assert Attachment.objects.count() == 0
    assert CaseEvent.objects.filter(case=case, action="attach").count() == 0


@pytest.mark.django_db
def test_a_missing_file_is_invalid_input(clerk, case):
    response = client_for(clerk).post(
        f"/api/cases/{case.public_id}/attachments/",
        {"material_code": "id_card"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert list(response.json()["fields"]) == ["file"]
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "approver", "supervisor", "outsider"])
def test_roles_without_the_attachment_permission_are_refused(role, request, case):
    response = upload(request.getfixturevalue(role), case, PDF, "a.pdf")

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert Attachment.objects.count() == 0
