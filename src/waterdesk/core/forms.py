"""Form helpers shared by every app that has pages."""

from django import forms
from django.core.exceptions import ValidationError

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
