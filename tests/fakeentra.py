"""A fake Microsoft Entra ID token service over TLS on 127.0.0.1, for azure-identity's real sign-in flows.

It serves the OpenID configuration and the v2.0 token endpoint for the client-credentials grant,
and checks each credential the way Entra does in substance: the client secret must match, a
certificate's client assertion must carry a valid RS256 signature by the registered certificate,
and a federated assertion must be exactly the workload's token. It issues a JWT-shaped access
token naming the tenant, which the fake Graph service accepts.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

FEDERATED_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def self_signed(folder: Path, name: str, ip: str | None = None) -> tuple[Path, Path, x509.Certificate]:
    """(certificate PEM, key+certificate PEM, certificate): a TLS server's when `ip` is given, else a client's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        ).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    (folder / f"{name}.crt").write_bytes(cert_pem)
    (folder / f"{name}.pem").write_bytes(key_pem + cert_pem)
    return folder / f"{name}.crt", folder / f"{name}.pem", cert


def _b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass
class FakeEntra:
    """One tenant's token endpoint; `secret`, `certificate` and `federated` are the app's registered credentials."""

    folder: Path
    tenant_id: str
    client_id: str
    access_token: str
    secret: str | None = None
    certificate: x509.Certificate | None = None
    federated: str | None = None
    grants: list[dict[str, str]] = field(default_factory=list)  # every token request's form fields

    def start(self) -> str:
        """Serve over TLS; returns the authority URL. Its CA file is `self.ca`."""
        self.ca, key, _ = self_signed(self.folder, "entra-tls", "127.0.0.1")
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                fake._answer(self, *fake._configuration(self.path))

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                fake._answer(self, *fake._token(self.path, {k: v[0] for k, v in form.items()}))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()  # stops in 50 ms
        self.authority = f"https://127.0.0.1:{self._server.server_address[1]}"
        return self.authority

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def _configuration(self, path: str) -> tuple[int, dict[str, Any]]:
        if path != f"/{self.tenant_id}/v2.0/.well-known/openid-configuration":
            return 404, {"error": "invalid_tenant"}
        base = f"{self.authority}/{self.tenant_id}"
        return 200, {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        }

    def _token(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.grants.append(form)
        if path != f"/{self.tenant_id}/oauth2/v2.0/token" or form.get("grant_type") != "client_credentials":
            return 400, {"error": "invalid_request"}
        if form.get("client_id") != self.client_id or not form.get("scope", "").endswith("/.default"):
            return 400, {"error": "invalid_client", "error_description": "AADSTS700016: application not found"}
        if not self._credential_ok(form):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": self.access_token}

    def _credential_ok(self, form: dict[str, str]) -> bool:
        if "client_secret" in form:
            return self.secret is not None and form["client_secret"] == self.secret
        assertion = form.get("client_assertion", "")
        if form.get("client_assertion_type") != FEDERATED_TYPE or not assertion:
            return False
        if self.federated is not None and assertion == self.federated:
            return True
        return self.certificate is not None and self._signed_by_certificate(assertion)

    def _signed_by_certificate(self, assertion: str) -> bool:
        try:
            head, body, signature = assertion.split(".")
            claims = json.loads(_b64(body))
            self.certificate.public_key().verify(  # type: ignore[union-attr]
                _b64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (ValueError, InvalidSignature):
            return False
        return bool(claims.get("iss") == self.client_id and claims.get("sub") == self.client_id)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
