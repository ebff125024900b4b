"""The Kubernetes manifests (deploy/kubernetes) are valid for the Kubernetes versions we
state, offline, against the schemas the ``kubernetes-validate`` package ships, and keep
the promises docs/deploy.md makes: probes where the processes answer them, a drain
(``--drain-delay``) inside the grace period, PodDisruptionBudgets and Services that select the pods,
one image tag, non-root containers with resources, and a bridge pointed at every core.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bridge.app import UNBOUNDED_PATHS
from bridge.core_client import HEALTH_SERVICE

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
# The oldest version we support (gRPC probes are GA since 1.27, policy/v1 PDBs since
# 1.21) and the newest whose schemas the package ships.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
# What the servers add to --shutdown-grace before they stop (gate_service/cli/serve.py).
LAST_WORDS_S = 3


def _documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


DOCUMENTS = list(_documents())


def _kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in DOCUMENTS if d["kind"] == kind]


def _deployment(component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in _kind("Deployment")
        if d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    return found


def _container(component: str) -> dict[str, Any]:
    (container,) = _deployment(component)["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = container
    return result


def _arg(container: dict[str, Any], flag: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith(flag + "=")]
    return value


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: validation must use the schemas bundled with the package."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("kubernetes-validate tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("name", "document"), DOCUMENTS, ids=lambda v: str(v)[:40])
def test_valid_against_the_kubernetes_schemas(
    offline: None, version: str, name: str, document: dict[str, Any]
) -> None:
    # strict: an unknown field (a typo) is an error, not silently dropped by the API.
    kubernetes_validate.validate(document, version, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    files = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"secret.example.yaml"}


def test_one_image_at_the_project_version() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (image,) = kustomization["images"]
    assert image["newTag"] == project["version"]
    images = {
        c["image"] for d in _kind("Deployment") for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {image["name"]}


def test_probes_ask_what_the_processes_answer() -> None:
    core = _container("core")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert core[probe]["grpc"] == {"port": 50051, "service": HEALTH_SERVICE}
    assert _arg(core, "--grpc-port") == "50051"
    bridge = _container("bridge")
    # Readiness turns false at SIGTERM (bridge/readiness.py); liveness never does.
    assert bridge["readinessProbe"]["httpGet"]["path"] == "/api/gate/v1/ready"
    assert bridge["livenessProbe"]["httpGet"]["path"] == "/metrics"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        # Never refused by load shedding (bridge/app.py).
        assert bridge[probe]["httpGet"]["path"] in UNBOUNDED_PATHS
        assert bridge[probe]["httpGet"]["port"] == "http"
    assert _arg(bridge, "--port") == "8080"


@pytest.mark.parametrize("component", ["core", "bridge"])
def test_the_drain_fits_in_the_grace_period(component: str) -> None:
    pod = _deployment(component)["spec"]["template"]["spec"]
    container = _container(component)
    # A preStop sleep, if any, comes before SIGTERM and so before the process's own drain.
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    pre_stop = float(command[1]) if command and command[0] == "sleep" else 0.0
    # Serving while not ready long enough for the endpoints to drop the pod.
    unready = pre_stop + float(_arg(container, "--drain-delay"))
    assert unready >= 5
    drain = unready + float(_arg(container, "--shutdown-grace")) + LAST_WORDS_S
    assert pod["terminationGracePeriodSeconds"] > drain


@pytest.mark.parametrize("component", ["core", "bridge"])
def test_budgets_and_services_select_the_pods(component: str) -> None:
    labels = _deployment(component)["spec"]["template"]["metadata"]["labels"]
    (budget,) = [
        p
        for p in _kind("PodDisruptionBudget")
        if _selects(p["spec"]["selector"]["matchLabels"], labels)
    ]
    assert budget["spec"]["maxUnavailable"] == 1
    assert _deployment(component)["spec"]["replicas"] >= 2
    services = [s for s in _kind("Service") if _selects(s["spec"]["selector"], labels)]
    assert len(services) == 1
    # Selecting only its own component's pods.
    other = "bridge" if component == "core" else "core"
    other_labels = _deployment(other)["spec"]["template"]["metadata"]["labels"]
    assert not _selects(services[0]["spec"]["selector"], other_labels)
    assert not _selects(budget["spec"]["selector"]["matchLabels"], other_labels)


def test_the_bridge_balances_over_every_core_through_a_headless_service() -> None:
    (core_service,) = [s for s in _kind("Service") if s["metadata"]["name"] == "spidergate-core"]
    assert core_service["spec"]["clusterIP"] == "None"
    (port,) = core_service["spec"]["ports"]
    target = _arg(_container("bridge"), "--core")
    assert target == f"dns:///{core_service['metadata']['name']}:{port['port']}"


@pytest.mark.parametrize("component", ["core", "bridge"])
def test_non_root_with_resources_and_the_shared_configuration(component: str) -> None:
    pod = _deployment(component)["spec"]["template"]["spec"]
    container = _container(component)
    assert pod["enableServiceLinks"] is False  # no SPIDERGATE_* variables from Services
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound])
    (config_map,) = _kind("ConfigMap")
    (secret,) = _kind("Secret")
    sources = container["envFrom"]
    assert {"configMapRef": {"name": config_map["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in sources


def test_secrets_live_only_in_the_secret() -> None:
    (secret,) = _kind("Secret")
    (config_map,) = _kind("ConfigMap")
    assert set(secret["stringData"]) == {
        "DATABASE_URL",
        "REDIS_URL",
        "SPIDERGATE_VAULT_KEYS",
        "SPIDERGATE_OPERATOR_TOKEN",
    }
    assert not set(secret["stringData"]) & set(config_map["data"])
    for _, document in DOCUMENTS:
        if document["kind"] == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                assert "env" not in container  # everything through envFrom
