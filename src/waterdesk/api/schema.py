"""OpenAPI settings of the API, on top of ``SPECTACULAR_SETTINGS``.

Served by ``/api/schema/`` and usable from the command line:
``python manage.py spectacular --custom-settings waterdesk.api.schema.SCHEMA_SETTINGS
--validate --fail-on-warn``.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from waterdesk.api.errors import error_codes_markdown


class TextFieldSchema(OpenApiSerializerFieldExtension):
    """A text input that may not be blank says so: DRF strips white space before it checks
    for blank, so such a field needs a character that is not white space (``pattern``).
    Subclasses with a format of their own (slug, e-mail, regex) keep theirs."""

    target_class = "rest_framework.fields.CharField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if direction == "request" and not field.read_only and not field.allow_blank:
            schema.setdefault("minLength", 1)
            if field.trim_whitespace:
                schema.setdefault("pattern", r"\S")
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
