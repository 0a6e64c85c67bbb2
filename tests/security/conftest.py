"""The areas' fixtures that the security tests reuse: an app, Taro, a browser, a signed-in clerk."""

from tests.flow.conftest import app_client, customer, taro  # noqa: F401
from tests.staff.conftest import add_staff, open_console  # noqa: F401
