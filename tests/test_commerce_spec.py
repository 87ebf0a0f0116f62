"""`metadata.commerce` and `spec.offers` (issue 16): what a valid spec holds, and how it is written back."""

from __future__ import annotations

from reconciler.domain.canonical import spec_to_dict
from reconciler.domain.commerce import PARTNER_CENTER, Commerce
from reconciler.spec.loader import spec_from_document
from reconciler.spec.yamlload import load_bytes

TENANT = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


def load(text: str) -> object:
    return spec_from_document(load_bytes(text.encode(), "t.yaml"))


def test_a_partner_center_spec_maps_each_sku_to_its_product() -> None:
    spec = load(
        f"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {{name: f, tenantId: {TENANT}, commerce: {{channel: "
        "partnerCenter}}\nspec:\n  agreement: NCE\n  offers: {MCOPSTN1: 'cfq7ttc0lhxj:0017'}\n"
        "  subscriptions:\n    - {sku: SPE_E3, seats: 2}\n    - {sku: MCOPSTN1, seats: 1}\n"
    )
    commerce = spec.commerce  # type: ignore[attr-defined]
    assert commerce.channel == PARTNER_CENTER and commerce.automated
    assert commerce.offer("SPE_E3") == "CFQ7TTC0LFLX:0001"  # shipped, from Microsoft's price list announcement
    assert commerce.offer("MCOPSTN1") == "CFQ7TTC0LHXJ:0017"  # declared (upper-cased)
    assert commerce.sku_of("CFQ7TTC0LFLX:0001:CFQ7TTC0ABCD") == "SPE_E3"  # an offerId with its availability
    assert commerce.sku_of("CFQ7TTC0AAAA:0001:X") is None  # unmapped: read, left unmanaged
    written = spec_to_dict(spec)  # type: ignore[arg-type]
    assert written["metadata"]["commerce"] == {"channel": "partnerCenter"}
    assert written["spec"]["offers"] == {"MCOPSTN1": "CFQ7TTC0LHXJ:0017"}


def test_a_declared_offer_overrides_the_shipped_one_and_manual_writes_nothing() -> None:
    commerce = Commerce(PARTNER_CENTER, offers={"SPE_E3": "CFQ7TTC0XXXX:0009"})
    assert commerce.offer("SPE_E3") == "CFQ7TTC0XXXX:0009" and commerce.sku_of("CFQ7TTC0LFLX:0001") is None
    manual = load("apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: m}\nspec:\n  agreement: MOSA\n")
    assert not manual.commerce.automated  # type: ignore[attr-defined]
    assert "commerce" not in spec_to_dict(manual)["metadata"]  # type: ignore[arg-type]
