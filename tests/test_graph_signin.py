"""Real azure-identity sign-ins (secret, certificate, workload identity federation) against a fake Entra ID.

The whole chain runs: tenantctl picks the credential from the AZURE_* variables, azure-identity
fetches the OpenID configuration and a token over TLS from tests/fakeentra.py, and the token is
then accepted by the fake Graph service, which tenantctl reads to plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import fake_jwt, spec_for_tenant
from fakeentra import FakeEntra, self_signed

CLIENT_ID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
SECRET = "s3cret-value-for-the-fake-entra"


@pytest.fixture
def signin(tmp_path_factory: pytest.TempPathFactory, graph_tenant):  # type: ignore[no-untyped-def]
    """A fake Graph tenant (contoso) and a fake Entra ID that knows the app's credentials."""
    folder = tmp_path_factory.mktemp("entra")
    g = graph_tenant("contoso")
    _, client_pem, client_cert = self_signed(folder, "app")
    federated = folder / "federated-token"
    federated.write_text("eyJ.workload-identity-token.sig")
    entra = FakeEntra(
        folder,
        g.tenant_id,
        CLIENT_ID,
        fake_jwt(g.tenant_id),
        secret=SECRET,
        certificate=client_cert,
        federated=federated.read_text(),
    )
    entra.start()
    env = {
        "TENANTCTL_GRAPH_URL": g.env["TENANTCTL_GRAPH_URL"],
        "AZURE_AUTHORITY_HOST": entra.authority,
        "REQUESTS_CA_BUNDLE": str(entra.ca),
        "AZURE_CLIENT_ID": CLIENT_ID,
    }
    yield (
        g,
        entra,
        env,
        {
            "secret": {"AZURE_CLIENT_SECRET": SECRET},
            "certificate": {"AZURE_CLIENT_CERTIFICATE_PATH": str(client_pem)},
            "federation": {"AZURE_FEDERATED_TOKEN_FILE": str(federated)},
        },
    )
    entra.stop()


@pytest.mark.parametrize("kind", ["secret", "certificate", "federation"])
def test_each_credential_signs_in_and_reads_the_tenant(cli, signin, workdir: Path, kind: str) -> None:
    g, entra, env, credentials = signin
    spec = spec_for_tenant("contoso", g.tenant_id, workdir)
    r = cli("plan", spec, "--provider", "graph", env={**env, **credentials[kind]})
    assert r.code == 0, r.err
    assert "Plan:" in r.out
    assert len(entra.grants) == 1, "one token, cached for the whole run"
    grant = entra.grants[0]
    assert grant["scope"] == g.env["TENANTCTL_GRAPH_URL"].rsplit("/", 1)[0] + "/.default"
    assert ("client_secret" in grant) == (kind == "secret")
    assert any(r.path.endswith("/subscribedSkus") for r in g.fake.requests)


def test_a_wrong_secret_fails_clearly_and_never_shows_it(cli, signin, workdir: Path) -> None:
    g, _entra, env, _ = signin
    spec = spec_for_tenant("contoso", g.tenant_id, workdir)
    r = cli("plan", spec, "--provider", "graph", env={**env, "AZURE_CLIENT_SECRET": "not-the-secret-4242"})
    assert r.code == 1
    assert "could not sign in to Microsoft Entra ID with a client secret (AZURE_CLIENT_SECRET)" in r.err
    assert "not-the-secret-4242" not in r.out + r.err
    assert not g.fake.requests, "nothing is read without a token"


def test_a_certificate_the_app_does_not_have_is_refused(cli, signin, workdir: Path, tmp_path_factory) -> None:
    g, _entra, env, _ = signin
    _, other, _ = self_signed(tmp_path_factory.mktemp("other"), "intruder")
    spec = spec_for_tenant("contoso", g.tenant_id, workdir)
    r = cli("plan", spec, "--provider", "graph", env={**env, "AZURE_CLIENT_CERTIFICATE_PATH": str(other)})
    assert r.code == 1 and "could not sign in" in r.err
