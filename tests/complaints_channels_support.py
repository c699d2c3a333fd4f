"""Support of the complaint channels' tests: the 12345 platform's machine user."""

from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory


def city_platform_user():
    """The 12345 platform's machine user: a token issued in the admin and the one
    permission, no role."""
    user = UserFactory(username="city-12345")
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="complaints", codename="transfer_city_hotline"
        )
    )
    token = Token.objects.create(user=user)
    return user, token.key
