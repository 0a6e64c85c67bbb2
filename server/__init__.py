"""Renkei, the bank's API連携認証 server."""

__version__ = "0.1.0"
