"""API clients for tests."""

import uuid

from rest_framework.test import APIClient


class KeyedAPIClient(APIClient):
    """Every POST carries a new ``Idempotency-Key`` (the money-changing calls need one),
    unless the test gives its own."""

    def post(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        extra.setdefault("HTTP_IDEMPOTENCY_KEY", str(uuid.uuid4()))
        return super().post(path, data, format, content_type, follow, **extra)


def client_for(user=None, *, keyed: bool = True) -> APIClient:
    """An API client authenticated as ``user`` (anonymous without one). A keyed client sends
    a new ``Idempotency-Key`` with every POST; ``keyed=False`` for tests of the key itself."""
    client = KeyedAPIClient() if keyed else APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
