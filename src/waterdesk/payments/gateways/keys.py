"""Public keys the gateways sign with, read once per path from the configured PEM files."""

from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from cryptography.x509 import load_pem_x509_certificate

from waterdesk.payments.gateways import VerificationFailed


@lru_cache(maxsize=8)
def _load(path: str, modified: float) -> RSAPublicKey:
    data = Path(path).read_bytes()
    if b"BEGIN CERTIFICATE" in data:  # a platform certificate: its public key
        key = load_pem_x509_certificate(data).public_key()
    else:
        key = load_pem_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise VerificationFailed(f"{path} does not hold an RSA public key")
    return key


def public_key_from(path: str) -> RSAPublicKey:
    """The RSA public key in the PEM file at ``path`` (a public key or a certificate);
    a changed file is read again. No path configured: every notification is refused."""
    if not path:
        raise VerificationFailed("no public key configured for this gateway")
    try:
        modified = Path(path).stat().st_mtime
    except OSError as exc:
        raise VerificationFailed(f"cannot read the public key at {path}") from exc
    return _load(path, modified)
