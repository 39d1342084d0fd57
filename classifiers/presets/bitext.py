"""Bitext customer-service intents and categories (CDLA-Sharing-1.0) on the shipped taxonomy.

Both label columns of the Bitext files map: `intent` (27 values) and, where its intents agree,
`category` (11 values). ORDER spans several stages, so its intents map one by one.
"""

from __future__ import annotations

BITEXT_TO_CATEGORY: dict[str, str] = {
    "create_account": "sign_up",
    "registration_problems": "sign_up",
    "delete_account": "closing_account",
    "edit_account": "account_access",
    "recover_password": "account_access",
    "switch_account": "account_access",
    "check_cancellation_fee": "closing_account",
    "contact_customer_service": "customer_service",
    "contact_human_agent": "customer_service",
    "complaint": "customer_service",
    "review": "feedback_and_reviews",
    "delivery_options": "terms_and_policies",
    "delivery_period": "delivery_and_tracking",
    "track_order": "delivery_and_tracking",
    "change_shipping_address": "delivery_and_tracking",
    "set_up_shipping_address": "delivery_and_tracking",
    "check_invoice": "billing_and_statements",
    "get_invoice": "billing_and_statements",
    "payment_issue": "billing_and_statements",
    "check_payment_methods": "terms_and_policies",
    "check_refund_policy": "terms_and_policies",
    "get_refund": "refunds",
    "track_refund": "refunds",
    "newsletter_subscription": "marketing_and_offers",
    "place_order": "ordering",
    "change_order": "ordering",
    "cancel_order": "ordering",
    # Bitext `category` column
    "CANCELLATION_FEE": "closing_account",
    "CONTACT": "customer_service",
    "INVOICE": "billing_and_statements",
    "NEWSLETTER": "marketing_and_offers",
    "ORDER": "ordering",
    "REFUND": "refunds",
    "SHIPPING_ADDRESS": "delivery_and_tracking",
    "PAYMENT": "billing_and_statements",
    "ACCOUNT": "account_access",
    "DELIVERY": "delivery_and_tracking",
    "FEEDBACK": "customer_service",
}
