#!/usr/bin/env python3
"""Writes fixtures/hostile/: damaged and odd variants of fixtures/clean.csv and clean.json, and
expected.json, what Reckon must do with each: {"refused": true, "line": N} (exit 2, the message
names the file and line N; "line": null when only "some line" is promised) or {"entries": N}
(exit 0, N entries read).

Every expectation comes from the documented rules (FORMATS.md section 1, the limits in
src/import/mod.rs) and from where the damage was put, never from running Reckon:
- a file cut inside a quoted value, or inside a row short of the header's columns, is refused
  on the line it was cut in; a cut that leaves the last row whole (its last, unquoted value
  shorter) reads that row, since a complete last row may go without a line end;
- a byte that is not UTF-8 in a CSV row or in JSON text is refused on its line;
- an amount, date or shape is judged by a small model of the documented grammar below.

Run: python3 scripts/make_hostile.py  (deterministic; rewrites the directory).
"""

import json
import os
import random
import re
import shutil
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "hostile")
# The first rows and entries of the clean fixtures keep the corpus small (under 2 MB); the test
# imports each file into a database that already holds all of fixtures/clean.csv.
HEADER, *ROWS = open(os.path.join(ROOT, "fixtures", "clean.csv"), "rb").read().decode().split("\n")[:25]
CLEAN_CSV = ("\n".join([HEADER] + ROWS) + "\n").encode()
ROWS_N = len(ROWS)
CLEAN_JSON = (json.dumps({"data": json.load(open(os.path.join(ROOT, "fixtures", "clean.json")))["data"][:12]}, indent=2, ensure_ascii=False) + "\n").encode()
FIELD_LIMIT = 64 << 10
MAX_CREDITS = 10**9

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
expected = {}
rng = random.Random(20260301)


def put(name, data, expect):
    assert name not in expected, name
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    expected[name] = expect


def refused(line):
    return {"refused": True, "line": line}


def entries(n):
    return {"entries": n}


def line_of(data, offset):
    """1-based line of byte `offset`."""
    return data.count(b"\n", 0, offset) + 1


# --- The documented grammar, as a model -----------------------------------------------------

AMOUNT = re.compile(r"^[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$", re.ASCII)


def amount_ok(text):
    s = text.strip()
    m = AMOUNT.match(s)
    if not m or not re.search(r"[0-9]", s):
        return False
    if m.group(1) is not None and len(m.group(1)) > 6:
        return False
    value = abs(float(re.sub(r"[^\d.]", "", s) or "0"))
    return value <= MAX_CREDITS


DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$", re.ASCII)
# The years 1900 to 2999 of the instant in UTC, whatever the offset.
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)


def date_ok(text):
    m = DATE.match(text.strip())
    if not m:
        return False
    # Microseconds are kept: digits past the sixth must be zeros.
    if m.group(7) and m.group(7)[7:].strip("0"):
        return False
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    try:
        t = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
    except ValueError:
        return False
    zone = m.group(8)
    if zone and zone != "Z":
        oh, om = int(zone[1:3]), int(zone[4:6])
        if om > 59 or oh * 60 + om > 14 * 60:
            return False
        t -= (1 if zone[0] == "+" else -1) * timedelta(hours=oh, minutes=om)
    return EARLIEST <= t < LATEST


def csv_with(row_index, column, value, quote=False):
    """clean.csv with one field of one row (0-based, no quotes in that row) replaced."""
    rows = list(ROWS)
    fields = rows[row_index].split(",")
    fields[column] = f'"{value}"' if quote else value
    rows[row_index] = ",".join(fields)
    return "\n".join([HEADER] + rows) + "\n"


# Rows without quotes, whose fields split on commas; P(k) is the k-th, round and round.
PLAIN = [i for i, r in enumerate(ROWS) if '"' not in r]


def P(k):
    return PLAIN[k % len(PLAIN)]

# --- CSV truncations ------------------------------------------------------------------------

names = HEADER.split(",")

offsets = sorted(set([0, 5, len(HEADER), len(HEADER) + 1] + rng.sample(range(1, len(CLEAN_CSV)), 45)))
def cut_expect(cut):
    """What a prefix of CLEAN_CSV must give."""
    import csv

    if not cut.strip():
        return refused(1)
    text = cut.decode()
    records = list(csv.reader(text.split("\n")[:1]))
    header = records[0] if records else []
    if not all(n in header for n in names[:6]):
        # A header cut short of a required column.
        return refused(1)
    if text.endswith("\n") or "\n" not in text:
        return entries(max(text.count("\n") - 1, 0))
    last = text[text.rindex("\n") + 1 :]
    fields = next(csv.reader([last]))
    # A quote left open, or fewer fields than the header: cut off. Else a whole last row.
    if last.count('"') % 2 or len(fields) < len(header):
        return refused(line_of(cut, len(cut)))
    return entries(text.count("\n"))


for off in offsets:
    cut = CLEAN_CSV[:off]
    put(f"csv-cut-{off:05}.csv", cut, cut_expect(cut))

# --- CSV byte flips -------------------------------------------------------------------------

body = len(HEADER) + 1
for off in sorted(rng.sample(range(body, len(CLEAN_CSV)), 45)):
    data = bytearray(CLEAN_CSV)
    data[off] = 0xFF
    # Not UTF-8 in a row, whatever it hits (a comma, a quote, the line end): refused there.
    put(f"csv-flip-ff-{off:05}.csv", bytes(data), refused(line_of(CLEAN_CSV, off)))

for n, i in enumerate(rng.sample(PLAIN, 12)):
    fields = ROWS[i].split(",")
    digits = [k for k, c in enumerate(fields[4]) if c.isdigit()]
    k = rng.choice(digits)
    new = fields[4][:k] + str((int(fields[4][k]) + 1 + rng.randrange(8)) % 10) + fields[4][k + 1 :]
    # Another digit is another amount, still an amount.
    put(f"csv-flip-digit-{n:02}.csv", csv_with(i, 4, new), entries(ROWS_N))

for n, i in enumerate(rng.sample(PLAIN, 8)):
    fields = ROWS[i].split(",")
    k = rng.randrange(len(fields[1]))
    new = fields[1][:k] + "Q" + fields[1][k + 1 :]
    put(f"csv-flip-date-{n:02}.csv", csv_with(i, 1, new), refused(i + 2))

for n, i in enumerate(rng.sample(PLAIN, 6)):
    fields = ROWS[i].split(",")
    new = fields[0][:-1] + "Z"
    # Another transaction ID is another (new) entry.
    put(f"csv-flip-id-{n:02}.csv", csv_with(i, 0, new), entries(ROWS_N))

for n, i in enumerate(rng.sample(PLAIN, 6)):
    row = ROWS[i]
    commas = [k for k, c in enumerate(row) if c == ","]
    k = rng.choice(commas)
    rows = list(ROWS)
    rows[i] = row[:k] + ";" + row[k + 1 :]
    # One field fewer than the header.
    put(f"csv-flip-comma-{n:02}.csv", "\n".join([HEADER] + rows) + "\n", refused(i + 2))

# --- NUL bytes ------------------------------------------------------------------------------

i = P(3)
put("csv-nul-description.csv", csv_with(i, 3, "plain\0text"), entries(ROWS_N))
put("csv-nul-amount.csv", csv_with(i, 4, "-1\0.20"), refused(i + 2))
put("csv-nul-date.csv", csv_with(i, 1, "2026-03-10T10:51:45\0Z"), refused(i + 2))
put("csv-nul-row.csv", HEADER + "\n" + "\0" * 200 + "\n" + "\n".join(ROWS) + "\n", refused(2))
put("csv-nul-only.csv", b"\0" * 4096, refused(1))

# --- Column games ---------------------------------------------------------------------------

parsed_rows = [list(r) for r in __import__("csv").reader(ROWS)]


def write_rows_tab(rows):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def write_rows(header, rows):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


for c, name in enumerate(names):
    header = names[:c] + names[c + 1 :]
    rows = [r[:c] + r[c + 1 :] for r in parsed_rows]
    required = c < 6
    put(f"col-missing-{c}.csv", write_rows(header, rows), refused(1) if required else entries(ROWS_N))
for n, (c, dup) in enumerate([(4, "Amount"), (4, "amount"), (4, " AMOUNT "), (0, "transaction_id"), (7, "MODEL"), (1, "date")]):
    header = names + [dup]
    rows = [r + [r[c]] for r in parsed_rows]
    put(f"col-duplicate-{n}-{dup.strip().lower()}.csv", write_rows(header, rows), refused(1))
for n in range(6):
    order = list(range(8))
    rng.shuffle(order)
    put(f"col-reordered-{n}.csv", write_rows([names[k] for k in order], [[r[k] for k in order] for r in parsed_rows]), entries(ROWS_N))
put("col-extra.csv", write_rows(names + ["Note"], [r + ["x"] for r in parsed_rows]), entries(ROWS_N))
put("col-renamed-case.csv", write_rows([n.upper().replace(" ", "_") for n in names], parsed_rows), entries(ROWS_N))
put("col-empty-header.csv", ",,,,,,,\n" + "\n".join(ROWS) + "\n", refused(1))
put("col-header-only.csv", HEADER + "\n", entries(0))
put("col-header-only-no-newline.csv", HEADER, entries(0))
put("col-row-extra-field.csv", csv_with(P(5), 7, ROWS[P(5)].split(",")[7] + ",extra"), refused(P(5) + 2))
put("col-row-short.csv", "\n".join([HEADER] + ROWS[:10] + [",".join(ROWS[10].split(",")[:5])] + ROWS[11:]) + "\n", refused(12))
put("col-trailing-comma-rows.csv", "\n".join([HEADER] + [r + "," for r in ROWS]) + "\n", refused(2))
put("col-trailing-comma-header.csv", "\n".join([HEADER + ","] + ROWS) + "\n", refused(2))
put("col-empty-id.csv", csv_with(P(2), 0, ""), refused(P(2) + 2))
put("col-empty-type.csv", csv_with(P(2), 2, " "), refused(P(2) + 2))
put("col-odd-type.csv", csv_with(P(2), 2, "mystery-kind"), entries(ROWS_N))

# --- Encodings ------------------------------------------------------------------------------

text = CLEAN_CSV.decode()
put("enc-utf8-bom.csv", b"\xef\xbb\xbf" + CLEAN_CSV, entries(ROWS_N))
# UTF-16 with a byte-order mark is decoded; errors name lines of the decoded text (the same).
put("enc-utf16le-bom.csv", b"\xff\xfe" + text.encode("utf-16-le"), entries(ROWS_N))
put("enc-utf16be-bom.csv", b"\xfe\xff" + text.encode("utf-16-be"), entries(ROWS_N))
put("enc-utf16le-nobom.csv", text.encode("utf-16-le"), refused(1))
put("enc-utf32le-bom.csv", b"\xff\xfe\x00\x00" + text.encode("utf-32-le"), refused(1))
put("enc-utf32be-bom.csv", b"\x00\x00\xfe\xff" + text.encode("utf-32-be"), refused(1))
# Excel's "Unicode text": tab-separated UTF-16LE with CRLF line ends, quoted as CSV.
put("enc-utf16le-excel-unicode-text.txt", b"\xff\xfe" + write_rows_tab([names] + parsed_rows).encode("utf-16-le"), entries(ROWS_N))
i = P(11)
bad_date = csv_with(i, 1, "2026-03-01T08:00:00Q")
put("enc-utf16le-bad-date.csv", b"\xff\xfe" + bad_date.encode("utf-16-le"), refused(i + 2))
put("enc-utf16le-odd-length.csv", b"\xff\xfe" + text.encode("utf-16-le") + b"x", refused(ROWS_N + 2))
i = P(4)
latin = "\n".join([HEADER] + ROWS[:i]).encode() + b"\n" + csv_with(i, 3, "caf\xe9").split("\n")[i + 1].encode("latin-1")
put("enc-latin1-description.csv", latin + b"\n" + ("\n".join(ROWS[i + 1 :]) + "\n").encode(), refused(i + 2))
put("enc-latin1-header.csv", ("Transaction ID,Date,Type,D\xe9scription,Amount,Balance after,Character,Model\n" + "\n".join(ROWS) + "\n").encode("latin-1"), refused(1))
for n, bad in enumerate([b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"]):
    i = P(6 + n)
    pre = ("\n".join([HEADER] + ROWS[:i]) + "\n").encode()
    row = ROWS[i].split(",")
    row_bytes = ",".join(row[:3]).encode() + b"," + row[3].encode() + bad + b"," + ",".join(row[4:]).encode()
    put(f"enc-invalid-utf8-{n}.csv", pre + row_bytes + b"\n" + ("\n".join(ROWS[i + 1 :]) + "\n").encode(), refused(i + 2))
put("enc-utf8-text.csv", csv_with(P(1), 3, "r\u00e9sum\u00e9 \u2014 \u65e5\u672c \U0001f600"), entries(ROWS_N))

# --- Huge fields ----------------------------------------------------------------------------

put("huge-description.csv", csv_with(P(0), 3, "d" * (FIELD_LIMIT + 1)), refused(P(0) + 2))
put("huge-quoted-lines.csv", csv_with(P(8), 3, "x\n" * (FIELD_LIMIT // 2 + 1), quote=True), refused(P(8) + 2))
put("huge-header-name.csv", HEADER.replace("Description", "D" * (FIELD_LIMIT + 1)) + "\n" + "\n".join(ROWS) + "\n", refused(1))
put("big-but-allowed-description.csv", csv_with(P(9), 3, "d" * 60000), entries(ROWS_N))

# --- Odd numbers ----------------------------------------------------------------------------

odd_amounts = ["1e5", "0x10", "NaN", "Infinity", "1,2,3", "--5", "+-1", "0.1234567", "1 000", "1.", ".5", ".", "",
               "1,000.00", "\u22120.35", "1000000000", "1000000000.000001", "-1000000001", "1,000,000,000",
               "999999999999", "00012.50", "-0", "+0.000001", "1,00", "12,345.6", " 7.25 ", "\u00bd", "\uff11",
               "1.2.3", "(5.00)", "5-", "$5.00", "5 credits", "1_000"]
for n, a in enumerate(odd_amounts):
    i = P(10 + n % 20)
    put(f"num-amount-{n:02}.csv", csv_with(i, 4, a, quote="," in a), entries(ROWS_N) if amount_ok(a) else refused(i + 2))
for n, a in enumerate(["1e3", "1,0000.00", "-1000000000", "2,000,000,000", "0.0000001"]):
    i = P(30 + n)
    put(f"num-balance-{n:02}.csv", csv_with(i, 5, a, quote="," in a), entries(ROWS_N) if amount_ok(a) else refused(i + 2))

# --- Odd dates ------------------------------------------------------------------------------

odd_dates = ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-03-01T08:00:00-23:59", "2026-03-01T08:00:00+14:00",
             "2026-03-01T08:00:00+14:01", "2026-03-01T08:00:00-14:00", "2026-02-30T08:00:00Z", "2024-02-29T08:00:00Z",
             "2026-03-01T24:00:00Z", "2026-03-01", "2026-03-01T08:00Z", "2026-03-01T08:00:00.123456Z",
             "1900-01-01T00:00:00Z", "1900-01-02T00:00:00Z", "1970-01-01T00:00:00Z", "2999-12-30T00:00:00Z",
             "3000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2026-03-01 08:00:00", "2026-03-01 08:00:00+01:00",
             "01/03/2026 08:00", "2026-13-01T08:00:00Z", "2026-03-01T08:60:00Z", "2026-03-01T08:00:00+05",
             "20260301T080000Z", "2026-03-01T08:00:00 Z", "-2026-03-01T08:00:00Z", "2026-03-01T08:00:00+00:60",
             # The range's edges, of the instant in UTC; microseconds kept, never digits dropped.
             "1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "2999-12-31T23:59:59.999999Z",
             "2999-12-31T23:59:59-05:00", "1899-12-31T19:00:00-05:00", "1900-01-01T00:00:00+00:01",
             "2026-03-01T08:00:00.123456000Z", "2026-03-01T08:00:00.1234567Z", "2026-03-01 08:00:00.000000001"]
for n, d in enumerate(odd_dates):
    i = P(35 + n % 20)
    put(f"date-{n:02}.csv", csv_with(i, 1, d), entries(ROWS_N) if date_ok(d) else refused(i + 2))

# --- Line ends and blank lines ----------------------------------------------------------------

put("eol-cr-only.csv", CLEAN_CSV.replace(b"\n", b"\r"), entries(ROWS_N))
put("eol-crlf.csv", CLEAN_CSV.replace(b"\n", b"\r\n"), entries(ROWS_N))
mixed = "".join(r + ("\r\n" if k % 2 else "\n") for k, r in enumerate([HEADER] + ROWS))
put("eol-mixed.csv", mixed, entries(ROWS_N))
rows = list(ROWS)
rows[20] = rows[20] + "\r" + rows.pop(21)
# A lone CR in an LF file ends a record, as CR, LF and CRLF do for RFC 4180 readers.
put("eol-lone-cr.csv", "\n".join([HEADER] + rows) + "\n", entries(ROWS_N))
put("eol-lone-cr-then-bad-date.csv", "\n".join([HEADER] + rows[:22] + [csv_with(23, 1, "x").split("\n")[24]] + rows[23:]) + "\n", refused(25))
put("eol-blank-lines.csv", HEADER + "\n\n" + "\n\n".join(ROWS) + "\n\n\n", entries(ROWS_N))
put("eol-whitespace-lines.csv", HEADER + "\n   \n" + "\n \t \n".join(ROWS) + "\n", entries(ROWS_N))
# A complete last row without a line end is read (spreadsheets leave it off).
put("eol-no-final-newline.csv", CLEAN_CSV[:-1], entries(ROWS_N))
put("eol-no-final-newline-crlf.csv", CLEAN_CSV.replace(b"\n", b"\r\n")[:-2], entries(ROWS_N))
put("eol-no-final-newline-cr.csv", CLEAN_CSV.replace(b"\n", b"\r")[:-1], entries(ROWS_N))
put("eol-no-final-newline-one-row.csv", HEADER + "\n" + ROWS[P(12)], entries(1))
put("eol-no-final-newline-quoted.csv", HEADER + "\n" + ROWS[P(12)][: ROWS[P(12)].rindex(",") + 1] + '"GPT-5, mini"', entries(1))
put("eol-no-final-newline-short.csv", CLEAN_CSV[: CLEAN_CSV.rindex(b",", 0, len(CLEAN_CSV) - 1)], refused(ROWS_N + 1))
put("eol-open-quote-at-end.csv", CLEAN_CSV + b'txn_zz,2026-03-10T10:51:45Z,CHAT,"never closed,-1.00,1.00,,\n', refused(ROWS_N + 2))

# --- JSON -----------------------------------------------------------------------------------

doc = json.loads(CLEAN_JSON)
ENTRIES = doc["data"]
JN = len(ENTRIES)


def jlines(items, head='{"data": [', tail="]}"):
    """One entry per line: entry k sits on line k + 2."""
    return head + "\n" + ",\n".join(items) + "\n" + tail + "\n"


J = [json.dumps(e) for e in ENTRIES]

for off in sorted(set([0, 1, 2, len(CLEAN_JSON) - 1] + rng.sample(range(3, len(CLEAN_JSON) - 2), 32))):
    cut = CLEAN_JSON[:off]
    # A prefix of the document is never a whole one: the parser stops at its end.
    expect = entries(JN) if cut.rstrip() == CLEAN_JSON.rstrip() else refused(cut.count(b"\n") + 1)
    put(f"json-cut-{off:05}.json", cut, expect)
for off in sorted(rng.sample(range(0, len(CLEAN_JSON)), 25)):
    data = bytearray(CLEAN_JSON)
    data[off] = 0xFF
    put(f"json-flip-ff-{off:05}.json", bytes(data), refused(line_of(CLEAN_JSON, off)))
for off in sorted(rng.sample(range(1, len(CLEAN_JSON)), 15)):
    data = bytearray(CLEAN_JSON)
    data[off] = 0x00
    put(f"json-flip-nul-{off:05}.json", bytes(data), refused(line_of(CLEAN_JSON, off)))

put("json-bare-array.json", jlines(J, "[", "]"), entries(JN))
put("json-empty-data.json", '{"data": []}\n', entries(0))
put("json-empty-array.json", "[]\n", entries(0))
put("json-bom.json", b"\xef\xbb\xbf" + CLEAN_JSON, entries(JN))
put("json-data-object.json", '{"data": {}}\n', refused(1))
put("json-data-null.json", '{"data": null}\n', refused(1))
put("json-no-data.json", '{"items": []}\n', refused(1))
put("json-top-number.json", "5\n", refused(1))
put("json-top-string.json", '"data"\n', refused(1))
put("json-deep-arrays.json", "[" * 10000 + "]" * 10000 + "\n", refused(1))
put("json-deep-objects.json", '{"a":' * 10000 + "1" + "}" * 10000 + "\n", refused(1))
put("json-deep-hidden.json", '{"meta": ' + '{"a": ' * 10000 + "1" + "}" * 10000 + ', "data": []}\n', refused(1))
put("json-deep-129.json", '{"meta": ' + "[" * 128 + "]" * 128 + ', "data": []}\n', refused(1))
put("json-deep-128.json", '{"meta": ' + "[" * 127 + "]" * 127 + ', "data": []}\n', entries(0))
put("json-deep-in-entry.json", jlines(J[:3] + ['{"id": ' + "[" * 5000 + "]" * 5000 + "}"] + J[3:]), refused(5))
put("json-extra-members.json", jlines(J, '{"next_cursor": null, "has_more": false, "data": [', '], "meta": {"x": [1, 2]}}'), entries(JN))
def K(k):
    return k % JN


for k in [0, 7, JN - 1]:
    e = ENTRIES[k]
    positional = json.dumps([e[f] for f in ["id", "created_at", "type", "description", "amount", "balance_after", "character", "model"]])
    put(f"json-positional-{k:02}.json", jlines(J[:k] + [positional] + J[k + 1 :]), refused(k + 2))
for n, (k, item) in enumerate([(3, "null"), (4, "5"), (5, '"txn_x"'), (6, "[" + J[6] + "]"), (9, "true"), (2, "{}")]):
    k = K(k)
    put(f"json-entry-shape-{n}.json", jlines(J[:k] + [item] + J[k + 1 :]), refused(k + 2))


def with_field(k, key, raw):
    e = dict(ENTRIES[k])
    parts = []
    for f, v in e.items():
        parts.append(f"{json.dumps(f)}: {raw if f == key else json.dumps(v)}")
    if key not in e:
        parts.append(f"{json.dumps(key)}: {raw}")
    return "{" + ", ".join(parts) + "}"


def without(k, key):
    e = dict(ENTRIES[k])
    del e[key]
    return json.dumps(e)


json_cases = [
    ("amount", '"1.5"', True), ("amount", "1.5", True), ("amount", "1e5", False), ("amount", "-0.35", True),
    ("amount", '"1,000.00"', True), ("amount", '"NaN"', False), ("amount", "null", False), ("amount", "true", False),
    ("amount", '"1000000001"', False), ("amount", "[1]", False), ("amount", '"0x10"', False),
    ("id", "123", False), ("id", '""', False), ("id", "null", False), ("created_at", "1700000000", False),
    ("created_at", '"9999-12-31T23:59:59Z"', False), ("created_at", '"2026-03-01T08:00:00-23:59"', False),
    ("created_at", '"2026-03-01T08:00:00+14:00"', True), ("type", '""', False), ("type", "7", False),
    ("character", "5", False), ("character", '"Nemo"', True), ("model", "{}", False), ("description", "null", True),
    ("description", '"' + "d" * (FIELD_LIMIT + 1) + '"', False), ("balance_after", '"--5"', False),
    ("balance_after", '"1 000"', False), ("extra_field", '{"nested": [1, 2, {"deep": true}]}', True),
    ("created_at", '"1900-01-01T00:00:00Z"', True), ("created_at", '"2999-12-31T23:59:59Z"', True),
    ("created_at", '"2999-12-31T23:59:59-05:00"', False), ("created_at", '"2026-03-01T08:00:00.1234567Z"', False),
    ("created_at", '"2026-03-01T08:00:00.123456000Z"', True),
]
for n, (key, raw, ok) in enumerate(json_cases):
    k = K(10 + n)
    put(f"json-field-{n:02}-{key}.json", jlines(J[:k] + [with_field(k, key, raw)] + J[k + 1 :]), entries(JN) if ok else refused(k + 2))
for n, key in enumerate(["id", "created_at", "type", "amount", "balance_after", "description", "character", "model"]):
    k = K(40 + n)
    ok = key in ("description", "character", "model")
    put(f"json-missing-{key}.json", jlines(J[:k] + [without(k, key)] + J[k + 1 :]), entries(JN) if ok else refused(k + 2))
dup = J[5][:-1] + ', "amount": "2.00"}'
put("json-duplicate-key.json", jlines(J[:5] + [dup] + J[6:]), refused(7))
put("json-duplicate-data.json", '{"data": [],\n"data": []}\n', refused(None))
put("json-trailing-comma.json", jlines(J[:5]).replace("\n]}", ",\n]}"), refused(7))
put("json-nan-literal.json", jlines(J[:8] + [with_field(8, "amount", "NaN")] + J[9:]), refused(10))
put("json-comment.json", "// saved from the API\n" + jlines(J), refused(1))
put("json-two-documents.json", jlines(J[:2]) + jlines(J[2:4]), refused(5))
put("json-single-quotes.json", "{'data': []}\n", refused(1))

# --- The usage feed with refunds (FORMATS.md section 4) ------------------------------------
# Variants of fixtures/usage-feed.csv; the test imports `feed-*` files into an account of their
# own (the corpus database's default ledger holds Reverie's entries).
import csv as _csv
import io as _io

FEED = list(_csv.reader(_io.StringIO(open(os.path.join(ROOT, "fixtures", "usage-feed.csv"), encoding="utf-8").read())))
FEED_HEAD, FEED_ROWS = FEED[0], FEED[1:]
FEED_N = len(FEED_ROWS)


def feed(head, rows, end="\n"):
    out = _io.StringIO()
    _csv.writer(out, lineterminator=end).writerows([head] + rows)
    return out.getvalue()


def feed_with(k, column, value):
    """The feed with data row `k` (line k + 2) holding `value` in `column`."""
    rows = [list(r) for r in FEED_ROWS]
    rows[k][FEED_HEAD.index(column)] = value
    return feed(FEED_HEAD, rows)


feed_cases = [
    ("Kind", "chargeback", False), ("Kind", "", False), ("Kind", " Refund ", True), ("Kind", "CHARGE", True),
    ("Credits", "-0.80", False), ("Credits", "\u22120.80", False), ("Credits", "0.8.0", False), ("Credits", "", False),
    ("Credits", "1000000001", False), ("Credits", "0.0000001", False), ("Credits", "1,000.00", True), ("Credits", "0", True),
    ("Time", "2026-03-05", False), ("Time", "2026-03-05 14:00:00", True), ("Time", "2026-03-05T14:00:00+05:30", True),
    ("Entry ID", "", False), ("Entry ID", "  ", False), ("Balance", "74,14", False), ("Balance", "", True),
    ("Balance", "-74.14", True), ("Refund of", "no_such_charge", True), ("Reason", "x" * (FIELD_LIMIT + 1), False),
]
for n, (column, value, ok) in enumerate(feed_cases):
    name = column.lower().replace(" ", "_")
    put(f"feed-field-{n:02}-{name}.csv", feed_with(5, column, value), entries(FEED_N) if ok else refused(7))
# Shapes: no Balance or Refund of column, an empty one, another case and order, BOM and CRLF,
# a required column missing, a cut file.
put("feed-no-balance-column.csv", feed(FEED_HEAD[:-1], [r[:-1] for r in FEED_ROWS]), entries(FEED_N))
put("feed-empty-balance-column.csv", feed(FEED_HEAD, [r[:-1] + [""] for r in FEED_ROWS]), entries(FEED_N))
order = [7, 6, 5, 4, 3, 2, 1, 0]
put("feed-reordered-case.csv", feed([FEED_HEAD[i].upper() for i in order], [[r[i] for i in order] for r in FEED_ROWS]), entries(FEED_N))
put("feed-bom-crlf.csv", "\ufeff" + feed(FEED_HEAD, FEED_ROWS, "\r\n"), entries(FEED_N))
put("feed-missing-refund-of.csv", feed(FEED_HEAD[:6] + ["Balance"], [r[:6] + [r[7]] for r in FEED_ROWS]), entries(FEED_N))
put("feed-missing-credits.csv", feed(FEED_HEAD[:4] + FEED_HEAD[5:], [r[:4] + r[5:] for r in FEED_ROWS]), refused(1))
put("feed-missing-time.csv", feed(FEED_HEAD[:1] + FEED_HEAD[2:], [r[:1] + r[2:] for r in FEED_ROWS]), refused(1))
text = feed(FEED_HEAD, FEED_ROWS)
cut = text.index('"Video render, 10 s"') + 8
put("feed-cut-in-quote.csv", text[:cut], refused(line_of(text.encode(), cut)))
row_short = text.index("use_0004,")
put("feed-cut-short-row.csv", text[: row_short + len("use_0004,2026-03-02T10:05:00Z,charge")], refused(line_of(text.encode(), row_short)))
rows = [list(r) for r in FEED_ROWS]
rows[3] = rows[3] + ["extra"]
put("feed-row-extra-field.csv", feed(FEED_HEAD, rows), refused(5))

# More of the feed: a refund naming itself, line breaks inside quotes, no final line end,
# UTF-16, a header alone, a column twice, a short row, edges of the range.
put("feed-refund-of-self.csv", feed_with(4, "Refund of", FEED_ROWS[4][0]), refused(6))
put("feed-refund-of-a-refund.csv", feed_with(4, "Refund of", FEED_ROWS[3][0]), entries(FEED_N))
put("feed-quoted-newline.csv", feed_with(4, "Reason", "Generation\nfailed,\r\n\"twice\""), entries(FEED_N))
# The row after a value with two line breaks in it sits two lines further down.
lines_in = feed_with(4, "Reason", "Generation\nfailed\nagain")
rows = list(_csv.reader(_io.StringIO(lines_in)))
rows[6][2] = "chargeback"
put("feed-quoted-newline-then-bad-kind.csv", feed(rows[0], rows[1:]), refused(9))
put("feed-no-final-newline.csv", feed(FEED_HEAD, FEED_ROWS)[:-1], entries(FEED_N))
put("feed-bom-crlf-no-final-newline.csv", "\ufeff" + feed(FEED_HEAD, FEED_ROWS, "\r\n")[:-2], entries(FEED_N))
put("feed-utf16le-bom.csv", b"\xff\xfe" + feed(FEED_HEAD, FEED_ROWS).encode("utf-16-le"), entries(FEED_N))
put("feed-utf16be-bom-crlf.csv", b"\xfe\xff" + feed(FEED_HEAD, FEED_ROWS, "\r\n").encode("utf-16-be"), entries(FEED_N))
put("feed-utf16le-nobom.csv", feed(FEED_HEAD, FEED_ROWS).encode("utf-16-le"), refused(1))
put("feed-header-only.csv", feed(FEED_HEAD, []), entries(0))
put("feed-header-only-no-newline.csv", ",".join(FEED_HEAD), entries(0))
put("feed-duplicate-credits.csv", feed(FEED_HEAD + ["Credits"], [r + [r[4]] for r in FEED_ROWS]), refused(1))
put("feed-duplicate-kind-case.csv", feed(FEED_HEAD + ["KIND"], [r + [r[2]] for r in FEED_ROWS]), refused(1))
rows = [list(r) for r in FEED_ROWS]
rows[8] = rows[8][:5]
put("feed-row-too-few-fields.csv", feed(FEED_HEAD, rows), refused(10))
put("feed-credits-at-limit.csv", feed_with(5, "Credits", "1,000,000,000"), entries(FEED_N))
put("feed-balance-beyond-limit.csv", feed_with(5, "Balance", "1,000,000,000.01"), refused(7))
put("feed-latin1-reason.csv", feed_with(4, "Reason", "G\u00e9n\u00e9ration").encode("latin-1"), refused(6))

# --- The grant / spend / pending grant ledger (FORMATS.md section 5) -------------------------
# Variants of fixtures/grant-ledger.csv; the test imports `grant-*` files into an account of
# their own. Row 1 (line 3) is a spend (-120, "1,000 -> 880"), row 2 (line 4) a pending grant,
# row 4 (line 6) a grant that settles it.
GL = list(_csv.reader(_io.StringIO(open(os.path.join(ROOT, "fixtures", "grant-ledger.csv"), encoding="utf-8").read())))
GL_HEAD, GL_ROWS = GL[0], GL[1:]
GL_N = len(GL_ROWS)
assert GL_ROWS[1][4] == "spend" and GL_ROWS[2][4] == "pending_grant" and GL_ROWS[4][7] == GL_ROWS[2][0]


def grant_with(k, changes):
    """The ledger with data row `k` (line k + 2) changed: {column: value}."""
    rows = [list(r) for r in GL_ROWS]
    for column, value in changes.items():
        rows[k][GL_HEAD.index(column)] = value
    return feed(GL_HEAD, rows)


SPEND, PENDING, SETTLE = 1, 2, 4
grant_cases = [
    # Kind
    (SPEND, {"Kind": "bonus"}, False), (SPEND, {"Kind": ""}, False), (SPEND, {"Kind": " Spend "}, True),
    (SPEND, {"Kind": "SPEND"}, True), (SPEND, {"Kind": "grant"}, False), (PENDING, {"Kind": "Pending grant"}, True),
    # Amount: signed, within the range, six decimals at most
    (SPEND, {"Amount": "+120"}, False), (SPEND, {"Amount": "120"}, False), (SPEND, {"Amount": "\u2212120"}, True),
    (SPEND, {"Amount": "-120.00"}, True), (SPEND, {"Amount": ""}, False), (SPEND, {"Amount": "-120.0000001"}, False),
    (SPEND, {"Amount": "-1,000,000,001", "Balance change": "1,000 -> -999,999,001"}, False),
    (PENDING, {"Amount": "-500"}, False), (PENDING, {"Amount": "0"}, False),
    # Balance change: before and after, differing by the Amount
    (SPEND, {"Balance change": "1,000 -> 870"}, False), (SPEND, {"Balance change": "1,000 ->"}, False),
    (SPEND, {"Balance change": "-> 880"}, False), (SPEND, {"Balance change": ""}, False),
    (SPEND, {"Balance change": "1,000 \u2192 880"}, True), (SPEND, {"Balance change": "1000->880"}, True),
    (SPEND, {"Balance change": "1,000 - 880"}, False), (SPEND, {"Balance change": "1,000 -> 880 -> 760"}, False),
    (SPEND, {"Balance change": "1,500,000,000 -> 1,499,999,880"}, False), (SPEND, {"Balance change": "1,000.00 -> 880.00"}, True),
    (SPEND, {"Balance change": "880 -> 1,000"}, False),
    # A pending grant changes nothing available
    (PENDING, {"Balance change": "880 -> 1,380"}, False), (PENDING, {"Balance change": "880 -> 880"}, True),
    (PENDING, {"Balance change": "880 ->"}, False),
    # Settles: only a grant settles, never itself; an ID the ledger does not hold (an earlier
    # export's) or one that is not a pending grant is kept, and the grant counts as a grant
    (SPEND, {"Settles": "gl_003"}, False), (PENDING, {"Settles": "gl_001"}, False),
    (SETTLE, {"Settles": GL_ROWS[SETTLE][0]}, False), (SETTLE, {"Settles": "gl_999"}, True),
    (SETTLE, {"Settles": GL_ROWS[SPEND][0]}, True), (SETTLE, {"Settles": ""}, True),
    # Time, ID, currency, event
    (SPEND, {"Time": "2026-01-03"}, False), (SPEND, {"Time": "yesterday"}, False), (SPEND, {"Time": "2026-01-03 10:00:00"}, True),
    (SPEND, {"Time": "2026-01-03T10:00:00+05:30"}, True), (SPEND, {"Time": "9999-01-03T10:00:00Z"}, False),
    (SPEND, {"Entry ID": ""}, False), (SPEND, {"Entry ID": "  "}, False), (SPEND, {"Currency": ""}, False),
    (SPEND, {"Event": ""}, True), (SPEND, {"Event": "x" * (FIELD_LIMIT + 1)}, False),
]
for n, (k, changes, ok) in enumerate(grant_cases):
    name = "-".join(c.lower().replace(" ", "_") for c in changes)
    put(f"grant-field-{n:02}-{name}.csv", grant_with(k, changes), entries(GL_N) if ok else refused(k + 2))
# Shapes: optional Settles left out, required columns missing, another case and order, BOM and
# CRLF, no final line end, UTF-16, a header alone, a column twice, short and long rows, line
# breaks inside quotes, cut files, Latin-1.
gl_text = feed(GL_HEAD, GL_ROWS)
put("grant-no-settles-column.csv", feed(GL_HEAD[:7], [r[:7] for r in GL_ROWS]), entries(GL_N))
put("grant-missing-currency.csv", feed(GL_HEAD[:2] + GL_HEAD[3:], [r[:2] + r[3:] for r in GL_ROWS]), refused(1))
put("grant-missing-event.csv", feed(GL_HEAD[:3] + GL_HEAD[4:], [r[:3] + r[4:] for r in GL_ROWS]), refused(1))
put("grant-missing-balance-change.csv", feed(GL_HEAD[:6] + GL_HEAD[7:], [r[:6] + r[7:] for r in GL_ROWS]), refused(1))
order = [7, 3, 0, 6, 1, 5, 2, 4]
put("grant-reordered-case.csv", feed([GL_HEAD[i].upper() for i in order], [[r[i] for i in order] for r in GL_ROWS]), entries(GL_N))
put("grant-bom-crlf.csv", "\ufeff" + feed(GL_HEAD, GL_ROWS, "\r\n"), entries(GL_N))
put("grant-bom-crlf-no-final-newline.csv", "\ufeff" + feed(GL_HEAD, GL_ROWS, "\r\n")[:-2], entries(GL_N))
put("grant-cr-only.csv", feed(GL_HEAD, GL_ROWS, "\r"), entries(GL_N))
put("grant-no-final-newline.csv", gl_text[:-1], entries(GL_N))
put("grant-utf16le-bom.csv", b"\xff\xfe" + gl_text.encode("utf-16-le"), entries(GL_N))
put("grant-utf16be-bom.csv", b"\xfe\xff" + gl_text.encode("utf-16-be"), entries(GL_N))
put("grant-utf16le-nobom.csv", gl_text.encode("utf-16-le"), refused(1))
put("grant-utf16le-bad-amount.csv", b"\xff\xfe" + grant_with(SPEND, {"Amount": "-12O"}).encode("utf-16-le"), refused(3))
put("grant-header-only.csv", feed(GL_HEAD, []), entries(0))
put("grant-header-only-crlf-bom.csv", "\ufeff" + feed(GL_HEAD, [], "\r\n"), entries(0))
put("grant-duplicate-amount.csv", feed(GL_HEAD + ["Amount"], [r + [r[5]] for r in GL_ROWS]), refused(1))
put("grant-duplicate-settles-case.csv", feed(GL_HEAD + [" settles "], [r + [r[7]] for r in GL_ROWS]), refused(1))
rows = [list(r) for r in GL_ROWS]
rows[6] = rows[6][:4]
put("grant-row-too-few-fields.csv", feed(GL_HEAD, rows), refused(8))
rows = [list(r) for r in GL_ROWS]
rows[6] = rows[6] + ["extra"]
put("grant-row-extra-field.csv", feed(GL_HEAD, rows), refused(8))
put("grant-quoted-newline.csv", grant_with(SPEND, {"Event": "API usage,\nbatch \"nightly\"\r\nrun"}), entries(GL_N))
rows = list(_csv.reader(_io.StringIO(grant_with(SPEND, {"Event": "API usage\nnightly"}))))
rows[4][6] = "-120 -> 380"
put("grant-quoted-newline-then-bad-change.csv", feed(rows[0], rows[1:]), refused(6))
cut = gl_text.index('"1,000 -> 880"') + 5
put("grant-cut-in-quote.csv", gl_text[:cut], refused(line_of(gl_text.encode(), cut)))
cut = gl_text.index("gl_010,") + len("gl_010,2026-03-05T08:00:00Z,credits")
put("grant-cut-short-row.csv", gl_text[:cut], refused(line_of(gl_text.encode(), cut)))
put("grant-latin1-event.csv", grant_with(SPEND, {"Event": "Cr\u00e9dit"}).encode("latin-1"), refused(3))
put("grant-nul-amount.csv", grant_with(SPEND, {"Amount": "-1\u00002"}), refused(3))

# --- Workspace credit usage records (FORMATS.md section 3) ----------------------------------
# Variants of the four tabs' fixtures (fixtures/workspace-*.csv); the test imports `ws-*` files
# into an account of their own. `Credits` is a positive number (thousands separators read),
# `Amount` signed (`+`, `-`, U+2212); IDs are required; Title, Message Count, User, Billing
# Type, API Key Name, Import Type, Import URL and Detail may be empty, and `User` and `Detail`
# may be left out; Billing Type, Import Type and an unknown adjustment Type are labels (read);
# a Package reset sets the balance, so a negative one is refused; n identical adjustments rows
# are n entries.
def ws_tab(name):
    rows = list(_csv.reader(_io.StringIO(open(os.path.join(ROOT, "fixtures", f"workspace-{name}.csv"), encoding="utf-8").read())))
    return rows[0], rows[1:]


WS = {
    "conv": ws_tab("conversations-later"),
    "mcp": ws_tab("mcp-calls"),
    "imp": ws_tab("import-usage"),
    "adj": ws_tab("credit-adjustments"),
}
# Where each tab's cases go (data row k is line k + 2), its free-text column, its amount column.
WS_ROW = {"conv": 2, "mcp": 1, "imp": 1, "adj": 5}
WS_TEXT = {"conv": "Title", "mcp": "API Key Name", "imp": "Import URL", "adj": "Detail"}
WS_MONEY = {"conv": "Credits", "mcp": "Credits", "imp": "Credits", "adj": "Amount"}
WS_ID = {"conv": "Conversation ID", "mcp": "Call ID", "imp": "Task ID", "adj": "Type"}
WS_REQUIRED = {
    "conv": ["Conversation ID", "Credits", "Updated At"],
    "mcp": ["Call ID", "Credits", "Created At"],
    "imp": ["Task ID", "Credits", "Created At"],
    "adj": ["Type", "Amount", "Created At"],
}
RESET = 2
assert WS["adj"][1][RESET][0] == "Package reset" and WS["adj"][1][3] == WS["adj"][1][4]
assert WS["conv"][1][3][1] == "Q1 plan, draft"


def ws_rows(t):
    return [list(r) for r in WS[t][1]]


def ws_with(t, k, changes):
    """Tab `t` with data row `k` (line k + 2) changed: {column: value}."""
    head, rows = WS[t][0], ws_rows(t)
    for column, value in changes.items():
        rows[k][head.index(column)] = value
    return feed(head, rows)


# Credits: one set of values for the three usage tabs.
credits_cases = [
    ("-5", False), ("\u22125", False), ("five", False), ("", False), ("  ", False), ("1,234.5", True),
    ("+5", True), ("0", True), ("5.000001", True), ("5.0000001", False), ("1 234", False), ("1.234,5", False),
    ("12,34", False), ("1000000001", False), ("1,000,000,000", True), ("5-", False), ("5\u00a0", True),
    ("1\u00a0234", False),
]
# Times: one set for every tab's time column.
time_cases = [
    ("2026-03-18", False), ("yesterday", False), ("", False), ("2026-03-18T09:15:00Z", True),
    ("2026-03-18T09:15:00+05:30", True), ("2026-03-18T04:15:00-05:00", True), ("2026-03-18 09:15:00Z", True),
    ("2026-03-18T09:15:00.5Z", True), ("2026-02-30 10:00:00", False), ("2026-03-18T09:15:00+15:00", False),
    ("18/03/2026 09:15", False), ("2026-03-18 09:15", False), ("9999-03-18 09:15:00", False),
    ("1899-12-31T23:59:59Z", False),
]
ws_cases = {
    "conv": [
        {"Conversation ID": ""}, {"Conversation ID": "  "},
        ({"Title": ""}, True), ({"Title": 'Teaser "final", v2'}, True), ({"Title": "x" * (FIELD_LIMIT + 1)}, False),
        ({"Message Count": "many"}, False), ({"Message Count": "1,200"}, True), ({"Message Count": ""}, True),
        ({"Message Count": "1200"}, True), ({"Message Count": " 2 "}, True), ({"Message Count": "-2"}, False),
        ({"Message Count": "2.5"}, False), ({"Message Count": "1,2,0,0"}, False), ({"Message Count": ",5"}, False),
        ({"User": ""}, True), ({"User": "Dev, Ops <dev@acme.test>"}, True),
        ({"Billing Type": "audio generation"}, True), ({"Billing Type": ""}, True), ({"Billing Type": "IMAGE  Generation"}, True),
    ],
    "mcp": [
        {"Call ID": ""}, {"Call ID": "  "},
        ({"API Key Name": ""}, True), ({"API Key Name": 'zapier, prod "main"'}, True),
        ({"User": ""}, True), ({"User": "ops@acme.test"}, True),
    ],
    "imp": [
        {"Task ID": ""}, {"Task ID": "  "},
        ({"Import Type": "Video import"}, True), ({"Import Type": ""}, True), ({"Import Type": "PRODUCT IMPORT"}, True),
        ({"Import URL": ""}, True), ({"Import URL": 'https://acme.test/q?a=1,b="2"'}, True),
        ({"User": ""}, True),
    ],
    "adj": [
        ({"Type": ""}, False), ({"Type": "  "}, False), ({"Type": "Loyalty bonus"}, True), ({"Type": "ADMIN  ADJUSTMENT"}, True),
        ({"Type": "admin_adjustment"}, True),
        ({"Amount": "+50"}, True), ({"Amount": "\u221250"}, True), ({"Amount": "-50"}, True), ({"Amount": "1,234.5"}, True),
        ({"Amount": "+1,000.00"}, True), ({"Amount": "\u22121,000.00"}, True), ({"Amount": "0"}, True), ({"Amount": ""}, False),
        ({"Amount": "fifty"}, False), ({"Amount": "1 000"}, False), ({"Amount": "1.000,00"}, False), ({"Amount": "50-"}, False),
        ({"Amount": "--50"}, False), ({"Amount": "-1,000,000,001"}, False), ({"Amount": "0.0000001"}, False),
        ({"Amount": "12,34"}, False),
        ({"Detail": ""}, True), ({"Detail": 'Goodwill, "ticket 4411"\nsecond line\r\nthird'}, True),
        ({"Detail": "x" * (FIELD_LIMIT + 1)}, False),
    ],
}
ws_cases = {t: [c if isinstance(c, tuple) else (c, False) for c in cs] for t, cs in ws_cases.items()}
for t in ("conv", "mcp", "imp"):
    ws_cases[t] += [({"Credits": v}, ok) for v, ok in credits_cases]
for t in WS:
    time_column = WS_REQUIRED[t][2]
    ws_cases[t] += [({time_column: v}, ok) for v, ok in time_cases]
for t in WS:
    n_rows = len(WS[t][1])
    for n, (changes, ok) in enumerate(ws_cases[t]):
        name = "-".join(c.lower().replace(" ", "_") for c in changes)
        k = WS_ROW[t]
        put(f"ws-{t}-field-{n:02}-{name}.csv", ws_with(t, k, changes), entries(n_rows) if ok else refused(k + 2))
# A Package reset sets the balance to its Amount: zero or more.
adj_n = len(WS["adj"][1])
for n, (value, ok) in enumerate([("-5,000", False), ("\u22125,000", False), ("-0.000001", False), ("0", True), ("+5,000", True), ("5000.00", True), ("", False)]):
    put(f"ws-adj-reset-{n:02}-amount.csv", ws_with("adj", RESET, {"Amount": value}), entries(adj_n) if ok else refused(RESET + 2))
put("ws-adj-reset-type-case.csv", ws_with("adj", RESET, {"Type": "PACKAGE RESET"}), entries(adj_n))
put("ws-adj-reset-type-case-negative.csv", ws_with("adj", RESET, {"Type": "package reset", "Amount": "-1"}), refused(RESET + 2))
# Identical rows stay apart: a third copy of the referral reward, the same row at the same
# instant written with an offset, every row the same.
rows = ws_rows("adj")
put("ws-adj-three-identical.csv", feed(WS["adj"][0], rows[:4] + [rows[3]] + rows[4:]), entries(adj_n + 1))
rows = ws_rows("adj")
rows[4][3] = "2026-03-10T07:00:00-05:00"
put("ws-adj-identical-by-offset.csv", feed(WS["adj"][0], rows), entries(adj_n))
put("ws-adj-all-identical.csv", feed(WS["adj"][0], [WS["adj"][1][3]] * 5), entries(5))
# A conversation whose row repeats in one export.
rows = ws_rows("conv")
put("ws-conv-same-row-twice.csv", feed(WS["conv"][0], rows + [rows[2]]), entries(len(rows) + 1))

# Shapes, for each tab.
for t, (head, trows) in WS.items():
    n_rows, k = len(trows), WS_ROW[t]
    text = feed(head, trows)
    rev = list(reversed(range(len(head))))
    put(f"ws-{t}-header-upper.csv", feed([h.upper() for h in head], trows), entries(n_rows))
    put(f"ws-{t}-header-lower-reversed.csv", feed([head[i].lower() for i in rev], [[r[i] for i in rev] for r in trows]), entries(n_rows))
    put(f"ws-{t}-header-padded.csv", feed([f" {h} " for h in head], trows), entries(n_rows))
    put(f"ws-{t}-extra-column.csv", feed(head[:2] + ["Notes"] + head[2:], [r[:2] + ["n/a"] + r[2:] for r in trows]), entries(n_rows))
    gone = "Detail" if t == "adj" else "User"
    i = head.index(gone)
    put(f"ws-{t}-no-{gone.lower()}-column.csv", feed(head[:i] + head[i + 1 :], [r[:i] + r[i + 1 :] for r in trows]), entries(n_rows))
    for column in WS_REQUIRED[t]:
        i = head.index(column)
        name = column.lower().replace(" ", "-")
        put(f"ws-{t}-missing-{name}.csv", feed(head[:i] + head[i + 1 :], [r[:i] + r[i + 1 :] for r in trows]), refused(1))
    put(f"ws-{t}-bom-crlf.csv", "\ufeff" + feed(head, trows, "\r\n"), entries(n_rows))
    put(f"ws-{t}-bom-crlf-no-final-newline.csv", "\ufeff" + feed(head, trows, "\r\n")[:-2], entries(n_rows))
    put(f"ws-{t}-cr-only.csv", feed(head, trows, "\r"), entries(n_rows))
    put(f"ws-{t}-no-final-newline.csv", text[:-1], entries(n_rows))
    put(f"ws-{t}-utf16le-bom.csv", b"\xff\xfe" + text.encode("utf-16-le"), entries(n_rows))
    put(f"ws-{t}-utf16be-bom-crlf.csv", b"\xfe\xff" + feed(head, trows, "\r\n").encode("utf-16-be"), entries(n_rows))
    put(f"ws-{t}-utf16le-nobom.csv", text.encode("utf-16-le"), refused(1))
    money = head.index(WS_MONEY[t])
    bad = ws_with(t, k, {WS_MONEY[t]: "1O"})
    put(f"ws-{t}-utf16le-bad-{WS_MONEY[t].lower()}.csv", b"\xff\xfe" + bad.encode("utf-16-le"), refused(k + 2))
    put(f"ws-{t}-header-only.csv", feed(head, []), entries(0))
    put(f"ws-{t}-header-only-no-newline.csv", ",".join(head), entries(0))
    put(f"ws-{t}-header-only-bom-crlf.csv", "\ufeff" + feed(head, [], "\r\n"), entries(0))
    put(f"ws-{t}-duplicate-{WS_MONEY[t].lower()}.csv", feed(head + [WS_MONEY[t]], [r + [r[money]] for r in trows]), refused(1))
    idc = head.index(WS_ID[t])
    put(f"ws-{t}-duplicate-id-case.csv", feed(head + [WS_ID[t].upper()], [r + [r[idc]] for r in trows]), refused(1))
    rows = ws_rows(t)
    rows[k] = rows[k][:2]
    put(f"ws-{t}-row-too-few-fields.csv", feed(head, rows), refused(k + 2))
    rows = ws_rows(t)
    rows[k] = rows[k] + ["extra"]
    put(f"ws-{t}-row-extra-field.csv", feed(head, rows), refused(k + 2))
    rows = ws_rows(t)
    rows.insert(k, [])
    put(f"ws-{t}-blank-line.csv", feed(head, rows), entries(n_rows))
    # A quoted value with a comma, then the file cut inside it.
    quoted = ws_with(t, k, {WS_TEXT[t]: "cut, right here"})
    cut = quoted.index('"cut, right here"') + 6
    put(f"ws-{t}-cut-in-quote.csv", quoted[:cut], refused(line_of(quoted.encode(), cut)))
    # The last row cut after its first field.
    last = text.rstrip("\n").rindex("\n") + 1
    cut = text.index(",", last) + 1
    put(f"ws-{t}-cut-short-row.csv", text[:cut], refused(line_of(text.encode(), cut)))
    # Line breaks inside a quoted value move the rows after it down.
    rows = list(_csv.reader(_io.StringIO(ws_with(t, 0, {WS_TEXT[t]: "two\nline\r\nbreaks"}))))
    rows[k + 1][money] = "lots"
    put(f"ws-{t}-quoted-newline-then-bad-{WS_MONEY[t].lower()}.csv", feed(rows[0], rows[1:]), refused(k + 4))
    put(f"ws-{t}-nul-{WS_MONEY[t].lower()}.csv", ws_with(t, k, {WS_MONEY[t]: "1\u00002"}), refused(k + 2))
    put(f"ws-{t}-nul-{WS_TEXT[t].lower().replace(' ', '_')}.csv", ws_with(t, k, {WS_TEXT[t]: "plain\u0000text"}), entries(n_rows))
    put(f"ws-{t}-latin1-{WS_TEXT[t].lower().replace(' ', '_')}.csv", ws_with(t, k, {WS_TEXT[t]: "Cr\u00e9dit"}).encode("latin-1"), refused(k + 2))


with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(dict(sorted(expected.items())), f, indent=1, sort_keys=True)
    f.write("\n")
acc = sum(1 for e in expected.values() if "entries" in e)
print(f"{len(expected)} files: {len(expected) - acc} refused, {acc} accepted")
