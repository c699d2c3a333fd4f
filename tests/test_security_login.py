"""Login security: lockout (django-axes), API tokens and their throttle, password rules,
idle sessions and "remember me"."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from waterdesk.api.authentication import _failure_keys
from waterdesk.core.timeutil import LOCAL_TZ

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def login(username: str, password: str, *, address: str = "10.0.0.1", **extra) -> tuple:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password, **extra})
    return client, response


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_logins(username: str, count: int, *, address: str = "10.0.0.1") -> None:
    for _ in range(count):
        _client, response = login(username, "wrong-password", address=address)
        assert response.status_code in {200, 429}


# --- lockout --------------------------------------------------------------------------


@pytest.mark.django_db
def test_four_failures_still_allow_a_login(clerk):
    fail_logins("clerk", 4)

    client, response = login("clerk", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_a_user_name_is_locked_after_5_failures_even_from_other_addresses(clerk):
    for number in range(5):
        fail_logins("clerk", 1, address=f"10.0.1.{number}")

    client, response = login("clerk", PASSWORD, address="10.0.2.1")

    assert response.status_code == 429
    assert not is_logged_in(client)
    html = response.content.decode()
    assert "登录已暂时锁定" in html
    assert "连续 5 次登录失败" in html
    assert "请在 30 分钟后再试；如需立即登录，请联系系统管理员解锁。" in html


@pytest.mark.django_db
def test_an_address_is_locked_after_5_failures_for_any_user_names(clerk):
    for number in range(5):
        fail_logins(f"guess{number}", 1, address="10.0.3.3")

    locked_client, locked = login("clerk", PASSWORD, address="10.0.3.3")
    other_client, other = login("clerk", PASSWORD, address="10.0.3.4")

    assert (locked.status_code, is_logged_in(locked_client)) == (429, False)
    assert (other.status_code, is_logged_in(other_client)) == (302, True)


@pytest.mark.django_db
def test_the_fifth_failure_already_shows_the_lockout_page(clerk):
    fail_logins("clerk", 4)

    _client, response = login("clerk", "wrong-password")

    assert response.status_code == 429
    assert "请联系系统管理员解锁" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_login_is_locked_too(clerk):
    fail_logins("clerk", 5)

    client = Client(REMOTE_ADDR="10.0.9.9")
    response = client.post(
        reverse("admin:login"), {"username": "clerk", "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 429
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_lockout_ends_after_30_minutes(clerk, _clock):
    fail_logins("clerk", 5)

    _clock.shift(dt.timedelta(minutes=29))
    client, response = login("clerk", PASSWORD, address="10.0.4.4")
    assert (response.status_code, is_logged_in(client)) == (429, False)

    # A refused attempt during the lockout starts the 30 minutes again (axes' default).
    _clock.shift(dt.timedelta(minutes=30, seconds=1))
    client, response = login("clerk", PASSWORD, address="10.0.4.5")
    assert (response.status_code, is_logged_in(client)) == (302, True)


@pytest.mark.django_db
def test_the_lockout_limits_come_from_the_settings(clerk, settings):
    settings.AXES_FAILURE_LIMIT = settings.WATERDESK_LOCKOUT_FAILURES = 2
    fail_logins("clerk", 2)

    client, response = login("clerk", PASSWORD, address="10.0.5.5")

    assert (response.status_code, is_logged_in(client)) == (429, False)
    assert "连续 2 次登录失败" in response.content.decode()


@pytest.mark.django_db
def test_an_administrator_unlocks_in_the_admin(clerk, administrator):
    fail_logins("clerk", 5)
    attempt = AccessAttempt.objects.get(username="clerk")
    administrator.is_staff = True
    administrator.save()
    admin_client = Client()
    admin_client.force_login(administrator)

    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    deleted = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert changelist.status_code == 200
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    client, response = login("clerk", PASSWORD)
    assert (response.status_code, is_logged_in(client)) == (302, True)


@pytest.mark.django_db
def test_axes_reset_command_unlocks(clerk):
    fail_logins("clerk", 5)

    call_command("axes_reset_username", "clerk")

    client, response = login("clerk", PASSWORD, address="10.0.6.6")
    assert (response.status_code, is_logged_in(client)) == (302, True)


@pytest.mark.django_db
def test_failures_are_logged(clerk):
    fail_logins("clerk", 3, address="10.0.7.7")

    rows = AccessFailureLog.objects.order_by("attempt_time")
    assert [(row.username, row.ip_address, row.locked_out) for row in rows] == [
        ("clerk", "10.0.7.7", False)
    ] * 3


# --- API tokens -----------------------------------------------------------------------


@pytest.fixture
def address_counter():
    """A fresh token-failure counter for the test's client address."""
    address = "10.0.8.8"
    cache.delete_many(_failure_keys(address))
    yield address
    cache.delete_many(_failure_keys(address))


def api(address: str, authorization: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


@pytest.mark.django_db
def test_a_token_authenticates_an_api_client(clerk, address_counter):
    token = Token.objects.create(user=clerk)

    response = api(address_counter, f"Token {token.key}").get("/api/cases/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_http_basic_is_no_longer_accepted(clerk, address_counter):
    basic = "Basic Y2xlcms6cGFzcy0xMjM0NTY="  # clerk:pass-123456, the right password

    response = api(address_counter, basic).get("/api/cases/")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录。"}
    assert response["WWW-Authenticate"] == 'Token realm="waterdesk"'


@pytest.mark.django_db
def test_a_revoked_token_is_refused(clerk, address_counter):
    token = Token.objects.create(user=clerk)
    key = token.key
    token.delete()

    response = api(address_counter, f"Token {key}").get("/api/cases/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_wrong_tokens_are_throttled_per_address(clerk, address_counter):
    token = Token.objects.create(user=clerk)
    wrong = api(address_counter, "Token " + "f" * 40)

    statuses = [wrong.get("/api/cases/").status_code for _ in range(5)]
    refused = api(address_counter, f"Token {token.key}").get("/api/cases/")
    elsewhere = api("10.0.8.9", f"Token {token.key}").get("/api/cases/")

    assert statuses == [401] * 5
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "too_many_failures",
        "message": "认证失败次数过多，请稍后再试，或联系系统管理员。",
    }
    assert elsewhere.status_code == 200
    cache.delete_many(_failure_keys("10.0.8.9"))


@pytest.mark.django_db
def test_the_token_throttle_ends_after_30_minutes(clerk, address_counter, _clock):
    token = Token.objects.create(user=clerk)
    wrong = api(address_counter, "Token " + "f" * 40)
    for _ in range(5):
        wrong.get("/api/cases/")

    _clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = api(address_counter, f"Token {token.key}").get("/api/cases/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_administrators_issue_and_revoke_tokens_in_the_admin(administrator, clerk):
    administrator.is_staff = True
    administrator.save()
    client = Client()
    client.force_login(administrator)

    added = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": clerk.pk})
    issued = Token.objects.filter(user=clerk).count()
    # The admin addresses a token by its user (DRF's TokenProxy).
    deleted = client.post(
        reverse("admin:authtoken_tokenproxy_delete", args=[clerk.pk]), {"post": "yes"}
    )

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert (issued, Token.objects.count()) == (1, 0)


# --- passwords --------------------------------------------------------------------------


def refusal_codes(password: str, user) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return {error.code for error in refused.value.error_list}


@pytest.mark.django_db
def test_a_repeated_year_is_refused():
    user = UserFactory(username="zhangwei")
    assert refusal_codes("20262026", user) == {"password_too_short", "password_entirely_numeric"}
    assert refusal_codes("2026202620262", user) == {"password_entirely_numeric"}


@pytest.mark.django_db
def test_a_doubled_user_name_is_refused(clerk):
    assert refusal_codes("clerk2clerk2", clerk) == {"password_too_similar"}


@pytest.mark.django_db
def test_the_product_name_is_refused():
    user = UserFactory(username="zhangwei", email="zw@example.cn")
    assert refusal_codes("waterdesk", user) == {"password_too_short", "password_company_word"}
    assert refusal_codes("my-waterdesk-pw", user) == {"password_company_word"}


@pytest.mark.django_db
def test_water_with_a_year_is_refused():
    user = UserFactory(username="zhangwei", email="zw@example.cn")
    assert refusal_codes("Water2026", user) == {"password_too_short", "password_company_word"}
    assert refusal_codes("Water2026!xq", user) == {"password_company_word"}


@pytest.mark.django_db
def test_a_long_unrelated_password_is_accepted():
    validate_password("Kettle-Harbour-417", UserFactory(username="zhangwei"))


@pytest.mark.django_db
def test_the_demo_password_still_logs_in():
    # demo_seed sets it with set_password, which does not validate.
    user = UserFactory(username="clerk1")
    user.set_password("demo-pass-2026")
    user.save()

    client, response = login("clerk1", "demo-pass-2026")

    assert (response.status_code, is_logged_in(client)) == (302, True)


# --- sessions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_remember_me_the_session_ends_with_the_browser(clerk):
    _client, response = login("clerk", PASSWORD)

    cookie = response.cookies["sessionid"]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")


@pytest.mark.django_db
def test_remember_me_keeps_the_cookie_for_the_idle_time(clerk):
    _client, response = login("clerk", PASSWORD, remember_me="on")

    assert response.cookies["sessionid"]["max-age"] == 1800


@pytest.mark.parametrize("remember", [{}, {"remember_me": "on"}])
@pytest.mark.django_db
def test_a_session_ends_after_30_idle_minutes(clerk, _clock, remember):
    client, _response = login("clerk", PASSWORD, **remember)
    queue = reverse("workbench:queue")

    _clock.shift(dt.timedelta(minutes=29))
    assert client.get(queue).status_code == 200
    _clock.shift(dt.timedelta(minutes=29))  # 58 minutes after login, 29 idle: still in
    assert client.get(queue).status_code == 200
    _clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = client.get(queue)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_idle_time_comes_from_the_settings(clerk, settings):
    settings.SESSION_COOKIE_AGE = 10 * 60

    _client, response = login("clerk", PASSWORD, remember_me="on")

    assert response.cookies["sessionid"]["max-age"] == 600


@pytest.mark.django_db
def test_the_login_page_offers_remember_me(client):
    html = client.get(reverse("login")).content.decode()

    assert 'name="remember_me"' in html
    assert "在此电脑上保持登录" in html
    assert "30 分钟无操作后都需重新登录" in html
