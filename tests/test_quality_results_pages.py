"""The lab's results pages: the worklist, a sample's page (entry form, verdict badges,
judgement, confirmation, second confirmation, return) and the import of a lab's file;
every refusal shown on the page with what to do next, nothing written."""

from datetime import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.quality_support import quality_world, sample_taken
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import ImportBatch, Result, SampleStatus, SampleVerdict, Verdict
from waterdesk.quality.services.results import result_record

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
CODES = ["turbidity", "odor_taste", "free_chlorine_outlet"]


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return quality_world()


@pytest.fixture
def sample(world):
    return sample_taken(world.outlet, CODES, by=world.sampler)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sample_url(sample, name="quality_sample") -> str:
    return reverse(f"workbench:{name}", kwargs={"number": sample.number})


def _entry(**values) -> dict:
    data = {f"unit_{code}": "" for code in CODES}
    data.update({f"raw_{code}": values.get(code, "") for code in CODES})
    return data


def test_the_worklist_lists_the_samples_awaiting_results(world, sample):
    response = _client(world.analyst).get(reverse("workbench:quality_results"))
    assert response.status_code == 200
    page = response.content.decode()
    assert sample.number in page
    assert reverse("workbench:quality_import") in page
    assert _sample_url(sample) in page


def test_the_sample_page_shows_a_form_for_every_code_with_limits(world, sample):
    response = _client(world.analyst).get(_sample_url(sample))
    assert response.status_code == 200
    page = response.content.decode()
    for code in CODES:
        assert f'name="raw_{code}"' in page
    assert "≤ 1" in page and "0.3–2" in page and "NTU" in page
    assert _sample_url(sample, "quality_sample_results") in page


def test_results_entered_on_the_page(world, sample):
    client = _client(world.analyst)
    data = _entry(turbidity="1.2", odor_taste="有异味", free_chlorine_outlet="0.6")
    response = client.post(_sample_url(sample, "quality_sample_results"), data)
    assert response.status_code == 302
    assert Result.objects.filter(sample=sample).count() == 3
    page = client.get(_sample_url(sample)).content.decode()
    assert 'class="badge badge-danger" data-verdict="fail"' in page
    assert 'class="badge badge-info" data-verdict="judgement"' in page
    odour = Result.objects.get(sample=sample, indicator__code="odor_taste")
    assert reverse("workbench:quality_result_judge", kwargs={"pk": odour.pk}) in page
    assert _sample_url(sample, "quality_sample_confirm") in page


def test_a_bad_line_refuses_the_page_with_its_reason(world, sample):
    client = _client(world.analyst)
    data = _entry(turbidity="0.5", free_chlorine_outlet="abc")
    data["unit_turbidity"] = "mg/L"
    response = client.post(_sample_url(sample, "quality_sample_results"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "单位应为 NTU" in page
    assert "无法识别" in page
    assert "本页结果均未保存" in page
    assert not Result.objects.exists()
    sample.refresh_from_db()
    assert sample.status == SampleStatus.TAKEN


def test_judge_and_confirm_a_passing_sample(world, sample):
    client = _client(world.analyst)
    client.post(
        _sample_url(sample, "quality_sample_results"),
        _entry(turbidity="0.5", odor_taste="无异臭、异味", free_chlorine_outlet="0.6"),
    )
    odour = Result.objects.get(sample=sample, indicator__code="odor_taste")
    judge = reverse("workbench:quality_result_judge", kwargs={"pk": odour.pk})

    # Confirming before the judgement: refused on the page.
    response = client.post(_sample_url(sample, "quality_sample_confirm"))
    assert response.status_code == 400
    assert "待人工判定" in response.content.decode()

    response = client.post(judge, {"verdict": "fail", "note": ""})
    assert response.status_code == 400
    assert "请填写判定说明" in response.content.decode()
    response = client.post(judge, {"verdict": "pass", "note": ""})
    assert response.status_code == 302
    odour.refresh_from_db()
    assert (odour.verdict, odour.judged_by) == (Verdict.PASS, world.analyst)

    response = client.post(_sample_url(sample, "quality_sample_confirm"))
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.status, sample.verdict) == (SampleStatus.CONFIRMED, SampleVerdict.PASS)
    page = client.get(_sample_url(sample)).content.decode()
    assert 'name="raw_turbidity"' not in page


def test_a_failing_sample_is_confirmed_by_a_second_analyst(world, sample):
    for code, raw in [("turbidity", "3"), ("free_chlorine_outlet", "0.6")]:
        result_record(actor=world.analyst, sample=sample, code=code, raw=raw)
    odour, _change = result_record(
        actor=world.analyst, sample=sample, code="odor_taste", raw="无异臭、异味"
    )
    first = _client(world.analyst)
    first.post(
        reverse("workbench:quality_result_judge", kwargs={"pk": odour.pk}), {"verdict": "pass"}
    )
    assert first.post(_sample_url(sample, "quality_sample_confirm")).status_code == 302
    sample.refresh_from_db()
    assert sample.status == SampleStatus.AWAITING_SECOND

    page = first.get(_sample_url(sample)).content.decode()
    assert _sample_url(sample, "quality_sample_confirm_second") not in page
    assert "须由另一名化验员复核" in page
    response = first.post(_sample_url(sample, "quality_sample_confirm_second"))
    assert response.status_code == 400
    assert "另一名化验员" in response.content.decode()
    sample.refresh_from_db()
    assert sample.status == SampleStatus.AWAITING_SECOND

    second = _client(world.analyst2)
    listed = second.get(reverse("workbench:quality_results")).content.decode()
    assert sample.number in listed
    response = second.post(_sample_url(sample, "quality_sample_return"), {"reason": ""})
    assert response.status_code == 400
    assert "请填写退回原因" in response.content.decode()
    response = second.post(_sample_url(sample, "quality_sample_confirm_second"))
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.status, sample.second_confirmed_by) == (SampleStatus.CONFIRMED, world.analyst2)


def test_a_failing_sample_returned_on_the_page(world, sample):
    for code, raw in [("turbidity", "3"), ("free_chlorine_outlet", "0.6"), ("odor_taste", "无")]:
        result, _change = result_record(actor=world.analyst, sample=sample, code=code, raw=raw)
    _client(world.analyst).post(
        reverse("workbench:quality_result_judge", kwargs={"pk": result.pk}), {"verdict": "pass"}
    )
    _client(world.analyst).post(_sample_url(sample, "quality_sample_confirm"))
    response = _client(world.analyst2).post(
        _sample_url(sample, "quality_sample_return"), {"reason": "请复测浑浊度"}
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.status, sample.note) == (SampleStatus.ANALYSED, "退回：请复测浑浊度")


def test_import_a_file_and_see_its_bad_lines(world, sample):
    client = _client(world.analyst)
    assert client.get(reverse("workbench:quality_import")).status_code == 200
    text = (
        "样品编号,指标名称,检测结果,单位\n"
        f"{sample.number},浑浊度,0.5,NTU\n"
        f"{sample.number},大肠埃希氏菌,未检出,\n"
    )
    upload = SimpleUploadedFile("lims.csv", text.encode("gb18030"), content_type="text/csv")
    response = client.post(reverse("workbench:quality_import"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "workbench:quality_import_batch", kwargs={"pk": batch.pk}
    )
    page = client.get(response["Location"]).content.decode()
    assert 'id="batch-created">1<' in page
    assert 'data-line="3"' in page and "检测计划" in page
    assert _sample_url(sample) in page


def test_an_import_without_a_header_is_refused_on_the_form(world, sample):
    client = _client(world.analyst)
    upload = SimpleUploadedFile("x.csv", f"{sample.number},turbidity,0.5\n".encode())
    response = client.post(reverse("workbench:quality_import"), {"file": upload})
    assert response.status_code == 400
    assert "不是可识别的表头" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_readers_see_the_sample_but_not_the_forms(world, sample):
    client = _client(world.sampler)
    response = client.get(_sample_url(sample))
    assert response.status_code == 200
    assert 'name="raw_turbidity"' not in response.content.decode()
    response = client.post(_sample_url(sample, "quality_sample_results"), _entry(turbidity="0.5"))
    assert response.status_code == 403
    assert client.get(reverse("workbench:quality_import")).status_code == 403
    assert not Result.objects.exists()
    missing = reverse("workbench:quality_sample", kwargs={"number": "QS-NONE"})
    assert _client(world.analyst).get(missing).status_code == 404
