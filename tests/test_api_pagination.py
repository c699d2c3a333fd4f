"""The API's numbered pages: a page that is not a number — an empty one included — is
refused (404), as the schema's integer ``page`` says."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("page", "status"), [("", 404), ("abc", 404), ("0", 404), ("1", 200)])
def test_a_page_that_is_not_a_number_is_refused(page, status):
    client = APIClient()
    client.force_authenticate(UserFactory(username="pager", role=Role.INTAKE_CLERK))
    assert client.get(f"/api/cases/queue/?page={page}").status_code == status
