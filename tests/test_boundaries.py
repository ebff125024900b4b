"""Only the gRPC edge imports generated code (style.md, pattern 1)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from gate_service.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]
# The servicer modules come from the one table of services: each implements a generated
# servicer base. The table itself holds the generated descriptors, stubs and registrations.
SERVICERS = {
    Path(inspect.getfile(service.servicer)).resolve().relative_to(ROOT).as_posix()
    for service in SERVICES
}
EDGE = {
    "gate_service/services.py",
    *SERVICERS,
    "bridge/chat.py",
    "bridge/messages.py",
    "bridge/completions.py",
    "bridge/catalog.py",
    "bridge/vault.py",
    "bridge/usage.py",
    "bridge/analytics.py",
    "bridge/embeddings.py",
    "bridge/audio.py",
    "bridge/images.py",
    "bridge/media.py",
    "bridge/responses_api.py",
    "bridge/alias_admin.py",
    "bridge/prompts.py",
    "bridge/client_aliases.py",
    "bridge/invites.py",
    # The console calls the core as the API routes do.
    "bridge/console/core_calls.py",
    "bridge/console/data_calls.py",
    "bridge/console/ops_calls.py",
    "bridge/console/invite_calls.py",
    # The document's shapes are read from the proto descriptors.
    "bridge/openapi_views.py",
    "bridge/openapi_operations.py",
}
EDGE_DIRS = ("gate_service/proto_convert/",)


def _imports_generated(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spidergate"):
            return True
        if isinstance(node, ast.Import) and any(
            a.name.startswith("spidergate") for a in node.names
        ):
            return True
    return False


def test_only_the_edge_imports_generated_code() -> None:
    offenders = []
    for folder in ("gate_service", "bridge", "mock_provider"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in EDGE or rel.startswith(EDGE_DIRS):
                continue
            if _imports_generated(path):
                offenders.append(rel)
    assert not offenders, f"generated code imported outside the gRPC edge: {offenders}"
