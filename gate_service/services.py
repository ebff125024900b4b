"""The one table of the core's gRPC services: every list of services is read from here.

``SERVICES`` holds, for each service, its proto descriptor, the servicer class that
implements it, the generated stub and registration function, and the attribute the
bridge calls it by (``core.chat``, ``core.vault``...). The gRPC server registers from it
(plus health and reflection names), the in-process channel builds its stubs from its
descriptors, the bridge's network client builds its stubs and pool stand-ins from it,
and the boundary and reachability tests walk it. Adding a service means one entry here
and one typed attribute on ``CoreStubs`` (``tests/test_services.py`` checks the two
agree), besides its proto, servicer and bridge handler.

Each entry is generic in its servicer type, so mypy checks that the servicer class is one
that its registration function accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor, ServiceDescriptor

from gate_service.servicers.alias_admin import AliasAdminServicer
from gate_service.servicers.audio import AudioServicer
from gate_service.servicers.auth import AuthServicer
from gate_service.servicers.catalog import CatalogServicer
from gate_service.servicers.chat import ChatServicer, StreamServicer
from gate_service.servicers.client_aliases import ClientAliasServicer
from gate_service.servicers.embeddings import EmbeddingsServicer
from gate_service.servicers.images import ImagesServicer
from gate_service.servicers.invites import InviteServicer
from gate_service.servicers.media import MediaServicer
from gate_service.servicers.moderations import ModerationsServicer
from gate_service.servicers.prompts import PromptServicer
from gate_service.servicers.responses import ResponsesServicer
from gate_service.servicers.usage import UsageServicer
from gate_service.servicers.vault import VaultServicer
from spidergate.v1 import (
    alias_admin_pb2,
    alias_admin_pb2_grpc,
    audio_pb2,
    audio_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    client_aliases_pb2,
    client_aliases_pb2_grpc,
    embeddings_pb2,
    embeddings_pb2_grpc,
    images_pb2,
    images_pb2_grpc,
    invites_pb2,
    invites_pb2_grpc,
    media_pb2,
    media_pb2_grpc,
    moderations_pb2,
    moderations_pb2_grpc,
    prompts_pb2,
    prompts_pb2_grpc,
    responses_pb2,
    responses_pb2_grpc,
    stream_pb2,
    stream_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
    vault_pb2,
    vault_pb2_grpc,
)

if TYPE_CHECKING:
    from gate_service.core import Core

S = TypeVar("S")


@dataclass(frozen=True)
class ServiceDef(Generic[S]):
    """One gRPC service of the core, as the server, the in-process channel and the
    bridge need it."""

    attribute: str
    """The bridge's name for it: ``CoreClient.chat``, ``LocalCoreClient.chat``."""
    descriptor: ServiceDescriptor
    servicer: Callable[[Core], S]
    register: Callable[[S, grpc.aio.Server], None]
    """The generated ``add_*Servicer_to_server``."""
    stub: Callable[[grpc.aio.Channel], Any]
    """The generated ``*Stub`` (over an aio channel its methods are the aio ones)."""

    @property
    def name(self) -> str:
        """The full service name (``spidergate.v1.ChatService``): reflection, health."""
        return self.descriptor.full_name

    @property
    def methods(self) -> tuple[MethodDescriptor, ...]:
        return tuple(self.descriptor.methods)


def _service(file: FileDescriptor, name: str) -> ServiceDescriptor:
    return file.services_by_name[name]


SERVICES: tuple[ServiceDef[Any], ...] = (
    ServiceDef(
        "chat",
        _service(chat_pb2.DESCRIPTOR, "ChatService"),
        ChatServicer,
        chat_pb2_grpc.add_ChatServiceServicer_to_server,
        chat_pb2_grpc.ChatServiceStub,
    ),
    ServiceDef(
        "stream",
        _service(stream_pb2.DESCRIPTOR, "StreamService"),
        StreamServicer,
        stream_pb2_grpc.add_StreamServiceServicer_to_server,
        stream_pb2_grpc.StreamServiceStub,
    ),
    ServiceDef(
        "catalog",
        _service(catalog_pb2.DESCRIPTOR, "CatalogService"),
        CatalogServicer,
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
        catalog_pb2_grpc.CatalogServiceStub,
    ),
    ServiceDef(
        "auth",
        _service(auth_pb2.DESCRIPTOR, "AuthService"),
        AuthServicer,
        auth_pb2_grpc.add_AuthServiceServicer_to_server,
        auth_pb2_grpc.AuthServiceStub,
    ),
    ServiceDef(
        "vault",
        _service(vault_pb2.DESCRIPTOR, "VaultService"),
        VaultServicer,
        vault_pb2_grpc.add_VaultServiceServicer_to_server,
        vault_pb2_grpc.VaultServiceStub,
    ),
    ServiceDef(
        "usage",
        _service(usage_pb2.DESCRIPTOR, "UsageService"),
        UsageServicer,
        usage_pb2_grpc.add_UsageServiceServicer_to_server,
        usage_pb2_grpc.UsageServiceStub,
    ),
    ServiceDef(
        "embeddings",
        _service(embeddings_pb2.DESCRIPTOR, "EmbeddingsService"),
        EmbeddingsServicer,
        embeddings_pb2_grpc.add_EmbeddingsServiceServicer_to_server,
        embeddings_pb2_grpc.EmbeddingsServiceStub,
    ),
    ServiceDef(
        "images",
        _service(images_pb2.DESCRIPTOR, "ImagesService"),
        ImagesServicer,
        images_pb2_grpc.add_ImagesServiceServicer_to_server,
        images_pb2_grpc.ImagesServiceStub,
    ),
    ServiceDef(
        "moderations",
        _service(moderations_pb2.DESCRIPTOR, "ModerationsService"),
        ModerationsServicer,
        moderations_pb2_grpc.add_ModerationsServiceServicer_to_server,
        moderations_pb2_grpc.ModerationsServiceStub,
    ),
    ServiceDef(
        "media",
        _service(media_pb2.DESCRIPTOR, "MediaService"),
        MediaServicer,
        media_pb2_grpc.add_MediaServiceServicer_to_server,
        media_pb2_grpc.MediaServiceStub,
    ),
    ServiceDef(
        "audio",
        _service(audio_pb2.DESCRIPTOR, "AudioService"),
        AudioServicer,
        audio_pb2_grpc.add_AudioServiceServicer_to_server,
        audio_pb2_grpc.AudioServiceStub,
    ),
    ServiceDef(
        "responses",
        _service(responses_pb2.DESCRIPTOR, "ResponsesService"),
        ResponsesServicer,
        responses_pb2_grpc.add_ResponsesServiceServicer_to_server,
        responses_pb2_grpc.ResponsesServiceStub,
    ),
    ServiceDef(
        "alias_admin",
        _service(alias_admin_pb2.DESCRIPTOR, "AliasAdminService"),
        AliasAdminServicer,
        alias_admin_pb2_grpc.add_AliasAdminServiceServicer_to_server,
        alias_admin_pb2_grpc.AliasAdminServiceStub,
    ),
    ServiceDef(
        "prompts",
        _service(prompts_pb2.DESCRIPTOR, "PromptService"),
        PromptServicer,
        prompts_pb2_grpc.add_PromptServiceServicer_to_server,
        prompts_pb2_grpc.PromptServiceStub,
    ),
    ServiceDef(
        "client_aliases",
        _service(client_aliases_pb2.DESCRIPTOR, "ClientAliasService"),
        ClientAliasServicer,
        client_aliases_pb2_grpc.add_ClientAliasServiceServicer_to_server,
        client_aliases_pb2_grpc.ClientAliasServiceStub,
    ),
    ServiceDef(
        "invites",
        _service(invites_pb2.DESCRIPTOR, "InviteService"),
        InviteServicer,
        invites_pb2_grpc.add_InviteServiceServicer_to_server,
        invites_pb2_grpc.InviteServiceStub,
    ),
)

SERVICE_NAMES: tuple[str, ...] = tuple(service.name for service in SERVICES)


class CoreStubs:
    """The core's services as the bridge calls them, one attribute per ``SERVICES``
    entry, typed by its generated async stub so mypy checks every call's request and
    reply types. The network client, the pooled client and the in-process client all
    inherit these declarations and fill them from the table; the stand-ins they use for
    several cores or for the in-process channel have the same methods."""

    chat: chat_pb2_grpc.ChatServiceAsyncStub
    stream: stream_pb2_grpc.StreamServiceAsyncStub
    catalog: catalog_pb2_grpc.CatalogServiceAsyncStub
    auth: auth_pb2_grpc.AuthServiceAsyncStub
    vault: vault_pb2_grpc.VaultServiceAsyncStub
    usage: usage_pb2_grpc.UsageServiceAsyncStub
    embeddings: embeddings_pb2_grpc.EmbeddingsServiceAsyncStub
    images: images_pb2_grpc.ImagesServiceAsyncStub
    moderations: moderations_pb2_grpc.ModerationsServiceAsyncStub
    media: media_pb2_grpc.MediaServiceAsyncStub
    audio: audio_pb2_grpc.AudioServiceAsyncStub
    responses: responses_pb2_grpc.ResponsesServiceAsyncStub
    alias_admin: alias_admin_pb2_grpc.AliasAdminServiceAsyncStub
    prompts: prompts_pb2_grpc.PromptServiceAsyncStub
    client_aliases: client_aliases_pb2_grpc.ClientAliasServiceAsyncStub
    invites: invites_pb2_grpc.InviteServiceAsyncStub
