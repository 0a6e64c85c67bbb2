"""The customer-flow fixtures (an app, Taro, a browser) serve the web tests too."""

from tests.flow.conftest import app_client, customer, taro  # noqa: F401
