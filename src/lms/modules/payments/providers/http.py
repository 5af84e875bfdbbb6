"""The outbound HTTP the REST providers share: one pooled client per provider, a timeout
on every call, and transport failures turned into a clear 503."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from lms.modules.payments.providers.base import (
    PROVIDER_TITLES,
    ProviderRejected,
    ProviderUnavailable,
)


class ProviderHTTP:
    def __init__(
        self,
        provider: str,
        *,
        base_url: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def title(self) -> str:
        return PROVIDER_TITLES.get(self.provider, self.provider)

    def _build(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout),
            transport=self.transport,
            headers={"Accept": "application/json"},
        )

    async def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Building the client loads the CA bundle from disk: not on the event loop.
            built = await anyio.to_thread.run_sync(self._build)
            if self._client is None:
                self._client = built
            else:
                await built.aclose()
        return self._client

    async def post(self, path: str, *, body: dict[str, Any], headers: dict[str, str]) -> Any:
        """POST JSON; returns the decoded answer of a 2xx, raises otherwise."""
        client = await self.client()
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"{self.title} could not be reached ({type(exc).__name__}); retry shortly."
            ) from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"{self.title} answered {response.status_code}; retry shortly."
            )
        try:
            payload = response.json()
        except ValueError as exc:
            raise ProviderRejected(f"{self.title} sent an answer that is not JSON.") from exc
        if response.status_code >= 400:
            raise ProviderRejected(
                f"{self.title} refused the request ({response.status_code}): "
                f"{describe_error(payload)}"
            )
        return payload


def describe_error(payload: Any) -> str:
    """A short, secret-free summary of a provider's error body."""
    if isinstance(payload, dict):
        for key in ("Message", "message", "detail", "error"):
            if payload.get(key):
                text = str(payload[key])
                errors = payload.get("ValidationErrors")
                if isinstance(errors, list) and errors:
                    details = "; ".join(
                        f"{e.get('Name')}: {e.get('Error')}" for e in errors if isinstance(e, dict)
                    )
                    text = f"{text} ({details})"
                return text[:300]
    return "no details"
