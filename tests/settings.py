"""The project's settings for the test suite, with a signing key of its own.

Without DEBUG the settings refuse to load when SECRET_KEY is unset; the suite sets a key
that is good for tests only. It is put in the environment so that the processes the tests
start (``manage.py`` subprocesses) load the same settings.
"""

import os

os.environ.setdefault("WATERDESK_SANDBOX_PAY_SECRET", "tests-only-sandbox-secret")
os.environ.setdefault("SECRET_KEY", "tests-only-" + "k3y-not-for-production-" * 3)

from waterdesk.config.settings import *  # noqa: F403

# Static files under their own names, without running collectstatic before the suite: the
# production storage (hashed names, long caching) is checked by a test of its own
# (tests/test_security_settings.py) that collects into a temporary directory.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
