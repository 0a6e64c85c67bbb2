"""The customer's screens ① to ⑥ (filled in by the customer-flow work)."""

routes: list = []
