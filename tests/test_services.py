"""The one table of services (gate_service/services.py) is complete and consistent: every
service in the protos has an entry, every entry's pieces belong to the same service, and
the bridge's typed attributes (``CoreStubs``) are exactly the table's.

That every RPC then answers, in-process and over the network, is
tests/e2e/grpc_api/test_reachable.py."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import grpc

from bridge.core_client import CoreClient
from gate_service.services import SERVICE_NAMES, SERVICES, CoreStubs

ROOT = Path(__file__).resolve().parents[1]


def _proto_services() -> set[str]:
    """Every service declared in the generated modules (one per .proto file)."""
    names = set()
    for path in (ROOT / "spidergate" / "v1").glob("*_pb2.py"):
        module = importlib.import_module(f"spidergate.v1.{path.stem}")
        names |= {s.full_name for s in module.DESCRIPTOR.services_by_name.values()}
    return names


def test_every_proto_service_has_an_entry() -> None:
    assert set(SERVICE_NAMES) == _proto_services()
    assert len(SERVICE_NAMES) == len(set(SERVICE_NAMES))


def test_core_stubs_declares_one_typed_attribute_per_entry() -> None:
    attributes = [s.attribute for s in SERVICES]
    assert len(attributes) == len(set(attributes))
    declared = dict(inspect.get_annotations(CoreStubs))
    assert set(declared) == set(attributes)
    for service in SERVICES:
        # The annotation is the generated async stub of the same service.
        assert str(declared[service.attribute]).endswith(f".{service.descriptor.name}AsyncStub")


def test_each_entry_holds_one_service() -> None:
    for service in SERVICES:
        name = service.descriptor.name
        assert getattr(service.stub, "__name__", "") == f"{name}Stub"
        assert getattr(service.register, "__name__", "") == f"add_{name}Servicer_to_server"
        servicer = service.servicer
        assert isinstance(servicer, type)
        base = getattr(importlib.import_module(service.stub.__module__), f"{name}Servicer")
        assert issubclass(servicer, base)


def test_every_method_is_implemented_not_inherited() -> None:
    # The generated base answers UNIMPLEMENTED: a method left to it is a hole.
    for service in SERVICES:
        servicer = service.servicer
        assert isinstance(servicer, type)
        for method in service.methods:
            own = next(k for k in servicer.__mro__ if method.name in vars(k))
            assert not own.__module__.startswith("spidergate."), (
                f"{service.name}/{method.name} is not implemented by {servicer.__name__}"
            )


async def test_the_bridge_client_holds_every_stub_with_methods_of_the_right_kind() -> None:
    client = CoreClient("127.0.0.1:9")  # never connected
    try:
        for service in SERVICES:
            stub = getattr(client, service.attribute)
            assert type(stub) is service.stub, service.name
            for method in service.methods:
                kind: type[Any] = grpc.aio.UnaryUnaryMultiCallable
                if method.server_streaming:
                    kind = grpc.aio.UnaryStreamMultiCallable
                elif method.client_streaming:
                    kind = grpc.aio.StreamUnaryMultiCallable
                assert isinstance(getattr(stub, method.name), kind), method.full_name
    finally:
        await client.close()
