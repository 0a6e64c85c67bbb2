"""Completion notices: composed and queued in the caller's transaction (notice.py),
sent to SMTP in the background by every process (sender.py)."""
