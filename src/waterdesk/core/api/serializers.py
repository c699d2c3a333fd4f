"""Serializers every API module shares: the one error shape of every answer (see
``waterdesk.api.errors``) and small references to users and departments."""

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


class UserRefSerializer(serializers.Serializer):
    username = api_fields.CharField(source="get_username")
    full_name = api_fields.CharField(source="get_full_name")


class DepartmentRefSerializer(serializers.Serializer):
    code = api_fields.CharField()
    name = api_fields.CharField()


class WithdrawSerializer(serializers.Serializer):
    """The input of every kind's ``withdraw`` (one schema for the shared action URL)."""

    reason = api_fields.CharField(max_length=2000, help_text="Why the case is withdrawn.")
