import pytest

from tests.factories import DepartmentFactory, UserFactory
from waterdesk.core.roles import Role


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", role=Role.INTAKE_CLERK)


@pytest.fixture
def surveyor(db):
    return UserFactory(username="surveyor", role=Role.SURVEYOR)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", role=Role.REVIEWER)


@pytest.fixture
def approver(db):
    return UserFactory(username="approver", role=Role.APPROVER)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", role=Role.ADMINISTRATOR)


@pytest.fixture
def outsider(db):
    """A logged-in staff user with no role at all."""
    return UserFactory(username="outsider")
