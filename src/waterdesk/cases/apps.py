from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "waterdesk.cases"
    label = "cases"
    verbose_name = _("工单")

    def ready(self) -> None:
        from waterdesk.cases.access import register_privacy_grants
        from waterdesk.cases.selectors import case_customer_matches
        from waterdesk.customers.search.case_numbers import (
            customer_search_case_finder_register,
        )

        register_privacy_grants()
        # Customer search finds a customer by the number of one of their cases.
        customer_search_case_finder_register(case_customer_matches)
