#!/usr/bin/env python3
"""Writes the committed fixtures in fixtures/. Deterministic: run it again and nothing changes.

Money is integer cents throughout; no float touches an amount. The expected findings of each
fixture are written to fixtures/README.md by hand-checkable rules stated there.
"""
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=timezone.utc)

CHARACTERS = ["Aria", "Captain Nemo, the Navigator", 'Dr. "Doc" Brown', "Émile"]
MODELS = ["DeepSeek V3.2", "GPT-5 mini"]


def money(cents, signed=False):
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    c = abs(cents)
    return f"{sign}{c // 100}.{c % 100:02d}"


class Ledger:
    def __init__(self, seed, prefix):
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.entries = []
        self.balance = 0
        self.t = START
        self.used_ids = set()

    def new_id(self):
        while True:
            i = f"txn_{self.prefix}{self.rng.getrandbits(36):09x}"
            if i not in self.used_ids:
                self.used_ids.add(i)
                return i

    def add(self, kind, desc, cents, character=None, model=None, same_second=False, gap=None):
        if not same_second:
            self.t += timedelta(seconds=gap if gap is not None else self.rng.randint(40, 3600))
        self.balance += cents
        assert self.balance >= 0, "the generator never overdraws"
        e = dict(id=self.new_id(), t=self.t, type=kind, desc=desc, amount=cents,
                 balance=self.balance, character=character, model=model)
        self.entries.append(e)
        return e

    def chat(self, same_second=False):
        ch = self.rng.choice(CHARACTERS)
        m = self.rng.choice(MODELS)
        cents = -self.rng.choice([35, 42, 55, 60, 75, 90, 110, 120])
        return self.add("CHAT", f"{m} reply", cents, ch, m, same_second)


def base_ledger(seed, prefix, days, chats_per_day):
    """A ledger of every ordinary type with consistent balances and some same-second groups."""
    L = Ledger(seed, prefix)
    L.add("PURCHASE", "Credit pack, 1,000 credits", 100000, gap=0)
    L.add("SUBSCRIPTION_GRANT", "Pro plan monthly grant", 50000)
    for day in range(days):
        L.t = START + timedelta(days=day, hours=1)
        L.add("DAILY_LOGIN", "Daily login reward", 1000, gap=0)
        if day % 3 == 2:
            L.add("STREAK_BONUS", "3-day streak bonus", 500, same_second=True)
        for n in range(chats_per_day):
            e = L.chat()
            if n % 4 == 1:
                # The character's author earns a share in the same second.
                L.add("PLUGIN_COMMISSION", "Web search plugin share", 12, same_second=True)
        if day % 2 == 0:
            L.add("IMAGE", "Portrait, 1024x1024", -400, L.rng.choice(CHARACTERS), "Flux 1.1")
        if day % 5 == 1:
            L.add("VIDEO", "Image-to-video, 5 s", -1250, "Aria", "Kling 2.1")
            L.add("TTS", "Voice reply (free during promo)", 0, "Aria", "Reverie Voice")
        if day % 5 == 3:
            failed = L.add("IMAGE", "Portrait, 1024x1024 (failed)", -400, "Émile", "Flux 1.1")
            L.add("REFUND", f"Refund for {failed['id']}: generation failed", 400)
        if day % 7 == 4:
            L.add("LUCKY_DRAW", "Lucky draw card flip", 300)
            L.add("REFERRAL", "Friend joined with your link", 2000)
        if day % 7 == 6:
            L.add("GIFT", "Gift to @mika", -500)
            L.add("CHARACTER_REVENUE", "Your character Aria earned", 230)
            L.add("REDEEM", "Code SPRING26", 1500)
            L.add("ADMIN_GRANT", "Goodwill credit from support", 1000)
            L.add("BONUS", "Launch week bonus", 800)
            L.add("REFERRAL_COMMISSION", "10% of @mika's purchase", 990)
            L.add("ASR", "Voice message transcription", 0, "Aria", "Whisper v3")
    return L


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(path, entries, order="newest", messy=False, rng=None):
    rows = sorted(entries, key=lambda e: e["t"])
    if order == "newest":
        rows = list(reversed(rows))
    elif order == "shuffled-ties":
        # Newest first, and rows that share a second in a scrambled order.
        rows = list(reversed(rows))
        groups, out = {}, []
        for e in rows:
            groups.setdefault(e["t"], []).append(e)
        for t in sorted(groups, reverse=True):
            g = groups[t]
            rng.shuffle(g)
            out.extend(g)
        rows = out
    elif order == "random":
        rng.shuffle(rows)

    def quote(v):
        if any(c in v for c in ',"\n') or messy and rng.random() < 0.3:
            return '"' + v.replace('"', '""') + '"'
        return v

    lines = []
    header = ["Transaction ID", "Date", "Type", "Description", "Amount", "Balance after", "Character", "Model"]
    if messy:
        header = ["transaction id", "DATE", "Type", "description", "Amount", "Balance After", "Model", "Character"]
    lines.append(",".join(header))
    for e in rows:
        date = iso(e["t"])
        amount = money(e["amount"], signed=True)
        balance = money(e["balance"])
        if messy:
            k = rng.randint(0, 3)
            if k == 1:
                date = (e["t"] - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S-05:00")
            elif k == 2:
                date = e["t"].strftime("%Y-%m-%d %H:%M:%S")
            elif k == 3:
                date = (e["t"] + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S+05:30")
            if abs(e["amount"]) >= 100000 or e["balance"] >= 100000:
                amount = f"{'+' if e['amount'] > 0 else '-' if e['amount'] < 0 else ''}{abs(e['amount']) // 100:,}.{abs(e['amount']) % 100:02d}"
                balance = f"{e['balance'] // 100:,}.{e['balance'] % 100:02d}"
            if e["amount"] < 0 and rng.random() < 0.5:
                amount = "\u2212" + amount[1:]
        fields = [e["id"], date, e["type"], e["desc"], amount, balance, e["character"] or "", e["model"] or ""]
        if messy:
            fields = fields[:6] + [e["model"] or "", e["character"] or ""]
        lines.append(",".join(quote(f) for f in fields))
    eol = "\r\n" if messy else "\n"
    data = eol.join(lines) + eol
    with open(path, "w", encoding="utf-8", newline="") as f:
        if messy:
            f.write("\ufeff")
        f.write(data)


def write_json(path, entries):
    data = [dict(id=e["id"], created_at=iso(e["t"]), type=e["type"], description=e["desc"],
                 amount=money(e["amount"]), balance_after=money(e["balance"]),
                 character=e["character"], model=e["model"])
            for e in sorted(entries, key=lambda e: e["t"])]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"data": data, "next_cursor": None}, f, ensure_ascii=False, indent=2)
        f.write("\n")


def faulty_ledger(seed, prefix, days, chats_per_day):
    """The base ledger plus one planted fault of every kind the walk and the rules find."""
    L = base_ledger(seed, prefix, days, chats_per_day)
    planted = {}
    # Real but suspicious entries, with consistent balances.
    L.t += timedelta(hours=2)
    first = L.add("CHAT", "DeepSeek V3.2 reply", -85, "Aria", "DeepSeek V3.2", gap=0)
    second = L.add("CHAT", "DeepSeek V3.2 reply", -85, "Aria", "DeepSeek V3.2", gap=4)
    planted["duplicate_charge"] = ([first["id"], second["id"]], "-0.85")
    refund = L.add("REFUND", "Refund: generation failed", 250)
    planted["unmatched_refund"] = ([refund["id"]], "2.50")
    tip = L.add("TIP", "Tip to character author", -300, "Aria")
    planted["unknown_type"] = ([tip["id"]], None)
    big = L.add("CHAT", "DeepSeek V3.2 long-context reply", -4500, "Émile", "DeepSeek V3.2")
    planted["unusual_amount"] = ([big["id"]], "-45.00")
    for _ in range(6):
        L.chat()
    missing = L.add("CHAT", "GPT-5 mini reply", -136, "Aria", "GPT-5 mini")
    for _ in range(4):
        L.chat()
    misreported = L.add("DAILY_LOGIN", "Daily login reward", 1000)
    for _ in range(3):
        L.chat()
    entries = L.entries
    # A break: the export lost one charge of 1.36.
    i = entries.index(missing)
    planted["balance_break"] = ([entries[i - 1]["id"], entries[i + 1]["id"]], "-1.36")
    del entries[i]
    # A misreported figure: one line's balance after is 5.00 too high; its neighbours agree.
    misreported["balance"] += 500
    planted["misreported_balance"] = ([misreported["id"]], "5.00")
    return L, planted


class Num:
    """A JSON number written from its exact text (no float ever holds it)."""

    def __init__(self, text):
        self.text = text


def dump(value, indent=0):
    """JSON text of `value` with Num kept exact, two-space indent like json.dump."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Num):
        return value.text
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dump(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def write_text(name, text):
    with open(os.path.join(ROOT, name), "w", encoding="utf-8") as f:
        f.write(text + "\n")


def orb_num(cents):
    """Orb writes numbers like 1000.0 and -12.5: whole credits and hundredths, exactly."""
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    frac = f"{c % 100:02d}".rstrip("0") or "0"
    return Num(f"{sign}{c // 100}.{frac}")


def orb_ledger():
    """Orb's credit ledger for two customers, newest first, with one planted balance break.

    acme-corp (external id) holds `credits` and `USD`; Hx9Qm2 (no external id) holds `credits`.
    Covered: every entry type, a pending entry (its own chain), a void, a deduction spread over
    two credit blocks at one timestamp, an expiration_change (no balance moves), a decrement
    whose `amount` is positive while its balance goes down, and one whose `amount` disagrees
    with its balances (shown in the description, the walk follows the balances).
    """
    seq = {}
    entries = []
    balances = {}
    acme = {"id": "4qKx2mZp8vNw", "external_customer_id": "acme-corp"}
    hx = {"id": "Hx9Qm2", "external_customer_id": None}

    def add(cust, currency, t, kind, change, block, desc, status="committed", amount=None, extra=None, start=None):
        key = (cust["id"], currency, status)
        before = balances.get(key, 0) if start is None else start
        after = before + change
        balances[key] = after
        seq[key] = seq.get(key, 0) + 1
        e = {
            "id": f"orb_{len(entries) + 1:04d}{cust['id'][:2].lower()}",
            "ledger_sequence_number": seq[key],
            "entry_type": kind,
            "entry_status": status,
            "customer": cust,
            "starting_balance": orb_num(before),
            "ending_balance": orb_num(after),
            "amount": orb_num(change if amount is None else amount),
            "currency": currency,
            "created_at": t,
            "description": desc,
            "credit_block": {"id": block[0], "expiry_date": block[1]},
            "metadata": {},
        }
        if extra:
            e.update(extra)
        entries.append(e)
        return e

    a1 = ("blk_A1annual", "2026-12-31T00:00:00+00:00")
    a2 = ("blk_A2topup", "2026-06-30T00:00:00+00:00")
    a3 = ("blk_A3pending", None)
    u1 = ("blk_U1usd", "2026-03-31T00:00:00+00:00")
    h1 = ("blk_H1grant", None)
    h2 = ("blk_H2promo", "2026-04-30T00:00:00+00:00")
    planted = {}
    # acme-corp, credits
    add(acme, "credits", "2026-03-01T09:00:00+00:00", "increment", 100000, a1, "Annual plan credits")
    add(acme, "credits", "2026-03-02T10:15:00+00:00", "increment", 25000, a2, "Top-up pack")
    add(acme, "credits", "2026-03-03T11:00:00+00:00", "decrement", -1250, a1, "Usage: API calls")
    add(acme, "credits", "2026-03-03T17:40:00+00:00", "decrement", -3500, a1, "Usage: storage",
        amount=3500)  # the sign of a decrement's amount is not documented: Orb may write it positive
    # One deduction spread over two blocks: two entries at one timestamp.
    add(acme, "credits", "2026-03-05T14:00:00+00:00", "decrement", -95250, a1, "Usage: batch job")
    add(acme, "credits", "2026-03-05T14:00:00+00:00", "decrement", -4750, a2, "Usage: batch job")
    add(acme, "credits", "2026-03-06T08:00:00+00:00", "expiration_change", 0, a2, "Expiry extended",
        amount=0, extra={"new_block_expiry_date": "2026-09-30T00:00:00+00:00"})
    add(acme, "credits", "2026-03-07T12:00:00+00:00", "decrement", -2500, a2, "Usage: support plan",
        amount=-2000)  # amount disagrees with the balances by 5.0
    add(acme, "credits", "2026-03-08T16:30:00+00:00", "void", -15000, a2, None,
        extra={"void_amount": Num("150.0"), "void_reason": "refund"})
    add(acme, "credits", "2026-03-09T09:00:00+00:00", "increment", 30000, a3, "Invoice pending payment",
        status="pending", start=balances[(acme["id"], "credits", "committed")])
    # acme-corp, USD
    add(acme, "USD", "2026-03-01T09:00:05+00:00", "increment", 5000, u1, "Prepaid USD credit")
    add(acme, "USD", "2026-03-04T10:00:00+00:00", "decrement", -1234, u1, "Usage: overage")
    add(acme, "USD", "2026-03-04T10:00:00+00:00", "decrement", -66, u1, "Usage: overage tax")
    add(acme, "USD", "2026-03-10T12:00:00+00:00", "amendment", 500, u1, "Correction by support")
    add(acme, "USD", "2026-03-31T00:00:00+00:00", "credit_block_expiry", -4200, u1, None)
    # Hx9Qm2, credits, with a lost entry.
    add(hx, "credits", "2026-03-02T07:00:00+00:00", "increment", 500000, h1, "Signup grant")
    add(hx, "credits", "2026-03-02T07:00:01+00:00", "increment", 20000, h2, "Promo credits")
    add(hx, "credits", "2026-03-03T13:00:00+00:00", "decrement", -7525, h2, "Usage: inference")
    before_gap = add(hx, "credits", "2026-03-04T13:00:00+00:00", "decrement", -1200, h2, "Usage: inference")
    lost = add(hx, "credits", "2026-03-05T13:00:00+00:00", "decrement", -4200, h1, "Usage: fine-tuning")
    after_gap = add(hx, "credits", "2026-03-06T13:00:00+00:00", "decrement", -990, h1, "Usage: inference")
    add(hx, "credits", "2026-03-07T09:30:00+00:00", "void_initiated", -11275, h2, "Promo withdrawn",
        extra={"void_amount": Num("112.75"), "void_reason": "defunct_subscription",
               "new_block_expiry_date": "2026-03-07T09:30:00+00:00"})
    entries.remove(lost)
    planted["balance_break"] = ([before_gap["id"], after_gap["id"]], "-42.00")
    newest = sorted(entries, key=lambda e: (e["created_at"], e["ledger_sequence_number"]), reverse=True)
    return newest, planted


def stripe_ledger():
    """Stripe customer balance transactions, newest first, integer minor units, with one
    planted balance break and one type Stripe does not document. cus_PqA1 pays in usd;
    cus_JpZ7 in jpy (zero-decimal). A negative amount is a credit to the customer."""
    entries = []
    balances = {}
    planted = {}

    def add(cust, currency, t, kind, amount, desc=None, invoice=None, credit_note=None):
        balances[cust] = balances.get(cust, 0) + amount
        e = {
            "id": f"cbtxn_1Q{len(entries) + 1:02d}{cust[-4:]}x",
            "object": "customer_balance_transaction",
            "amount": amount,
            "checkout_session": None,
            "created": t,
            "credit_note": credit_note,
            "currency": currency,
            "customer": cust,
            "description": desc,
            "ending_balance": balances[cust],
            "invoice": invoice,
            "livemode": False,
            "metadata": {},
            "type": kind,
        }
        entries.append(e)
        return e

    t0 = 1772352000  # 2026-03-01T08:00:00Z
    us, jp = "cus_PqA1", "cus_JpZ7"
    add(us, "usd", t0, "adjustment", -5000, "Goodwill credit")
    add(us, "usd", t0 + 86400, "applied_to_invoice", 1250, None, "in_1Qa1")
    # Three entries in one second (an invoice finalised with a credit note and an overpayment).
    add(us, "usd", t0 + 2 * 86400, "credit_note", -500, "Credit note CN-0001", "in_1Qa2", "cn_1Qc1")
    add(us, "usd", t0 + 2 * 86400, "applied_to_invoice", 2000, None, "in_1Qa3")
    add(us, "usd", t0 + 2 * 86400, "invoice_overpaid", -75, None, "in_1Qa3")
    add(us, "usd", t0 + 3 * 86400, "unapplied_from_invoice", -1000, "Invoice voided", "in_1Qa3")
    before_gap = add(us, "usd", t0 + 4 * 86400, "applied_to_invoice", 650, None, "in_1Qa4")
    lost = add(us, "usd", t0 + 5 * 86400, "applied_to_invoice", 800, None, "in_1Qa5")
    after_gap = add(us, "usd", t0 + 6 * 86400, "adjustment", -200, "Service credit")
    odd = add(us, "usd", t0 + 7 * 86400, "loyalty_points_conversion", -300, "Points converted")
    add(us, "usd", t0 + 8 * 86400, "invoice_too_small", 45, "Balance below minimum charge", "in_1Qa6")
    entries.remove(lost)
    planted["balance_break"] = ([before_gap["id"], after_gap["id"]], "-8.00")
    planted["unknown_type"] = ([odd["id"]], None)
    add(jp, "jpy", t0 + 3600, "initial", -10000, "Opening balance")
    add(jp, "jpy", t0 + 86400 + 3600, "applied_to_invoice", 3500, None, "in_1Qj1")
    add(jp, "jpy", t0 + 86400 + 3600, "invoice_too_large", -1200, None, "in_1Qj1")
    add(jp, "jpy", t0 + 9 * 86400, "migration", -800, "Balance migrated from legacy billing")
    # Newest first; the one same-second usd group in an order that does not chain.
    rng = random.Random(11)
    newest = sorted(entries, key=lambda e: (e["created"], e["id"]), reverse=True)
    group = [e for e in newest if e["created"] == t0 + 2 * 86400]
    order = [group[1], group[2], group[0]]
    while [e["id"] for e in order] == [e["id"] for e in sorted(group, key=lambda e: e["id"], reverse=True)]:
        rng.shuffle(order)
    start = newest.index(group[0])
    newest[start:start + 3] = order
    return newest, planted


def write_orb_and_stripe():
    planted = {}
    orb, planted["orb-ledger.json"] = orb_ledger()
    meta = {"has_more": False, "next_cursor": None}
    write_text("orb-ledger.json", dump({"data": orb, "pagination_metadata": meta}))
    pages = []
    for i in range(0, len(orb), 8):
        more = i + 8 < len(orb)
        pages.append({"data": orb[i:i + 8],
                      "pagination_metadata": {"has_more": more, "next_cursor": orb[i + 7]["id"] if more else None}})
    write_text("orb-ledger-pages.json", dump(pages))

    stripe, planted["stripe-balance.json"] = stripe_ledger()
    by_customer = {}
    for e in stripe:
        by_customer.setdefault(e["customer"], []).append(e)
    # One page per customer is how the API answers (one customer per call); the committed
    # fixture holds both customers' entries in one list, as a saved merge would.
    write_text("stripe-balance.json", dump({"object": "list", "data": stripe, "has_more": False,
                                            "url": "/v1/customers/cus_PqA1/balance_transactions"}))
    pages = []
    for cust, es in by_customer.items():
        for i in range(0, len(es), 5):
            pages.append({"object": "list", "data": es[i:i + 5], "has_more": i + 5 < len(es),
                          "url": f"/v1/customers/{cust}/balance_transactions"})
    write_text("stripe-balance-pages.json", dump(pages))

    # A value Reckon cannot hold exactly (a float artefact, 17 decimals) is refused.
    bad = [dict(e) for e in orb[:3]]
    bad[1]["amount"] = Num("-0.30000000000000004")
    write_text(os.path.join("bad", "precision-orb.json"), dump({"data": bad, "pagination_metadata": meta}))
    return planted


# The usage feed with refunds (docs/FORMATS.md section 4), oldest first: (Entry ID, time, kind,
# description, credits in cents, reason, refund of). "LOST" is in neither file: the charge a
# balance break hides.
USAGE_FEED = [
    ("use_0001", "2026-03-01T08:00:00Z", "charge", "Draft generation", 250, "", ""),
    ("use_0002", "2026-03-01T09:15:00Z", "charge", "Video render, 10 s", 660, "", ""),
    ("use_0003", "2026-03-02T10:00:00Z", "charge", 'Campaign batch "Spring"', 1200, "", ""),
    ("use_0004", "2026-03-02T10:05:00Z", "charge", "Image set", 440, "", ""),
    ("use_0005", "2026-03-03T11:00:00Z", "charge", "Draft generation", 300, "", ""),
    ("use_0006", "2026-03-03T11:02:00Z", "refund", "Refund: draft generation", 300, "Generation failed", "use_0005"),
    ("use_0007", "2026-03-04T12:00:00Z", "charge", "Caption", 120, "", ""),
    ("use_0008", "2026-03-04T12:30:00Z", "refund", "Refund: campaign batch", 500, "Partial failure", "use_0003"),
    ("use_0009", "2026-03-05T09:00:00Z", "charge", "Caption", 200, "", ""),
    ("LOST", "2026-03-05T11:00:00Z", "charge", "Caption", 136, "", ""),
    ("use_0010", "2026-03-05T14:00:00Z", "charge", "Caption", 80, "", ""),
    ("use_0011", "2026-03-06T16:00:00Z", "refund", "Refund: draft generation", 300, "Duplicate charge", "use_0005"),
    ("use_0012", "2026-03-07T10:00:00Z", "refund", "Refund: image set", 440, "Generation failed", ""),
    ("use_0013", "2026-03-08T08:00:00Z", "charge", "Draft generation", 250, "", ""),
    ("use_0014", "2026-03-09T09:15:00Z", "refund", "Refund: video render", 660, "Generation failed", ""),
    ("use_0015", "2026-03-10T10:00:00Z", "charge", "Caption", 175, "", ""),
]


def write_usage_feed():
    """usage-feed.csv (with Balance, from 100.00) and usage-feed-nobalance.csv (without), newest
    first. Planted: use_0014 refunds 6.60 with no Refund of, 8 days after the only charge of
    6.60 (unmatched); use_0008 refunds 5.00 of use_0003's 12.00; use_0005 refunded twice
    (use_0006, use_0011); use_0012 pairs with use_0004 by amount, 5 days before (no finding);
    with Balance, a lost charge of 1.36 between use_0009 and use_0010."""
    balance = 10000
    rows = []
    for (eid, time, kind, description, cents, reason, refund_of) in USAGE_FEED:
        balance += cents if kind == "refund" else -cents
        if eid != "LOST":
            rows.append([eid, time, kind, description, money(cents), reason, refund_of, money(balance)])
    rows.reverse()
    head = ["Entry ID", "Time", "Kind", "Description", "Credits", "Reason", "Refund of", "Balance"]
    for name, width in (("usage-feed.csv", 8), ("usage-feed-nobalance.csv", 7)):
        with open(os.path.join(ROOT, name), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(head[:width])
            w.writerows(r[:width] for r in rows)
    refunds = {
        "unmatched_refund": (["use_0014"], "6.60"),
        "refund_mismatch": (["use_0008", "use_0003"], "-7.00"),
        "double_refund": (["use_0005", "use_0006", "use_0011"], "3.00"),
    }
    return {
        "usage-feed.csv": dict(refunds, balance_break=(["use_0009", "use_0010"], "-1.36")),
        "usage-feed-nobalance.csv": refunds,
    }


def write_grant_ledger():
    """The grant / spend / pending grant ledger (FORMATS.md section 5), oldest first, two
    currencies: gl_004 spends 1,000 with 880 available while 500 is pending (pending_overspend,
    120.00 short), gl_007 settles gl_006's pending 300 for 250 (settled_amount_mismatch, -50.00),
    gl_008 is still pending 32 days later at the newest entry (pending_unsettled, 200.00);
    gl_005 settles gl_003 for its amount (no finding)."""
    rows = [
        'Entry ID,Time,Currency,Event,Kind,Amount,Balance change,Settles',
        'gl_001,2026-01-01T09:00:00Z,credits,Prepaid purchase,grant,"+1,000","0 -> 1,000",',
        'gl_002,2026-01-03T10:00:00Z,credits,API usage,spend,-120,"1,000 -> 880",',
        'gl_003,2026-01-05T11:00:00Z,credits,Top-up awaiting payment,pending_grant,+500,,',
        'gl_004,2026-01-06T12:00:00Z,credits,Batch job,spend,"-1,000",880 -> -120,',
        'gl_005,2026-01-10T09:00:00Z,credits,Top-up paid,grant,+500,-120 -> 380,gl_003',
        'gl_006,2026-01-12T09:00:00Z,credits,Plan renewal awaiting activation,pending_grant,+300,,',
        'gl_007,2026-01-20T09:00:00Z,credits,Plan renewal activated,grant,+250,380 -> 630,gl_006',
        'gl_008,2026-02-01T09:00:00Z,credits,Manual top-up awaiting payment,pending_grant,+200,,',
        'gl_009,2026-02-05T15:30:00Z,credits,API usage,spend,-30,630 -> 600,',
        'gl_010,2026-03-05T08:00:00Z,credits,API usage,spend,-100,600 -> 500,',
        'gl_011,2026-01-02T09:00:00Z,USD,Promotional grant,grant,+50,0 -> 50,',
        'gl_012,2026-01-04T09:00:00Z,USD,API usage,spend,-20,50 -> 30,',
    ]
    with open(os.path.join(ROOT, "grant-ledger.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("".join(r + "\n" for r in rows))
    return {
        "grant-ledger.csv": {
            "pending_overspend": (["gl_004"], "120.00"),
            "settled_amount_mismatch": (["gl_006", "gl_007"], "-50.00"),
            "pending_unsettled": (["gl_008"], "200.00"),
        }
    }


def main():
    os.makedirs(os.path.join(ROOT, "bad"), exist_ok=True)
    rng = random.Random(7)

    clean = base_ledger(1, "c", days=10, chats_per_day=5)
    write_csv(os.path.join(ROOT, "clean.csv"), clean.entries)
    write_json(os.path.join(ROOT, "clean.json"), clean.entries)
    write_csv(os.path.join(ROOT, "shuffled.csv"), clean.entries, order="shuffled-ties", rng=rng)
    messy = base_ledger(2, "m", days=8, chats_per_day=4)
    messy.entries.insert(2, dict(id=messy.new_id(), t=messy.entries[1]["t"] + timedelta(seconds=1), type="PURCHASE",
                                 desc='Big pack, "Mega", 2,500 credits', amount=250000,
                                 balance=messy.entries[1]["balance"] + 250000, character=None, model=None))
    for e in messy.entries[3:]:
        e["balance"] += 250000
    write_csv(os.path.join(ROOT, "messy.csv"), messy.entries, order="random", messy=True, rng=rng)

    faulty, planted = faulty_ledger(3, "f", days=6, chats_per_day=4)
    write_csv(os.path.join(ROOT, "faulty.csv"), faulty.entries)
    # The same export again, overlapping, with one transaction rewritten (amount and balance).
    rewritten = [dict(e) for e in faulty.entries[-20:]]
    victim = rewritten[5]
    victim["amount"] -= 100
    victim["balance"] -= 100
    write_csv(os.path.join(ROOT, "faulty-rewritten.csv"), rewritten)

    demo, demo_planted = faulty_ledger(4, "d", days=45, chats_per_day=8)
    write_csv(os.path.join(ROOT, "demo.csv"), demo.entries)

    # Bad inputs: each has exactly one defect.
    good = os.path.join(ROOT, "clean.csv")
    lines = open(good, encoding="utf-8").read().split("\n")

    def bad(name, edit):
        out = list(lines)
        edit(out)
        with open(os.path.join(ROOT, "bad", name), "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(out))

    def set_field(out, line_no, col, value):
        fields = out[line_no - 1].split(",")
        fields[col] = value
        out[line_no - 1] = ",".join(fields)

    bad("amount.csv", lambda o: set_field(o, 5, 4, "-0.3S"))
    bad("date.csv", lambda o: set_field(o, 7, 1, "03/01/2026 08:00"))
    bad("balance.csv", lambda o: set_field(o, 9, 5, '"1,23.00"'))
    bad("precision.csv", lambda o: set_field(o, 4, 4, "-0.0000001"))
    bad("empty-id.csv", lambda o: set_field(o, 6, 0, ""))
    bad("missing-column.csv", lambda o: o.__setitem__(0, o[0].replace("Balance after", "Balance")))

    def ragged(o):
        o[10] = o[10] + ",extra"
    bad("ragged.csv", ragged)
    with open(os.path.join(ROOT, "bad", "not-a-ledger.txt"), "w") as f:
        f.write("date;amount\n2026-03-01;5\n")
    doc = json.load(open(os.path.join(ROOT, "clean.json"), encoding="utf-8"))
    doc["data"][3]["amount"] = "12,5"
    with open(os.path.join(ROOT, "bad", "amount.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
    text = open(os.path.join(ROOT, "clean.json"), encoding="utf-8").read()
    with open(os.path.join(ROOT, "bad", "syntax.json"), "w", encoding="utf-8") as f:
        f.write(text.replace('"type": "DAILY_LOGIN"', '"type": DAILY_LOGIN', 1))

    # Bad inputs past the readers' hardening: small, one defect each.
    def small(name, text):
        with open(os.path.join(ROOT, "bad", name), "w", encoding="utf-8", newline="") as f:
            f.write(text)

    head = "\n".join(lines[:3]) + "\n"
    small("duplicate-column.csv", lines[0] + ",amount\n" + "".join(l + ",-1.00\n" for l in lines[1:4]))
    # Cut short of the last row's columns, inside its balance ("1596.81" as "1596.8"). A cut
    # inside the last, unquoted value leaves a whole row, which is read: a complete last row
    # may go without a line end.
    small("cut-off.csv", head + lines[3][: lines[3].rindex(",\"Captain") - 1])
    small("open-quote.csv", head + 'txn_c0ffee0001,2026-03-10T09:00:00Z,CHAT,"Reply that never ends,-1.00,1594.00,,GPT-5 mini\n')
    small("huge-value.csv", head + "txn_c0ffee0002,2026-03-10T09:00:00Z,CHAT," + "x" * 70000 + ",-1.00,1594.00,,GPT-5 mini\n")
    small("amount-too-large.csv", head + 'txn_c0ffee0003,2026-03-10T09:00:00Z,ADMIN_GRANT,Grant,"+1,000,000,001.00",1000001594.00,,\n')
    small("date-range.csv", head + "txn_c0ffee0004,9999-12-31T23:59:59-23:59,CHAT,Reply,-1.00,1594.00,,GPT-5 mini\n")
    small("not-an-object.json", '{"data": [\n["txn_c0ffee0005", "2026-03-10T09:00:00Z", "CHAT", "Reply", "-1.00", "1594.00", null, "GPT-5 mini"]\n]}\n')
    small("too-deep.json", '{"next_cursor": null,\n "meta": ' + "[" * 200 + "]" * 200 + ',\n "data": []}\n')

    with open(os.path.join(ROOT, "planted.json"), "w") as f:
        all_planted = {"faulty.csv": planted, "demo.csv": demo_planted}
        all_planted.update(write_orb_and_stripe())
        all_planted.update(write_usage_feed())
        all_planted.update(write_grant_ledger())
        json.dump(all_planted, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
