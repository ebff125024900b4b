"""ImagesService, ModerationsService and MediaService from a Python gRPC client."""

from __future__ import annotations

import base64

import grpc
import orjson
import pytest

from spidergate.v1 import (
    images_pb2,
    images_pb2_grpc,
    media_pb2,
    media_pb2_grpc,
    moderations_pb2,
    moderations_pb2_grpc,
)
from tests.e2e.grpc_api.support import TIMEOUT, bearer, rich_error
from tests.e2e.test_images_sdk import check_png


def test_create_image(channel: grpc.Channel, token: str) -> None:
    stub = images_pb2_grpc.ImagesServiceStub(channel)
    request = images_pb2.ImageRequest(prompt="grpc spider", response_format="b64_json", n=1)
    answer = stub.CreateImage(
        images_pb2.CreateImageRequest(request=request), metadata=bearer(token), timeout=TIMEOUT
    )
    assert len(answer.data) == 1
    assert check_png(base64.b64decode(answer.data[0].b64_json)) == (16, 16)
    assert answer.metadata.provider == "openai" and answer.metadata.cost_usd == 0.02


def test_create_image_refused_with_a_rich_status(channel: grpc.Channel, token: str) -> None:
    stub = images_pb2_grpc.ImagesServiceStub(channel)
    request = images_pb2.ImageRequest(prompt="x", n=20)
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateImage(
            images_pb2.CreateImageRequest(request=request), metadata=bearer(token), timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail, _ = rich_error(err.value)
    assert detail.param == "n"


def test_create_moderation(channel: grpc.Channel, token: str) -> None:
    stub = moderations_pb2_grpc.ModerationsServiceStub(channel)
    request = moderations_pb2.ModerationRequest(input_json=orjson.dumps(["fine", "hate it"]))
    answer = stub.CreateModeration(
        moderations_pb2.CreateModerationRequest(request=request),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert [r.flagged for r in answer.results] == [False, True]
    assert answer.results[1].categories["hate"] is True
    assert len(answer.results[1].category_scores) == 13
    assert list(answer.results[1].category_applied_input_types["hate"].types) == ["text"]


def test_media_list_and_generate(channel: grpc.Channel, token: str) -> None:
    stub = media_pb2_grpc.MediaServiceStub(channel)
    listed = stub.ListMediaModels(
        media_pb2.ListMediaModelsRequest(modality="tts"), metadata=bearer(token), timeout=TIMEOUT
    )
    assert {m.id for m in listed.models} == {"openai/tts-1", "openai/tts-1-hd"}
    assert listed.models[0].inputs["voice"].type == "enum"
    made = stub.CreateMediaGeneration(
        media_pb2.CreateMediaGenerationRequest(
            model="openai/gpt-image-1",
            params_json=orjson.dumps({"prompt": "grpc", "quality": "high", "seed": 3}),
        ),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert made.model == "openai/gpt-image-1" and len(made.data) == 1
    assert list(made.dropped_params) == ["seed"]
    assert made.est_cost.provider_cost_usd == pytest.approx(4 * 0.042)  # high: 4 base units
