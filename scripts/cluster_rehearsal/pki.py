"""A certificate authority of the rehearsal's own and the balancer's certificate (Debian's openssl)."""

from __future__ import annotations

import subprocess
from pathlib import Path

DAYS = "30"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make(directory: Path, address: str) -> tuple[Path, Path]:
    """(ca.pem, lb.pem): the CA clients trust, and HAProxy's certificate with its key for ``address``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, request, cert = (directory / name for name in ("ca.key", "ca.pem", "lb.key", "lb.csr", "lb.crt"))
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", DAYS,
             "-subj", "/CN=Renkei rehearsal CA", "-keyout", str(ca_key), "-out", str(ca))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", f"/CN={address}", "-keyout", str(key), "-out", str(request))
    extensions = directory / "lb.ext"
    extensions.write_text(f"subjectAltName = IP:{address}\nextendedKeyUsage = serverAuth\n")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
             "-days", DAYS, "-extfile", str(extensions), "-out", str(cert))
    bundle = directory / "lb.pem"
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    bundle.chmod(0o600)
    return ca, bundle
