#!/usr/bin/env python3
"""Ledgers of N entries for the sync figures (bench/README.md, "Sync"): a Reverie Open API
ledger, Stripe customer balance transactions and Orb ledger entries, one customer each, every
running balance consistent. Written to the folder given; never committed."""
import json, sys, os

n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
start = 1_772_352_000  # 2026-03-01T08:00:00Z

def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

bal = 0
rev = []
for i in range(n):
    amt = 1000 if i % 50 == 0 else -7
    bal += amt
    rev.append({"id": f"txn_{i:07d}", "created_at": iso(start + i * 7), "type": "PURCHASE" if amt > 0 else "CHAT",
                "description": "Credit pack" if amt > 0 else "Chat reply", "amount": f"{amt}.00",
                "balance_after": f"{bal}.00", "character": None, "model": None})
json.dump({"data": rev}, open(f"{out}/reverie.json", "w"))

bal = 0
stripe = []
for i in range(n):
    amt = -1000 if i % 50 == 0 else 7  # Stripe: negative is a credit to the customer
    bal += amt
    stripe.append({"id": f"cbtxn_{i:07d}", "object": "customer_balance_transaction", "amount": amt,
                   "created": start + i * 7, "currency": "usd", "customer": "cus_bench",
                   "description": "bench", "ending_balance": bal, "livemode": False, "metadata": {},
                   "type": "adjustment"})
json.dump({"data": stripe}, open(f"{out}/stripe.json", "w"))

bal = 0.0
orb = []
for i in range(n):
    amt = 1000.0 if i % 50 == 0 else -7.0
    orb.append({"id": f"orb_{i:07d}", "ledger_sequence_number": i + 1,
                "entry_type": "increment" if amt > 0 else "decrement", "entry_status": "committed",
                "customer": {"id": "cus_orb_bench", "external_customer_id": None},
                "starting_balance": bal, "ending_balance": bal + amt, "amount": amt, "currency": "credits",
                "created_at": iso(start + i * 7).replace("Z", "+00:00"), "description": None,
                "credit_block": {"id": "blk_bench", "expiry_date": None}, "metadata": {}})
    bal += amt
json.dump({"data": orb}, open(f"{out}/orb.json", "w"))
