"""Serializer fields of the API."""

from rest_framework import serializers


class CharField(serializers.CharField):
    """DRF's text field, which takes only text: DRF's own also takes a JSON number and turns it
    into text (``123`` → ``"123"``), which the schema (``type: string``) does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
