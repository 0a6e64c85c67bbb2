"""The grant types of /token (RFC 6749 §4.1.3, §6), one module each, and the rules they share."""
