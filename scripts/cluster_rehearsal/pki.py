"""A certificate authority of the rehearsal's own and the certificates it signs (Debian's openssl)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

DAYS = "30"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make(directory: Path, address: str) -> tuple[Path, Path]:
    """(ca.pem, lb.pem): the CA clients trust, and HAProxy's certificate with its key for ``address``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", DAYS,
             "-subj", "/CN=Renkei rehearsal CA", "-keyout", str(ca_key), "-out", str(ca))
    cert, key = issue(directory, "lb", address, [address], usage="serverAuth")
    bundle = directory / "lb.pem"
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    bundle.chmod(0o600)
    return ca, bundle


def issue(directory: Path, name: str, common_name: str, addresses: list[str], usage: str,
          owner: str | None = None) -> tuple[Path, Path]:
    """(NAME.crt, NAME.key) signed by the CA of ``directory``, valid for ``addresses``; the key readable by ``owner`` only."""
    key, request, cert, extensions = (directory / f"{name}.{suffix}" for suffix in ("key", "csr", "crt", "ext"))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", f"/CN={common_name}", "-keyout", str(key), "-out", str(request))
    names = ", ".join(f"IP:{a}, DNS:{a}" for a in addresses)  # pgBackRest 2.45 matches an address among the DNS names
    extensions.write_text(f"subjectAltName = {names}\nextendedKeyUsage = {usage}\n")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(directory / "ca.pem"), "-CAkey", str(directory / "ca.key"),
             "-CAcreateserial", "-days", DAYS, "-extfile", str(extensions), "-out", str(cert))
    key.chmod(0o600)
    if owner:
        shutil.chown(key, owner, owner)
    return cert, key
