"""OpenAPI settings of the API, on top of ``SPECTACULAR_SETTINGS``.

Served by ``/api/schema/`` and usable from the command line:
``python manage.py spectacular --custom-settings waterdesk.api.schema.SCHEMA_SETTINGS
--validate --fail-on-warn``.
"""

from django.conf import settings

from waterdesk.api.errors import error_codes_markdown

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
