"""Payments: paying for courses and plans, the caller's payments and subscriptions,
revenue for admins, refunds, and the providers' signed webhooks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from lms.core.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    NotActingAs,
    SessionDep,
    SettingsDep,
    StudentPrincipal,
)
from lms.core.errors import RuleViolation, problem_responses
from lms.core.idempotency import idempotent, request_key
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates
from lms.modules.payments import service
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import InboundWebhook, ProviderName
from lms.modules.payments.schemas import (
    PaymentCheckoutRead,
    PaymentIntentCreate,
    PaymentRead,
    RefundCreate,
    RevenueSummary,
    SubscriptionCheckoutRead,
    SubscriptionCreate,
    SubscriptionRead,
    WebhookAck,
)

router = APIRouter(
    prefix="/payments",
    tags=["payments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


def get_provider_registry(request: Request, settings: SettingsDep) -> ProviderRegistry:
    """The application's providers, built once (their HTTP clients pool connections)."""
    registry: ProviderRegistry | None = getattr(request.app.state, "payment_providers", None)
    if registry is None or registry.settings is not settings:
        registry = ProviderRegistry(settings)
        request.app.state.payment_providers = registry
    return registry


Providers = Annotated[ProviderRegistry, Depends(get_provider_registry)]


@router.post(
    "/create-payment-intent",
    response_model=PaymentCheckoutRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[NotActingAs],
)
@creates("/payments/{id}")
@idempotent
async def create_payment_intent(
    data: PaymentIntentCreate,
    principal: StudentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    providers: Providers,
) -> PaymentCheckoutRead:
    """Start paying for a paid, published course you are not enrolled in. The amount and
    currency are the course's. Stripe answers with a `client_secret` for Stripe.js;
    MyFatoorah and Paymob with a `payment_url` to send the browser to. You are enrolled
    when the provider's signed webhook confirms the payment."""
    return await service.start_course_payment(
        session,
        settings=settings,
        providers=providers,
        principal=principal,
        course_id=data.course_id,
        provider_name=data.provider,
        payment_method=data.payment_method,
    )


@router.post(
    "/create-subscription",
    response_model=SubscriptionCheckoutRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[NotActingAs],
)
@creates("/payments/my-subscriptions")
@idempotent
async def create_subscription(
    data: SubscriptionCreate,
    principal: StudentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    providers: Providers,
) -> SubscriptionCheckoutRead:
    """Subscribe to a plan (Stripe). Confirm the first payment with the returned
    `client_secret`; while the subscription is active every paid course is open to you."""
    return await service.start_subscription(
        session, settings=settings, providers=providers, principal=principal, plan=data.plan
    )


@router.get("/my-payments", response_model=Page[PaymentRead])
async def my_payments(
    principal: CurrentPrincipal, session: SessionDep, pagination: Pagination
) -> Page[PaymentRead]:
    """Your payments, newest first."""
    payments, total = await service.list_my_payments(
        session, principal=principal, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of([service.payment_read(p) for p in payments], total, pagination)


@router.get("/my-subscriptions", response_model=Page[SubscriptionRead])
async def my_subscriptions(
    principal: CurrentPrincipal, session: SessionDep, pagination: Pagination
) -> Page[SubscriptionRead]:
    """Your subscriptions, newest first."""
    subscriptions, total = await service.list_my_subscriptions(
        session, principal=principal, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of([service.subscription_read(s) for s in subscriptions], total, pagination)


@router.get("/revenue/summary", response_model=RevenueSummary)
async def revenue_summary(
    _admin: AdminPrincipal,
    session: SessionDep,
    date_from: Annotated[date | None, Query(description="First day (UTC), inclusive")] = None,
    date_to: Annotated[date | None, Query(description="Last day (UTC), inclusive")] = None,
) -> RevenueSummary:
    """Money collected, net of refunds: totals per currency, and by provider, course and
    month (admin)."""
    if date_from and date_to and date_from > date_to:
        raise RuleViolation("date_from is after date_to.", code="invalid_date_range")
    return await service.revenue_summary(session, date_from=date_from, date_to=date_to)


@router.post(
    "/subscriptions/{subscription_id}/cancel",
    response_model=SubscriptionRead,
    dependencies=[NotActingAs],
)
async def cancel_subscription(
    subscription_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    providers: Providers,
) -> SubscriptionRead:
    """Cancel your subscription at the end of the current period (it keeps working until
    then)."""
    subscription = await service.cancel_subscription(
        session, providers=providers, principal=principal, subscription_id=subscription_id
    )
    return service.subscription_read(subscription)


# Webhooks: no bearer token — the provider's signature is the authentication.


def _inbound(request: Request, body: bytes) -> InboundWebhook:
    return InboundWebhook(
        body=body,
        headers=request.headers,
        query=dict(request.query_params),
        method=request.method,
    )


async def _receive(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    providers: ProviderRegistry,
    provider: ProviderName,
) -> WebhookAck:
    outcome = await service.handle_webhook(
        session,
        settings=settings,
        providers=providers,
        provider_name=provider,
        webhook=_inbound(request, await request.body()),
    )
    return WebhookAck(
        duplicate=outcome.duplicate, status=outcome.status, payment_id=outcome.payment_id
    )


@router.post("/webhooks/stripe", response_model=WebhookAck)
async def stripe_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, providers: Providers
) -> WebhookAck:
    """Stripe events, verified with `Stripe-Signature` (HMAC-SHA256 over
    `{timestamp}.{raw body}`, 5-minute tolerance) and applied exactly once."""
    return await _receive(request, session, settings, providers, "stripe")


@router.post("/webhooks/myfatoorah", response_model=WebhookAck)
async def myfatoorah_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, providers: Providers
) -> WebhookAck:
    """MyFatoorah webhook v1 or v2, verified with `MyFatoorah-Signature` (base64
    HMAC-SHA256 over the documented fields); a success is confirmed with GetPaymentStatus."""
    return await _receive(request, session, settings, providers, "myfatoorah")


@router.post("/webhooks/paymob", response_model=WebhookAck)
async def paymob_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, providers: Providers
) -> WebhookAck:
    """Paymob's transaction-processed callback, verified with the `hmac` query parameter
    (HMAC-SHA512 over the 20 documented fields in order)."""
    return await _receive(request, session, settings, providers, "paymob")


@router.get(
    "/webhooks/paymob",
    response_class=RedirectResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={303: {"description": "Back to the site's payment result page"}},
)
async def paymob_redirect(
    request: Request, session: SessionDep, settings: SettingsDep, providers: Providers
) -> Response:
    """Where Paymob sends the customer's browser after paying: the query is verified like
    the callback (same HMAC), applied once, and the browser is sent on to the payment
    result page with `payment_id` and `status`."""
    ack = await _receive(request, session, settings, providers, "paymob")
    target = await service.return_url_for(
        session, settings=settings, provider="paymob", payment_id=ack.payment_id
    )
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


# Admin and owner views of one payment (after the fixed paths above).


@router.get("/{payment_id}", response_model=PaymentRead)
async def get_payment(
    payment_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> PaymentRead:
    """One of your payments (admins: any payment)."""
    payment = await service.get_payment_for(session, principal=principal, payment_id=payment_id)
    return service.payment_read(payment)


@router.post("/{payment_id}/refund", response_model=PaymentRead, dependencies=[NotActingAs])
@idempotent
async def refund_payment(
    request: Request,
    payment_id: uuid.UUID,
    _admin: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    providers: Providers,
    data: RefundCreate | None = None,
) -> PaymentRead:
    """Refund a succeeded payment through its provider, in full or in part (admin). A
    full refund drops the enrollment when `LMS_REFUND_REVOKES_ENROLLMENT` is on. Send an
    `Idempotency-Key` to retry safely: a retry is answered with the first refund, and
    the provider is asked with a key derived from it, never twice."""
    payment = await service.refund_payment(
        session,
        settings=settings,
        providers=providers,
        payment_id=payment_id,
        data=data or RefundCreate(),
        idempotency_key=request_key(request),
    )
    return service.payment_read(payment)


routers = [router]
