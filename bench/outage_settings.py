"""Settings of the outage benchmark's processes (itself, gunicorn, the Celery workers): the
site's, with the emergency public pages mounted in the portal namespace whether or not the
incident kind — which names them in its ``public_urls`` — is registered in this tree."""

from waterdesk.config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.emergency_public_urls"
