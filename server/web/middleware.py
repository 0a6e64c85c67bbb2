"""Middleware that every response passes through (outermost first)."""

from starlette.middleware import Middleware

middleware: list[Middleware] = []
