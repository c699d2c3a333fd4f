"""Robust parsing (security issue, point 8): deep or huge JSON bodies are refused with a
code, not a 500; unknown API paths and ids that are not UUIDs answer in the API's error
shape; pages keep their HTML 404."""

import json

import pytest
from rest_framework.test import APIClient

from tests.clients import client_for
from tests.test_api_new_connection import VALID_ID, intake_payload
from waterdesk.cases.models import Case
from waterdesk.core.api.parsers import JSON_MAX_BYTES, JSON_MAX_DEPTH, json_depth
from waterdesk.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(clerk):
    return client_for(clerk, keyed=False)


def post_raw(api, url, body: bytes | str):
    return api.post(url, body, content_type="application/json")


def test_json_depth_counts_without_recursion():
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b'{"a": "\\"[[["}') == 1
    assert json_depth(b"12") == 0


def test_a_100000_deep_body_is_refused_and_writes_nothing(api, zone):
    body = "[" * 100_000 + "]" * 100_000
    response = post_raw(api, "/api/new-connections/", body)
    assert (response.status_code, response.json()["code"]) == (400, "body_too_deep")
    assert not Case.objects.exists()


def test_a_deep_object_inside_a_valid_request_is_refused(api, zone):
    payload = intake_payload()
    nested = "x"
    for _ in range(JSON_MAX_DEPTH):
        nested = {"x": nested}
    payload["extra"] = nested
    response = post_raw(api, "/api/new-connections/", json.dumps(payload))
    assert (response.status_code, response.json()["code"]) == (400, "body_too_deep")
    assert not Case.objects.exists()


def test_an_oversized_body_is_refused_with_a_code(api, zone):
    payload = intake_payload()
    payload["extra"] = "水" * (JSON_MAX_BYTES // 3 + 1)
    response = post_raw(api, "/api/new-connections/", json.dumps(payload, ensure_ascii=False))
    assert (response.status_code, response.json()["code"]) == (413, "body_too_large")
    assert not Case.objects.exists()


def test_a_normal_nested_body_still_works(api, zone):
    payload = intake_payload()
    payload["extra"] = {"a": [{"b": [1, 2, {"c": "[[[{{{"}]}]}  # ignored, 5 deep
    response = post_raw(api, "/api/new-connections/", json.dumps(payload))
    assert response.status_code == 201, response.json()
    assert Customer.objects.filter(id_number=VALID_ID).exists()


def test_invalid_json_is_a_parse_error(api):
    response = post_raw(api, "/api/new-connections/", '{"a": NaN}')
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(
    "path",
    [
        "/api/cases/not-a-uuid/",
        "/api/billing/bills/123/",
        "/api/billing/accounts/x/balance/",
        "/api/no-such-endpoint/",
        "/api/",
    ],
)
def test_unknown_api_paths_are_json_404s(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "message": "记录不存在或您无权查看。"}


def test_unknown_api_paths_are_json_404s_for_anonymous_clients_too():
    response = APIClient().post("/api/cases/not-a-uuid/actions/withdraw/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_page_404_stays_html(client, clerk):
    client.force_login(clerk)
    response = client.get("/desk/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_under_api_is_a_json_500(rf):
    from waterdesk.api.errors import server_error

    response = server_error(rf.get("/api/cases/"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
    page = server_error(rf.get("/desk/"))
    assert (page.status_code, page["Content-Type"].startswith("text/html")) == (500, True)


def test_method_media_type_and_accept_errors_have_the_error_shape(api):
    wrong_method = api.delete("/api/new-connections/")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
    wrong_type = api.post("/api/new-connections/", "a=b", content_type="text/plain")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (415, "unsupported_media_type")
    wrong_accept = api.get("/api/cases/", HTTP_ACCEPT="application/xml")
    assert wrong_accept.status_code == 406
    assert json.loads(wrong_accept.content)["code"] == "not_acceptable"
