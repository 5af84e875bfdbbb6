"""Fixtures of the files tests: the local upload folder, S3 (moto) and Azure (Azurite).
Sample contents and uploads are in ``tests.factories.files``."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lms.core.config import Settings


def stored_files(settings: Settings) -> set[Path]:
    """Every file under the local upload folder (temporary parts included)."""
    root = Path(settings.upload_dir)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture
def upload_root(settings: Settings) -> Path:
    return Path(settings.upload_dir).resolve()


# --- S3: moto's server mode, in this process, on a free port -------------------------

S3_BUCKET = "lms-test-files"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(moto_endpoint: str) -> Iterator[Any]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=S3_BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=S3_BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=S3_BUCKET, Key=item["Key"])


@pytest.fixture
def on_s3(
    settings: Settings, s3_client: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Switch the running app to the S3 backend (moto) for one test."""
    for name, value in {
        "storage_backend": "s3",
        "s3_bucket": S3_BUCKET,
        "s3_region": "us-east-1",
        "s3_endpoint_url": moto_endpoint,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_part_size_mb": 5,
    }.items():
        monkeypatch.setattr(settings, name, value)
    return s3_client


# --- Azure: the Azurite emulator, installed from tests/files/azurite and started here --

AZURITE_SPEC = Path(__file__).parent / "azurite"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key.
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURE_CONTAINER = "lms-test-files"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _azurite_binary() -> Path:
    """Install the pinned Azurite with npm into a cache folder (once per lock file; a
    file lock keeps concurrent test runs from installing over each other)."""
    lock = (AZURITE_SPEC / "package-lock.json").read_bytes()
    default_cache = Path.home() / ".cache" / "lms-tests"
    cache = Path(os.environ.get("LMS_TEST_AZURITE_DIR", default_cache))
    target = cache / f"azurite-{hashlib.sha256(lock).hexdigest()[:12]}"
    binary = target / "node_modules" / ".bin" / "azurite-blob"
    installed = target / ".installed"
    target.mkdir(parents=True, exist_ok=True)
    with (cache / f"{target.name}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if installed.exists() and binary.exists():
            return binary
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            pytest.fail("The Azure Blob tests need Node.js and npm to run Azurite; install them.")
        shutil.copy(AZURITE_SPEC / "package.json", target / "package.json")
        shutil.copy(AZURITE_SPEC / "package-lock.json", target / "package-lock.json")
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or not binary.exists():
            pytest.fail(f"Could not install Azurite with npm:\n{result.stdout}\n{result.stderr}")
        installed.touch()
    return binary


@pytest.fixture(scope="session")
def azurite_connection_string(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _azurite_binary()
    port = _free_port()
    workdir = tmp_path_factory.mktemp("azurite")
    log_path = workdir / "azurite.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(binary),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--inMemoryPersistence",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--silent",
            ],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Azurite did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def azure_container(azurite_connection_string: str) -> Iterator[Any]:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite_connection_string)
    container = service.get_container_client(AZURE_CONTAINER)
    if not container.exists():
        container.create_container()
    yield container
    for blob in container.list_blobs():
        container.delete_blob(blob.name)
    service.close()


@pytest.fixture
def on_azure(
    settings: Settings,
    azure_container: Any,
    azurite_connection_string: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """Switch the running app to the Azure Blob backend (Azurite) for one test."""
    monkeypatch.setattr(settings, "storage_backend", "azure")
    monkeypatch.setattr(settings, "azure_connection_string", azurite_connection_string)
    monkeypatch.setattr(settings, "azure_container", AZURE_CONTAINER)
    return azure_container
