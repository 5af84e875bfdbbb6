"""File storage behind one interface: ``local`` (default), ``s3`` or ``azure``.

Other modules use it like this::

    from lms.core.storage import get_storage, new_object_key

    storage = get_storage(settings)
    key = new_object_key("pdf", folder="certificates")
    await storage.put_bytes(key, pdf, content_type="application/pdf")
    url = await storage.url_for(key, filename="certificate.pdf",
                                content_type="application/pdf")  # None on local
    chunks = await storage.open_stream(key)  # stream it when there is no URL

Record ``storage.provider`` beside the key, and read the object back with
``get_storage(settings, provider=...)``: objects stay readable after the default
backend changes."""

from __future__ import annotations

from lms.core.config import Settings
from lms.core.storage.base import (
    DEFAULT_FOLDER,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageNotConfigured,
    StorageUnavailable,
    content_disposition,
    new_object_key,
    sanitize_folder,
    validate_key,
)

__all__ = [
    "DEFAULT_FOLDER",
    "PROVIDERS",
    "ObjectInfo",
    "ObjectNotFound",
    "Storage",
    "StorageNotConfigured",
    "StorageUnavailable",
    "content_disposition",
    "get_storage",
    "new_object_key",
    "sanitize_folder",
    "validate_key",
]

PROVIDERS = ("local", "s3", "azure")

_backends: dict[tuple[object, ...], Storage] = {}


def _config_of(settings: Settings, provider: str) -> tuple[object, ...]:
    if provider == "local":
        return ("local", settings.upload_dir)
    if provider == "s3":
        return (
            "s3",
            settings.s3_bucket,
            settings.s3_region,
            settings.s3_endpoint_url,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_part_size_mb,
            settings.storage_url_expires_seconds,
        )
    if provider == "azure":
        return (
            "azure",
            settings.azure_connection_string,
            settings.azure_container,
            settings.storage_url_expires_seconds,
        )
    raise StorageNotConfigured(f"Unknown storage provider {provider!r}.")


def _build(settings: Settings, provider: str) -> Storage:
    if provider == "local":
        from lms.core.storage.local import LocalStorage

        return LocalStorage(settings.upload_dir)
    if provider == "s3":
        if not settings.s3_bucket:
            raise StorageNotConfigured("LMS_S3_BUCKET is not set.")
        from lms.core.storage.s3 import S3Storage

        return S3Storage(
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            part_size=settings.s3_part_size_mb * 1024 * 1024,
            url_expires_seconds=settings.storage_url_expires_seconds,
        )
    if not settings.azure_connection_string or not settings.azure_container:
        raise StorageNotConfigured(
            "LMS_AZURE_CONNECTION_STRING and LMS_AZURE_CONTAINER are needed."
        )
    from lms.core.storage.azure import AzureBlobStorage

    return AzureBlobStorage(
        connection_string=settings.azure_connection_string,
        container=settings.azure_container,
        url_expires_seconds=settings.storage_url_expires_seconds,
    )


def get_storage(settings: Settings, provider: str | None = None) -> Storage:
    """The backend for ``provider`` (default: ``LMS_STORAGE_BACKEND``), built once per
    configuration and shared (clients and connection pools are reused)."""
    name = provider or settings.storage_backend
    config = _config_of(settings, name)
    backend = _backends.get(config)
    if backend is None:
        backend = _backends[config] = _build(settings, name)
    return backend
