"""OAuth endpoints."""

routes: list = []
