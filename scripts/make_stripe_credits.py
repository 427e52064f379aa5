#!/usr/bin/env python3
"""Writes the Stripe billing credits fixtures (saved API answers, FORMATS.md section 6):
fixtures/stripe-credit-transactions.json (two pages, newest first), fixtures/stripe-credit-grants.json
and fixtures/stripe-credit-balance-summary.json, with planted faults:

- cbtxn_007 applies 4.50 from credgr_welcome after it expired (2026-03-15): expired_grant_spend, -4.50
- cbtxn_008 comes twice, the second copy naming another invoice line: conflicting_duplicate
- cbtxn_009 comes twice, identical: stored once, no finding
- the summary's available balance (65.50) is 3.00 below what the transactions add up to
  (68.50): a debit Stripe counted is missing: anchor_mismatch at the newest entry, cbtxn_010, -3.00
"""
import json
from datetime import datetime, timezone
from pathlib import Path

CUSTOMER = "cus_Rk7Credits"
OUT = Path(__file__).resolve().parent.parent / "fixtures"


def t(text):
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def money(cents):
    return {"type": "monetary", "monetary": {"currency": "usd", "value": cents}}


def grant(gid, category, priority, cents, effective, expires, name):
    return {
        "id": gid, "object": "billing.credit_grant", "amount": money(cents),
        "applicability_config": {"scope": {"price_type": "metered"}}, "category": category,
        "created": t(effective), "customer": CUSTOMER, "effective_at": t(effective),
        "expires_at": t(expires) if expires else None, "livemode": False, "metadata": {},
        "name": name, "priority": priority, "test_clock": None, "updated": t(effective), "voided_at": None,
    }


def txn(tid, when, grant_id, kind, cents, invoice=None, line=None):
    side = "credit" if kind in ("credits_granted",) else "debit"
    body = {"amount": money(cents), "type": kind}
    if kind == "credits_applied":
        body["credits_applied"] = {"invoice": invoice, "invoice_line_item": line}
    return {
        "id": tid, "object": "billing.credit_balance_transaction", "created": t(when),
        "credit": body if side == "credit" else None, "credit_grant": grant_id,
        "debit": body if side == "debit" else None, "effective_at": t(when), "livemode": False,
        "test_clock": None, "type": side,
    }


grants = [
    grant("credgr_spring", "promotional", 20, 1500, "2026-03-10T00:00:00", "2026-04-30T00:00:00", "Spring promotion"),
    grant("credgr_welcome", "promotional", 10, 2000, "2026-03-01T00:00:00", "2026-03-15T00:00:00", "Welcome credits"),
    grant("credgr_paid", "paid", 50, 10000, "2026-03-01T00:00:00", None, "Purchased credits"),
]
oldest_first = [
    txn("cbtxn_001", "2026-03-01T00:00:00", "credgr_paid", "credits_granted", 10000),
    txn("cbtxn_002", "2026-03-01T00:00:00", "credgr_welcome", "credits_granted", 2000),
    txn("cbtxn_003", "2026-03-05T12:00:00", "credgr_welcome", "credits_applied", 1200, "in_001", "il_001"),
    txn("cbtxn_004", "2026-03-10T00:00:00", "credgr_spring", "credits_granted", 1500),
    txn("cbtxn_005", "2026-03-12T12:00:00", "credgr_welcome", "credits_applied", 500, "in_002", "il_002"),
    txn("cbtxn_006", "2026-03-15T00:00:00", "credgr_welcome", "credits_expired", 300),
    txn("cbtxn_007", "2026-03-20T12:00:00", "credgr_welcome", "credits_applied", 450, "in_003", "il_003"),
    txn("cbtxn_008", "2026-03-25T12:00:00", "credgr_paid", "credits_applied", 2500, "in_004", "il_004"),
    txn("cbtxn_009", "2026-04-02T12:00:00", "credgr_spring", "credits_applied", 700, "in_005", "il_005"),
    txn("cbtxn_010", "2026-04-10T12:00:00", "credgr_paid", "credits_applied", 1000, "in_006", "il_006"),
]
by_id = {x["id"]: x for x in oldest_first}
rewritten = json.loads(json.dumps(by_id["cbtxn_008"]))
rewritten["debit"]["credits_applied"]["invoice_line_item"] = "il_004b"
newest = [by_id["cbtxn_010"], by_id["cbtxn_009"], by_id["cbtxn_009"], by_id["cbtxn_008"], rewritten] + [
    by_id[f"cbtxn_00{i}"] for i in range(7, 0, -1)
]
url = "/v1/billing/credit_balance_transactions"
pages = [
    {"object": "list", "data": newest[:4], "has_more": True, "url": url},
    {"object": "list", "data": newest[4:], "has_more": False, "url": url},
]
(OUT / "stripe-credit-transactions.json").write_text(json.dumps(pages, indent=2) + "\n")
(OUT / "stripe-credit-grants.json").write_text(
    json.dumps({"object": "list", "data": grants, "has_more": False, "url": "/v1/billing/credit_grants"}, indent=2) + "\n"
)
summary = {
    "object": "billing.credit_balance_summary", "customer": CUSTOMER, "livemode": False,
    "balances": [{"available_balance": money(6550), "ledger_balance": money(6550)}],
}
(OUT / "stripe-credit-balance-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
