"""The running-balance check in DuckDB, straight off the CSV with no persistent store:
read_csv, then LAG over the rows ordered by time, and count the rows whose balance is not the
previous balance plus their amount.

usage: duckdb_check.py LEDGER.csv   ->   {"rows": N, "breaks": M} on standard output

Amounts are read as DECIMAL(18, 6), so the comparison is exact. Same-second rows are shuffled
in a Reverie export and ORDER BY time cannot order them, so an out-of-order tie counts as a
break (and which ties do varies from run to run): that is the naive method being measured.

On failure it prints one line on standard error and exits 69 when duckdb is missing, 65 when
the CSV does not parse (the messy export: "14,182.94", U+2212 minus).
"""
import json
import sys
from typing import NoReturn


def fail(code: int, message: str) -> NoReturn:
    """One line on standard error, then exit: 69 without the module, 65 when the CSV does not parse."""
    print(f"duckdb_check: {message}", file=sys.stderr)
    sys.exit(code)


try:
    import duckdb
except ImportError as e:
    fail(69, str(e))


def one_line(e: Exception) -> str:
    """DuckDB's first line of the error, and the value it could not convert when it says."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    detail = [line for line in lines[1:] if line.startswith("Error when converting")]
    return " ".join(lines[:1] + detail[:1])


def main(path: str) -> None:
    con = duckdb.connect()
    try:
        rows, breaks = con.execute(
            """
            WITH ledger AS (
                SELECT "Date"::TIMESTAMPTZ AS ts, "Amount" AS amount, "Balance after" AS balance
                FROM read_csv(?, header = true,
                              types = {'Amount': 'DECIMAL(18,6)', 'Balance after': 'DECIMAL(18,6)'})
            ),
            walked AS (
                SELECT amount, balance, LAG(balance) OVER (ORDER BY ts) AS previous FROM ledger
            )
            SELECT count(*), count(*) FILTER (WHERE previous IS NOT NULL AND previous + amount <> balance)
            FROM walked
            """,
            [path],
        ).fetchone()
    except duckdb.Error as e:
        fail(65, f"{path}: {one_line(e)}")
    print(json.dumps({"rows": rows, "breaks": breaks}))


if __name__ == "__main__":
    main(sys.argv[1])
