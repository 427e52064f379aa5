"""The running-balance check as an analyst would write it in pandas: read the export, put it
oldest first, and flag every row whose balance is not the previous balance plus its amount.

usage: pandas_check.py LEDGER.csv   ->   {"rows": N, "breaks": M} on standard output

Same-second rows are shuffled in a Reverie export and nothing here can order them, so a tie
whose rows came out of order is counted as a break: that is the naive method being measured.
Amounts become integer micro-credits before they are compared; no float is compared for money.
"""
import json
import sys

import pandas as pd


def main(path: str) -> None:
    df = pd.read_csv(path, usecols=["Date", "Amount", "Balance after"])
    for column in ("Amount", "Balance after"):
        if not pd.api.types.is_numeric_dtype(df[column]):
            sys.exit(f"pandas_check: {path}: column {column!r} did not parse as numbers")
    # The export is newest first; reverse it, then a stable sort by time puts it oldest first.
    df = df.iloc[::-1]
    df["ts"] = pd.to_datetime(df["Date"], utc=True, format="ISO8601")
    df = df.sort_values("ts", kind="stable")
    amount = (df["Amount"] * 1_000_000).round().astype("int64")
    balance = (df["Balance after"] * 1_000_000).round().astype("int64")
    expected = balance.shift(1) + amount
    breaks = int((balance != expected).iloc[1:].sum())
    print(json.dumps({"rows": len(df), "breaks": breaks}))


if __name__ == "__main__":
    main(sys.argv[1])
