#!/usr/bin/env python3
"""Writes the committed fixtures in fixtures/. Deterministic: run it again and nothing changes.

Money is integer cents throughout; no float touches an amount. The expected findings of each
fixture are written to fixtures/README.md by hand-checkable rules stated there.
"""
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
    # Cut inside the last field: "GPT-5 mini" became "G".
    small("cut-off.csv", head + lines[3][: lines[3].rindex("GPT-5 mini") + 1])
    small("open-quote.csv", head + 'txn_c0ffee0001,2026-03-10T09:00:00Z,CHAT,"Reply that never ends,-1.00,1594.00,,GPT-5 mini\n')
    small("huge-value.csv", head + "txn_c0ffee0002,2026-03-10T09:00:00Z,CHAT," + "x" * 70000 + ",-1.00,1594.00,,GPT-5 mini\n")
    small("amount-too-large.csv", head + 'txn_c0ffee0003,2026-03-10T09:00:00Z,ADMIN_GRANT,Grant,"+1,000,000,001.00",1000001594.00,,\n')
    small("date-range.csv", head + "txn_c0ffee0004,9999-12-31T23:59:59-23:59,CHAT,Reply,-1.00,1594.00,,GPT-5 mini\n")
    small("not-an-object.json", '{"data": [\n["txn_c0ffee0005", "2026-03-10T09:00:00Z", "CHAT", "Reply", "-1.00", "1594.00", null, "GPT-5 mini"]\n]}\n')
    small("too-deep.json", '{"next_cursor": null,\n "meta": ' + "[" * 200 + "]" * 200 + ',\n "data": []}\n')

    with open(os.path.join(ROOT, "planted.json"), "w") as f:
        json.dump({"faulty.csv": planted, "demo.csv": demo_planted}, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
