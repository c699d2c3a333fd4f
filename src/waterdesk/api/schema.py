"""OpenAPI settings of the API, on top of ``SPECTACULAR_SETTINGS``.

Served by ``/api/schema/`` and usable from the command line:
``python manage.py spectacular --custom-settings waterdesk.api.schema.SCHEMA_SETTINGS
--validate --fail-on-warn``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from waterdesk.api.errors import error_codes_markdown


class TextFieldSchema(OpenApiSerializerFieldExtension):
    """A text input that may not be blank says so: DRF strips white space before it checks
    for blank, so such a field needs a character that is not white space (``pattern``).
    Subclasses with a format of their own (slug, e-mail, regex) keep theirs."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True  # the API's own CharField, slugs, e-mail addresses

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if direction == "request" and not field.read_only and not field.allow_blank:
            schema.setdefault("minLength", 1)
            regexes = [v.regex.pattern for v in field.validators if isinstance(v, RegexValidator)]
            if regexes:  # a slug in a list: spectacular adds the pattern to fields only
                schema.setdefault("pattern", regexes[0])
            elif field.trim_whitespace:
                schema.setdefault("pattern", r"\S")
        return schema


class FileInputSchema(OpenApiSerializerFieldExtension):
    """An uploaded file is the file's bytes (a multipart part), not a URL."""

    target_class = "rest_framework.fields.FileField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            schema = build_basic_type(OpenApiTypes.BINARY)
            if not self.target.allow_empty_file:
                schema["minLength"] = 1
            return schema
        return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)


class DecimalInputSchema(OpenApiSerializerFieldExtension):
    """A decimal input is a number with its bounds and places (a string such as ``"1.50"``
    is accepted as well), like an amount (``core.money.MoneyFieldSchema``)."""

    target_class = "rest_framework.fields.DecimalField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction != "request" or field.read_only:
            return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        limit = Decimal(10) ** (field.max_digits - field.decimal_places)
        step = Decimal(1).scaleb(-field.decimal_places)
        schema = {"type": "number", "format": "decimal", "multipleOf": float(step)}
        if field.min_value is not None:
            schema["minimum"] = float(field.min_value)
        else:
            schema.update(minimum=float(-limit), exclusiveMinimum=True)
        if field.max_value is not None:
            schema["maximum"] = float(field.max_value)
        else:
            schema.update(maximum=float(limit), exclusiveMaximum=True)
        return schema


class ListInputSchema(OpenApiSerializerFieldExtension):
    """A nested list input (``many=True``) states that it may not be empty."""

    target_class = "rest_framework.serializers.ListSerializer"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if direction == "request" and not field.read_only and not field.allow_empty:
            schema.setdefault("minItems", max(1, field.min_length or 0))
        return schema


DESCRIPTION = (
    f"{settings.SPECTACULAR_SETTINGS.get('DESCRIPTION', '')}\n\n"
    "### Authentication\n\n"
    "Every endpoint needs a staff user: a logged-in session (send the `csrftoken` cookie's "
    "value as `X-CSRFToken` on writes) or, for machine clients, a token issued by an "
    "administrator (`Authorization: Token <key>`; repeated wrong tokens from one address "
    "are refused for a while with `too_many_failures`). What a user may do follows the user's "
    "roles; cases are visible within the user's scope only (others are `not_found`).\n\n"
    "### Times and money\n\n"
    "Times are ISO 8601 with an offset, shown in Asia/Shanghai; a time sent without an "
    "offset is read as Asia/Shanghai. Amounts are decimal strings in yuan with two places.\n\n"
    + error_codes_markdown()
)

SCHEMA_SETTINGS = {"DESCRIPTION": DESCRIPTION}
