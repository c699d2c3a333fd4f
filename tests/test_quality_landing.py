"""Each quality role lands on its own desk and sees its header pages, through the desk
module's registration (``quality/desk.py``); the quality manager, who also holds the
incidents' permissions for the pollution incidents, lands on the water-quality overview."""

import pytest
from django.urls import reverse

from tests.quality_support import quality_world
from waterdesk.cases.kinds import desk_pages_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "landing", "pages"),
    [
        (
            "manager",
            "workbench:quality_overview",
            {
                "workbench:quality_overview",
                "workbench:quality_samples",
                "workbench:quality_results",
                "workbench:quality_anomalies",
            },
        ),
        ("sampler", "workbench:quality_samples", {"workbench:quality_samples"}),
        ("analyst", "workbench:quality_results", {"workbench:quality_results"}),
    ],
)
def test_each_quality_role_lands_on_its_desk(client, who, landing, pages):
    user = getattr(quality_world(), who)
    client.force_login(user)
    response = client.get(reverse("workbench:home"))
    assert (response.status_code, response["Location"]) == (302, reverse(landing))
    shown = {page.url_name for page in desk_pages_for(user)}
    assert pages <= shown
    # A page offered to several permissions shows once.
    assert len([page for page in desk_pages_for(user) if page.url_name == landing]) == 1
