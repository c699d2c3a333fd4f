"""The billing office's grant under the personal-data policy: it calls, writes to and bills
the holders of accounts, so it sees their contact details in full (not the ID number)."""

from django.utils.translation import gettext as _

from waterdesk.customers.models import Account, PersonalField
from waterdesk.customers.privacy import privacy_grant_register

BILLING_OFFICE_PERMISSION = "billing.view_ledgerentry"


def _billing_office_for_account_holder(user, customer) -> str | None:
    if not user.has_perm(BILLING_OFFICE_PERMISSION):
        return None
    account = Account.objects.filter(customer=customer).only("number").order_by("number").first()
    return _("账务：户号 %(number)s") % {"number": account.number} if account else None


def register_privacy_grants() -> None:
    privacy_grant_register(
        fields=(PersonalField.MOBILE, PersonalField.EMAIL, PersonalField.CONTACT_ADDRESS),
        grant=_billing_office_for_account_holder,
    )
