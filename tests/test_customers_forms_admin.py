import pytest
from django.urls import reverse

from tests.factories import AccountFactory, CustomerFactory, SupplyZoneFactory
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.forms import CustomerForm, PremiseForm
from waterdesk.customers.models import Customer, CustomerKind
from waterdesk.customers.services import customer_create

VALID_RIC = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def _customer_data(**overrides) -> dict:
    data = {
        "kind": CustomerKind.PERSON,
        "name": " 张  三 ",
        "id_number": "110105 19491231 002x",
        "mobile": "+86 138 0013 8000",
        "email": "zhang@example.cn",
        "contact_address": " 城北区 解放路1号 ",
        "is_vulnerable": "on",
    }
    data.update(overrides)
    return data


def test_customer_form_cleans_through_validation():
    form = CustomerForm(data=_customer_data())

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "kind": CustomerKind.PERSON,
        "name": "张 三",
        "id_number": VALID_RIC,
        "mobile": "13800138000",
        "email": "zhang@example.cn",
        "contact_address": "城北区 解放路1号",
        "is_vulnerable": True,
        "sensitive_category": "",
    }


def test_customer_form_optional_fields():
    form = CustomerForm(
        data=_customer_data(
            kind=CustomerKind.ORGANISATION,
            id_number=VALID_USCC,
            mobile="",
            email="",
            contact_address="",
            is_vulnerable="",
        )
    )

    assert form.is_valid(), form.errors
    assert (form.cleaned_data["id_number"], form.cleaned_data["mobile"]) == (VALID_USCC, "")
    assert form.cleaned_data["is_vulnerable"] is False


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"id_number": "110105194912310021"}, {"id_number": ["身份证号码不正确：校验位错误"]}),
        ({"id_number": "11010519491231002"}, {"id_number": ["身份证号码不正确：应为18位"]}),
        (
            {"kind": CustomerKind.ORGANISATION},
            {"id_number": ["统一社会信用代码不正确：校验位错误"]},
        ),
        (
            {"mobile": "12345678901"},
            {"mobile": ["手机号码不正确：号码无效，请检查位数和号段。"]},
        ),
        (
            {"mobile": "12345678901", "id_number": "11010519491231002"},
            {
                "mobile": ["手机号码不正确：号码无效，请检查位数和号段。"],
                "id_number": ["身份证号码不正确：应为18位"],
            },
        ),
    ],
)
def test_customer_form_shows_chinese_field_errors(overrides, errors):
    form = CustomerForm(data=_customer_data(**overrides))

    assert not form.is_valid()
    assert form.errors == errors


def test_customer_form_requires_name_kind_and_id_number():
    form = CustomerForm(data={})

    assert not form.is_valid()
    assert sorted(form.errors) == ["id_number", "kind", "name"]


def test_customer_form_takes_a_service_refusal(clerk):
    customer_create(actor=clerk, kind=CustomerKind.PERSON, name="张三", id_number=VALID_RIC)
    form = CustomerForm(data=_customer_data())
    assert form.is_valid()

    with pytest.raises(InvalidInput) as caught:
        customer_create(actor=clerk, **form.cleaned_data)
    form.add_domain_error(caught.value)

    assert form.errors == {"id_number": ["该证件号码已登记为客户“张三”，请勿重复登记。"]}
    assert Customer.objects.count() == 1


def test_customer_form_puts_errors_without_a_known_field_above_the_form():
    form = CustomerForm(data=_customer_data())
    assert form.is_valid()

    form.add_domain_error(InvalidInput("出错了", code="x", field="premise"))

    assert form.non_field_errors() == ["出错了"]


def test_premise_form(db):
    zone = SupplyZoneFactory()

    valid = PremiseForm(data={"address": " 城北区  解放路8号 ", "zone": zone.pk, "district": ""})
    missing = PremiseForm(data={"address": "", "zone": ""})

    assert valid.is_valid(), valid.errors
    assert valid.cleaned_data == {
        "address": "城北区 解放路8号",
        "zone": zone,
        "district": "",
        "street": "",
    }
    assert not missing.is_valid()
    assert sorted(missing.errors) == ["address", "zone"]


# --- admin ------------------------------------------------------------------------------


def test_admin_customer_list_masks_id_numbers_and_mobiles(admin_client):
    CustomerFactory(name="张三", id_number=VALID_RIC, mobile="13812345678")

    response = admin_client.get(reverse("admin:customers_customer_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "110105********002X" in page
    assert "138****5678" in page
    assert VALID_RIC not in page
    assert "13812345678" not in page


def test_admin_customer_search_by_full_id_number(admin_client):
    CustomerFactory(name="张三", id_number=VALID_RIC)
    CustomerFactory(name="李四")

    response = admin_client.get(reverse("admin:customers_customer_changelist"), {"q": VALID_RIC})

    assert [customer.name for customer in response.context["cl"].result_list] == ["张三"]


def test_admin_customer_add_refuses_invalid_id_number(admin_client):
    response = admin_client.post(
        reverse("admin:customers_customer_add"),
        {"kind": CustomerKind.PERSON, "name": "张三", "id_number": "110105194912310021"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"] == [
        "身份证号码不正确：校验位错误"
    ]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:customers_supplyzone_changelist",
        "admin:customers_premise_changelist",
        "admin:customers_account_changelist",
        "admin:customers_meter_changelist",
    ],
)
def test_admin_changelists_render(admin_client, url_name):
    AccountFactory()

    assert admin_client.get(reverse(url_name)).status_code == 200
