"""The Twilio Voice webhooks."""

routes: list = []
