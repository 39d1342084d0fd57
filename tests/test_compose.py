"""docker-compose.yml, read as data (no Docker engine here): the services, their start order,
pinned images, health checks, winback's settings and the absence of hard-coded secrets."""

from __future__ import annotations

import asyncio
import os
import re
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from winback.binaries import temporal_cli
from winback.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
WINBACK_SERVICES = ("winback-migrate", "winback-worker", "winback-web")
SECRET_WORDS = ("PASSWORD", "PWD", "SECRET", "TOKEN")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on", {})
    assert isinstance(depends, dict), "depends_on must use the long form with conditions"
    return {name: spec["condition"] for name, spec in depends.items()}


def _env_file_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip().lstrip("# ").strip()
        if re.match(r"^[A-Z_]+=", line):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_every_part_of_the_stack_is_a_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {
        "postgresql", "temporal-schema", "temporal", "temporal-create-namespace",
        "temporal-ui", *WINBACK_SERVICES,
    }  # fmt: skip


def test_start_order_uses_health_and_completion(services: dict[str, dict[str, Any]]) -> None:
    assert _conditions(services["temporal-schema"]) == {"postgresql": "service_healthy"}
    assert _conditions(services["temporal"]) == {
        "temporal-schema": "service_completed_successfully"
    }
    assert _conditions(services["temporal-create-namespace"]) == {"temporal": "service_healthy"}
    assert _conditions(services["temporal-ui"]) == {"temporal": "service_healthy"}
    assert _conditions(services["winback-migrate"]) == {"postgresql": "service_healthy"}
    for name in ("winback-worker", "winback-web"):
        assert _conditions(services[name]) == {
            "winback-migrate": "service_completed_successfully",
            "temporal-create-namespace": "service_completed_successfully",
        }
    for name, service in services.items():
        for dependency, condition in _conditions(service).items():
            assert dependency in services, f"{name} waits for unknown {dependency}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in WINBACK_SERVICES:
            assert service["build"]["context"] == "."
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and re.fullmatch(r"\d+(\.\d+){1,2}", tag), f"{name}: {image} unpinned"
    assert "temporalio/auto-setup" not in COMPOSE.read_text()
    base = re.search(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base and re.search(r":\d+\.\d+\.\d+", base.group(1)), "Dockerfile base unpinned"


def test_temporal_runs_on_postgres_with_dynamic_config(
    services: dict[str, dict[str, Any]],
) -> None:
    env = services["temporal"]["environment"]
    assert env["DB"] == "postgres12" and env["POSTGRES_SEEDS"] == "postgresql"
    mount = next(v for v in services["temporal"]["volumes"] if "dynamicconfig" in v)
    host, container = mount.split(":")[:2]
    config_file = ROOT / host / Path(env["DYNAMIC_CONFIG_FILE_PATH"]).name
    assert container == "/etc/temporal/config/dynamicconfig"
    assert isinstance(yaml.safe_load(config_file.read_text()), dict)
    setup = (ROOT / "deploy/temporal/setup-postgres.sh").read_text()
    for step in ("create", "setup-schema", "update-schema"):
        assert setup.count(f'--db "$db" {step}') == 1
    assert "temporal_visibility" in setup
    namespace = (ROOT / "deploy/temporal/create-namespace.sh").read_text()
    assert "temporal operator namespace create" in namespace
    for name in ("temporal-schema", "temporal-create-namespace"):
        for volume in services[name]["volumes"]:
            assert (ROOT / volume.split(":")[0]).is_file(), volume


def test_winback_services_are_configured_by_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    fields = {f"WINBACK_{name.upper()}" for name in Settings.model_fields}
    commands = {name: services[name]["command"] for name in WINBACK_SERVICES}
    assert commands == {
        "winback-migrate": ["migrate"], "winback-worker": ["worker"], "winback-web": ["web"],
    }  # fmt: skip
    assert 'ENTRYPOINT ["winback"]' in (ROOT / "Dockerfile").read_text()
    for name in WINBACK_SERVICES:
        env = services[name]["environment"]
        assert set(env) <= fields, f"{name}: unknown settings {set(env) - fields}"
        assert env["WINBACK_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["WINBACK_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["WINBACK_DATABASE_URL"].endswith("@postgresql:5432/winback")
    example = _env_file_values(ROOT / "deploy/winback.env.example")
    assert example and set(example) <= fields
    web = services["winback-web"]
    assert web["environment"]["WINBACK_WEB_HOST"] == "0.0.0.0"
    assert any(port.endswith(":8000") for port in web["ports"])
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert any(port.endswith(":8080") for port in services["temporal-ui"]["ports"])


def test_no_secret_is_written_into_the_compose_file(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), f"{name}.{key}"
        url = (service.get("environment") or {}).get("WINBACK_DATABASE_URL", "")
        assert "${POSTGRES_PASSWORD" in url or not url
    dev = _env_file_values(ROOT / "deploy/dev.env")
    assert dev["POSTGRES_PASSWORD"] not in COMPOSE.read_text()
    assert "deploy/dev.env" in (ROOT / "docs/deployment.md").read_text()
    assert (ROOT / "deploy/.gitignore").read_text().split() == ["winback.env"]


def test_image_copies_every_installed_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, f"Dockerfile misses {package}/"
    assert 'pip install ".${WINBACK_EXTRAS:+[$WINBACK_EXTRAS]}"' in dockerfile


def test_the_image_extras_exist_and_compose_passes_them() -> None:
    """The default image serves distilled-route models (tokenizers); a build arg can add the
    torch extra, and compose forwards both build args from the environment."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = extras["optional-dependencies"]
    default = re.search(r"^ARG WINBACK_EXTRAS=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert default and default.group(1) == "embeddings"
    assert any(r.startswith("tokenizers") for r in extras["embeddings"])
    assert any(r.startswith("torch") for r in extras["embeddings-train"])
    build = yaml.safe_load(COMPOSE.read_text())["x-winback"]["build"]
    assert build["args"] == {
        "WINBACK_EXTRAS": "${WINBACK_EXTRAS:-embeddings}",
        "TORCH_PIP_ARGS": "${TORCH_PIP_ARGS:-}",
    }


async def test_namespace_script_creates_once_on_a_real_server(
    temporal_env: WorkflowEnvironment,
) -> None:
    """deploy/temporal/create-namespace.sh with the same `temporal` CLI admin-tools ships."""
    namespace = f"compose-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": f"{temporal_cli().parent}:{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "NAMESPACE": namespace,
        "NAMESPACE_RETENTION": "1d",
    }
    script = str(ROOT / "deploy/temporal/create-namespace.sh")
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            "sh", script, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, output.decode()
        outputs.append(output.decode())
    assert f"namespace {namespace} created" in outputs[0]
    assert f"namespace {namespace} exists" in outputs[1]
    described = await temporal_env.client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToSeconds() == 86400
