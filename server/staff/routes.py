"""The staff console."""

routes: list = []
