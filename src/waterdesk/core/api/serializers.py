"""The one error shape of every API answer (see ``waterdesk.api.errors``)."""

from rest_framework import serializers

from waterdesk.core.api import fields as api_fields


class ErrorSerializer(serializers.Serializer):
    code = api_fields.CharField(help_text="Stable machine-readable code; see the list above.")
    message = api_fields.CharField(help_text="Human message in the request's language.")
    field = api_fields.CharField(required=False, help_text="The input at fault, if one.")
    details = serializers.DictField(required=False)
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text='With "invalid_input": input name → list of messages (nested inputs nest '
        "the same way).",
    )
