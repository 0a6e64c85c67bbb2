"""The areas' fixtures that the security tests reuse: an app, Taro, a browser, signed-in clerks, locks and links."""

from tests.flow.conftest import app_client, customer, taro  # noqa: F401
from tests.staff.conftest import add_account, add_grant, add_staff, locked_account, open_console  # noqa: F401
