"""Every embedding model of the catalog is served by a wire format with an embeddings
adapter (else its candidates could only fail)."""

from __future__ import annotations

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.embeddings.call import FORMATS


def test_every_embedding_model_has_an_embeddings_format() -> None:
    catalog = Catalog(load_bundled())
    formats = {p.id: p.api_format for p in catalog.providers}
    models = [m for m in catalog.models if "embeddings" in m.capabilities]
    assert len(models) >= 8
    missing = [(m.provider, m.provider_model) for m in models if formats[m.provider] not in FORMATS]
    assert not missing
    assert all(m.dimensions for m in models)  # the default length `dimensions` is compared to
