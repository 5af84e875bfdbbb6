"""Payments: paying for courses and plans, refunds, revenue, and the providers' webhooks."""
