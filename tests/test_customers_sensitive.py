"""Sensitive customers (hospitals, schools, care homes, registered vulnerable households:
told first when the water stops) and the street of a premise, in the customer screens:
the services, the forms, the new-connection intake, the customer's page, the admin and
the API."""

import pytest
from django.urls import reverse

from tests.clients import client_for
from tests.factories import AccountFactory, CustomerFactory, PremiseFactory, SupplyZoneFactory
from tests.test_workbench_intake import intake_data
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.forms import CustomerForm, PremiseForm
from waterdesk.customers.models import Customer, CustomerKind, Premise, SensitiveCategory
from waterdesk.customers.services import (
    customer_create,
    customer_update,
    premise_create,
    premise_get_or_create,
)

pytestmark = pytest.mark.django_db

VALID_RIC = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def test_a_customer_is_registered_and_changed_as_sensitive(clerk):
    hospital = customer_create(
        actor=clerk,
        kind=CustomerKind.ORGANISATION,
        name="市第一人民医院",
        id_number=VALID_USCC,
        sensitive_category="hospital",
    )
    assert hospital.sensitive_category == SensitiveCategory.HOSPITAL
    changed = customer_update(actor=clerk, customer=hospital, sensitive_category="")
    assert changed.sensitive_category == ""
    assert [row.sensitive_category for row in changed.history.order_by("history_date")] == [
        "hospital",
        "",
    ]


def test_an_unknown_category_is_refused_and_nothing_written(clerk):
    with pytest.raises(InvalidInput) as refused:
        customer_create(
            actor=clerk,
            kind=CustomerKind.PERSON,
            name="张三",
            id_number=VALID_RIC,
            sensitive_category="embassy",
        )
    assert (refused.value.code, refused.value.field) == (
        "invalid_sensitive_category",
        "sensitive_category",
    )
    assert Customer.objects.count() == 0
    customer = CustomerFactory(sensitive_category="school")
    with pytest.raises(InvalidInput):
        customer_update(actor=clerk, customer=customer, sensitive_category="palace")
    customer.refresh_from_db()
    assert customer.sensitive_category == "school"


def test_a_premise_is_registered_with_its_street(clerk):
    zone = SupplyZoneFactory()
    premise = premise_create(
        actor=clerk, address="城北区解放路8号", zone=zone, district="城北区", street=" 解放路 "
    )
    assert premise.street == "解放路"
    # An existing premise without a street gets the one given; one with a street keeps it.
    bare = PremiseFactory(zone=zone, address="城北区和平路2号", street="")
    same = premise_get_or_create(actor=clerk, address="城北区和平路2号", zone=zone, street="和平路")
    assert (same.pk, Premise.objects.get(pk=bare.pk).street) == (bare.pk, "和平路")
    again = premise_get_or_create(
        actor=clerk, address="城北区和平路2号", zone=zone, street="别的路"
    )
    assert again.street == "和平路"


def test_the_forms_take_the_category_and_the_street():
    form = CustomerForm(
        data={
            "kind": CustomerKind.ORGANISATION,
            "name": "实验小学",
            "id_number": VALID_USCC,
            "sensitive_category": "school",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["sensitive_category"] == "school"
    wrong = CustomerForm(data={**form.data, "sensitive_category": "embassy"})
    assert not wrong.is_valid() and list(wrong.errors) == ["sensitive_category"]
    zone = SupplyZoneFactory()
    premise = PremiseForm(data={"address": "解放路8号", "zone": zone.pk, "street": " 解放路 "})
    assert premise.is_valid(), premise.errors
    assert premise.cleaned_data["street"] == "解放路"


def test_the_new_connection_page_registers_a_sensitive_customer_on_a_street(client, clerk):
    zone = SupplyZoneFactory(code="north")
    client.force_login(clerk)
    page = client.get(reverse("workbench:intake")).content.decode()
    assert 'name="new-sensitive_category"' in page and 'name="street"' in page

    response = client.post(
        reverse("workbench:intake"),
        intake_data(
            zone,
            street="解放路",
            **{
                "new-kind": CustomerKind.ORGANISATION,
                "new-name": "城北社区养老院",
                "new-id_number": VALID_USCC,
                "new-sensitive_category": "care_home",
                "premise_address": "城北区解放路100号",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(name="城北社区养老院")
    assert customer.sensitive_category == "care_home"
    assert Premise.objects.get(address="城北区解放路100号").street == "解放路"


def test_the_customer_page_shows_the_badge(client, clerk):
    customer = CustomerFactory(sensitive_category="hospital")
    AccountFactory(customer=customer, premise=PremiseFactory(street="解放路"))
    plain = CustomerFactory()
    client.force_login(clerk)

    page = client.get(reverse("workbench:customer", args=[customer.public_id])).content.decode()
    assert "重点用户：医院" in page
    assert "解放路" in page
    other = client.get(reverse("workbench:customer", args=[plain.public_id])).content.decode()
    assert "重点用户" not in other


def test_the_admin_edits_and_filters_by_category(admin_client):
    customer = CustomerFactory(name="张三", id_number=VALID_RIC, sensitive_category="school")
    CustomerFactory(name="李四")

    listed = admin_client.get(
        reverse("admin:customers_customer_changelist"), {"sensitive_category__exact": "school"}
    )
    assert [row.name for row in listed.context["cl"].result_list] == ["张三"]
    change = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert 'name="sensitive_category"' in change.content.decode()
    premise = PremiseFactory(street="解放路")
    premise_page = admin_client.get(reverse("admin:customers_premise_change", args=[premise.pk]))
    assert 'name="street"' in premise_page.content.decode()


def test_the_api_shows_and_takes_the_category(clerk, surveyor):
    created = client_for(clerk).post(
        "/api/customers/",
        {
            "kind": "organisation",
            "name": "实验小学",
            "id_number": VALID_USCC,
            "sensitive_category": "school",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["sensitive_category"] == "school"
    customer = Customer.objects.get()
    AccountFactory(customer=customer, premise=PremiseFactory(street="解放路"))
    detail = client_for(surveyor).get(f"/api/customers/{customer.public_id}/").json()
    assert detail["sensitive_category"] == "school"
    assert detail["accounts"][0]["premise"]["street"] == "解放路"
    refused = client_for(clerk).post(
        "/api/customers/",
        {"kind": "person", "name": "张三", "id_number": VALID_RIC, "sensitive_category": "x"},
        format="json",
    )
    assert refused.status_code == 400
    assert Customer.objects.count() == 1
