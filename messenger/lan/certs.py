"""A small local certificate authority kept in the data dir, and a server certificate for every LAN
address of this PC, its host name and its mDNS name — so browsers on the LAN get a secure origin
(desktop notifications, clipboard) once they trust the CA.

Files (``<data dir>/tls/``): ``ca.crt``, ``ca.key`` (owner-only), ``server.crt``, ``server.key``
(owner-only). The server certificate is re-issued when it expires within ``RENEW_DAYS`` or when the
PC's addresses changed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from messenger.netinfo import MDNS_HOST, lan_ipv4_addresses

CA_DAYS = 3650
SERVER_DAYS = 397  # browsers refuse server certificates valid for longer
RENEW_DAYS = 30
WARN_DAYS = 14


@dataclass(frozen=True)
class CertPaths:
    dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.dir / "server.key"


@dataclass(frozen=True)
class CertStatus:
    exists: bool
    not_after: dt.datetime | None
    days_left: int | None
    names: tuple[str, ...]
    needs_renewal: bool
    warn: bool


def cert_paths(data_dir: Path) -> CertPaths:
    return CertPaths(Path(data_dir) / "tls")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    if sys.platform != "win32":
        os.chmod(path, 0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def wanted_names(extra_ips: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the server certificate must cover."""
    host = socket.gethostname().split(".")[0] or "localhost"
    dns = sorted({"localhost", host, f"{host}.local", MDNS_HOST})
    ips = sorted({"127.0.0.1", *lan_ipv4_addresses(), *(extra_ips or [])})
    return dns, ips


def ensure_ca(paths: CertPaths) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Load the local CA, creating it on first use."""
    paths.dir.mkdir(parents=True, exist_ok=True)
    if paths.ca_cert.exists() and paths.ca_key.exists():
        cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname().split(".")[0] or "PC"
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Intranet Messenger"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Intranet Messenger local CA ({host})"),
    ])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(paths.ca_key, _key_pem(key))
    paths.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _cert_names(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(v) for v in san.get_values_for_type(x509.DNSName)} | {
        str(v) for v in san.get_values_for_type(x509.IPAddress)
    }


def status(data_dir: Path, extra_ips: list[str] | None = None) -> CertStatus:
    """The server certificate's state: days left, names, whether it must be re-issued or warned about."""
    paths = cert_paths(data_dir)
    if not paths.server_cert.exists() or not paths.server_key.exists():
        return CertStatus(False, None, None, (), True, False)
    cert = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    not_after = cert.not_valid_after_utc
    days_left = (not_after - _now()).days
    dns, ips = wanted_names(extra_ips)
    names = _cert_names(cert)
    missing = not set(dns + ips) <= names
    return CertStatus(True, not_after, days_left, tuple(sorted(names)), days_left < RENEW_DAYS or missing,
                      days_left <= WARN_DAYS)


def ensure_server_cert(data_dir: Path, extra_ips: list[str] | None = None, force: bool = False) -> CertPaths:
    """A valid server certificate for every current name and address; issued or renewed as needed."""
    paths = cert_paths(data_dir)
    ca_cert, ca_key = ensure_ca(paths)
    if not force and not status(data_dir, extra_ips).needs_renewal:
        return paths
    dns, ips = wanted_names(extra_ips)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    san = [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, MDNS_HOST)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(paths.server_key, _key_pem(key))
    paths.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return paths


def ca_fingerprint(data_dir: Path) -> str:
    cert = x509.load_pem_x509_certificate(cert_paths(data_dir).ca_cert.read_bytes())
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
