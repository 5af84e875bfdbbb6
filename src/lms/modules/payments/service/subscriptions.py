"""Plans paid every period (Stripe subscriptions): starting one, cancelling it, and
copying the provider's view of it onto our row.

While a subscription is active or trialing and its current period covers now, every paid
course is open to its holder.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.deps import Principal
from lms.modules import users
from lms.modules.payments import repository
from lms.modules.payments.events import SubscriptionUpdated
from lms.modules.payments.models import Subscription
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import Customer, SubscriptionSnapshot
from lms.modules.payments.schemas import SubscriptionCheckoutRead
from lms.modules.payments.service.errors import (
    SubscriptionExists,
    SubscriptionNotCancelable,
    SubscriptionNotFound,
    UnknownPlan,
)
from lms.modules.payments.service.reading import subscription_read


async def start_subscription(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    principal: Principal,
    plan: str,
) -> SubscriptionCheckoutRead:
    """Subscribe to a plan (a Stripe Price). The subscription is ``incomplete`` until its
    first invoice is paid with the returned ``client_secret``."""
    stripe = providers.subscriptions()
    price_id = settings.stripe_plan_price_ids.get(plan)
    if price_id is None:
        offered = ", ".join(sorted(settings.stripe_plan_price_ids)) or "none configured"
        raise UnknownPlan(f"There is no plan {plan!r} (plans: {offered}).")
    if await repository.has_open_subscription(session, user_id=principal.id):
        raise SubscriptionExists()
    user = await users.get_user_summary_or_raise(session, principal.id)
    customer_id = await repository.known_stripe_customer(session, user_id=user.id)
    if customer_id is None:
        customer_id = await stripe.ensure_customer(
            Customer(id=user.id, email=user.email, full_name=user.full_name)
        )
    subscription = Subscription(
        id=uuid.uuid4(),
        provider="stripe",
        user_id=user.id,
        plan_name=plan,
        plan_price_id=price_id,
        status="incomplete",
        stripe_customer_id=customer_id,
    )
    session.add(subscription)
    await session.flush()
    snapshot, client_secret = await stripe.create_subscription(
        subscription_id=subscription.id,
        customer_id=customer_id,
        price_id=price_id,
        user_id=user.id,
        plan_name=plan,
    )
    apply_snapshot(subscription, snapshot, at=None)
    await session.flush()
    read = SubscriptionCheckoutRead.model_validate(subscription_read(subscription))
    read.client_secret = client_secret
    return read


async def cancel_subscription(
    session: AsyncSession,
    *,
    providers: ProviderRegistry,
    principal: Principal,
    subscription_id: uuid.UUID,
) -> Subscription:
    """Cancel at the end of the paid period (the plan keeps working until then)."""
    subscription = await repository.lock_subscription(session, subscription_id=subscription_id)
    if subscription is None or subscription.user_id != principal.id:
        raise SubscriptionNotFound()
    if subscription.status in ("canceled", "incomplete_expired"):
        raise SubscriptionNotCancelable(
            "This subscription has already ended.", code="subscription_ended"
        )
    if subscription.cancel_at_period_end:
        raise SubscriptionNotCancelable(
            "This subscription is already set to end with its period.",
            code="already_canceling",
        )
    if subscription.stripe_subscription_id is None:
        raise SubscriptionNotCancelable("This subscription was never started at Stripe.")
    snapshot = await providers.subscriptions().cancel_at_period_end(
        provider_subscription_id=subscription.stripe_subscription_id,
        idempotency_key=f"cancel-{subscription.id}",
    )
    apply_snapshot(subscription, snapshot, at=None)
    await session.flush()
    await publish_updated(session, subscription)
    return subscription


async def publish_updated(session: AsyncSession, subscription: Subscription) -> None:
    """Tell the other modules the subscription's state changed."""
    await events.publish(
        session,
        SubscriptionUpdated(
            subscription_id=subscription.id,
            user_id=subscription.user_id,
            plan=subscription.plan_name,
            status=subscription.status,
            cancel_at_period_end=subscription.cancel_at_period_end,
            current_period_end=subscription.current_period_end,
        ),
    )


def apply_snapshot(
    subscription: Subscription, snapshot: SubscriptionSnapshot, *, at: datetime | None
) -> None:
    """Copy the provider's state of the subscription onto our row; ``at`` (the time of a
    webhook event) is remembered so that older events can be told apart later."""
    subscription.stripe_subscription_id = snapshot.provider_subscription_id
    subscription.status = snapshot.status
    if snapshot.customer_id:
        subscription.stripe_customer_id = snapshot.customer_id
    if snapshot.price_id:
        subscription.plan_price_id = snapshot.price_id
    if snapshot.current_period_start is not None:
        subscription.current_period_start = snapshot.current_period_start
    if snapshot.current_period_end is not None:
        subscription.current_period_end = snapshot.current_period_end
    subscription.cancel_at_period_end = snapshot.cancel_at_period_end
    subscription.canceled_at = snapshot.canceled_at
    if at is not None:
        subscription.provider_updated_at = at
