"""The running-balance check as an analyst would write it in pandas: read the export, put it
oldest first, and flag every row whose balance is not the previous balance plus its amount.

usage: pandas_check.py LEDGER.csv   ->   {"rows": N, "breaks": M} on standard output

Same-second rows are shuffled in a Reverie export and nothing here can order them, so a tie
whose rows came out of order is counted as a break: that is the naive method being measured.
Amounts become integer micro-credits before they are compared; no float is compared for money.

On failure it prints one line on standard error and exits 69 when pandas is missing, 65 when
the CSV does not parse (the messy export: "Balance After", "14,182.94", U+2212 minus).
"""
import json
import sys
from typing import NoReturn


def fail(code: int, message: str) -> NoReturn:
    """One line on standard error, then exit: 69 without the module, 65 when the CSV does not parse."""
    print(f"pandas_check: {message}", file=sys.stderr)
    sys.exit(code)


try:
    import pandas as pd
except ImportError as e:
    fail(69, str(e))


def read(path: str) -> "pd.DataFrame":
    """The export with its time parsed, or exit 65 naming what did not parse."""
    try:
        df = pd.read_csv(path, usecols=["Date", "Amount", "Balance after"])
        for column in ("Amount", "Balance after"):
            if not pd.api.types.is_numeric_dtype(df[column]):
                raise ValueError(f"column {column!r} did not parse as numbers")
        df["ts"] = pd.to_datetime(df["Date"], utc=True, format="ISO8601")
    except ValueError as e:  # pandas' parser and date errors are ValueErrors
        fail(65, f"{path}: {e}")
    return df


def main(path: str) -> None:
    df = read(path)
    # The export is newest first; reverse it, then a stable sort by time puts it oldest first.
    df = df.iloc[::-1].sort_values("ts", kind="stable")
    amount = (df["Amount"] * 1_000_000).round().astype("int64")
    balance = (df["Balance after"] * 1_000_000).round().astype("int64")
    expected = balance.shift(1) + amount
    breaks = int((balance != expected).iloc[1:].sum())
    print(json.dumps({"rows": len(df), "breaks": breaks}))


if __name__ == "__main__":
    main(sys.argv[1])
