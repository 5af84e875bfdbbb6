"""A refund is in the audit log: who refunded which payment, by how much."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.payments import pay_with_stripe
from tests.payments.conftest import PaymentsWorld


async def test_a_refund_by_an_admin_is_recorded(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    payment = await pay_with_stripe(client, student, paid_course)
    ok(await client.post(f"/payments/{payment['id']}/refund", headers=admin.headers))
    listed = ok(
        await client.get(
            "/admin/audit", headers=admin.headers, params={"action": "payment.refunded"}
        )
    )
    [entry] = listed["items"]
    assert entry["target_type"] == "payment" and entry["target_id"] == payment["id"]
    assert entry["actor_id"] == str(admin.id) and entry["course_id"] == paid_course["id"]
    assert entry["change"]["before"] == {"status": "succeeded"}
    assert entry["change"]["after"]["status"] == "refunded"
    assert entry["change"]["after"]["amount"] == "1500.00"
    assert entry["change"]["after"]["user_id"] == str(student.id)
    assert student.email not in repr(entry)
