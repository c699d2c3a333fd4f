"""Form helpers shared by every app that has pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q

from waterdesk.core.errors import DomainError


class DomainErrorMixin:
    # Services name some fields differently from the page.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        field = self.field_aliases.get(error.field, error.field)
        self.add_error(
            field if field in self.fields else None,
            ValidationError(str(error.message), code=error.code),
        )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL_FORMAT, **kwargs)


def text_area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- case actions ---------------------------------------------------------------------
#
# One form per action of a case kind. ``service_kwargs()`` turns cleaned data into the
# keyword arguments of the action's service (besides actor and case).


class ActionForm(DomainErrorMixin, forms.Form):
    def __init__(self, *args, case=None, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def users_with_permission(permission: str):
    """Active users holding ``app_label.codename`` through a group, directly or as superuser."""
    app_label, codename = permission.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__in=granted)
            | Q(user_permissions__in=granted)
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )
