"""The public survey page in headless Chromium: axe-core finds no violation on the form,
on the refused answer and on the thanks; the score is given with the keyboard-usable radio
buttons and recorded once."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import axe_run, blocking_results, describe
from tests.browser_support import chromium, new_page
from tests.factories import UserFactory
from tests.surveys_support import closed_inquiry, survey_every, token_of
from waterdesk.core.roles import Role
from waterdesk.surveys.models import Survey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_public_survey_page_is_accessible_and_works_once(live_server):
    survey_every("inquiry")
    case = closed_inquiry(UserFactory(username="br-clerk", role=Role.INTAKE_CLERK))
    page_path = reverse("portal:survey", kwargs={"token": token_of(case)})
    failures = []
    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        page.goto(page_path)
        failures += blocking_results(axe_run(page))
        page.locator("#survey-form button[type=submit]").click()  # no score chosen
        expect(page.locator(".field-error").first).to_be_visible()
        failures += blocking_results(axe_run(page))
        page.get_by_label("4 分 满意").check()
        page.locator("#id_comment").fill("答复及时")
        page.locator("#survey-form button[type=submit]").click()
        expect(page.locator("#survey-thanks")).to_be_visible()
        failures += blocking_results(axe_run(page))
        page.goto(page_path)
        expect(page.locator("#survey-used")).to_have_text("该问卷已提交，感谢您的评价")
        failures += blocking_results(axe_run(page))
    assert not failures, describe(failures)
    survey = Survey.objects.get(case=case)
    assert (survey.score, survey.comment) == (4, "答复及时")
