"""The running-balance check in DuckDB, straight off the CSV with no persistent store:
read_csv, then LAG over the rows ordered by time, and count the rows whose balance is not the
previous balance plus their amount.

usage: duckdb_check.py LEDGER.csv   ->   {"rows": N, "breaks": M} on standard output

Amounts are read as DECIMAL(18, 6), so the comparison is exact. Same-second rows are shuffled
in a Reverie export and ORDER BY time cannot order them, so an out-of-order tie counts as a
break (and which ties do varies from run to run): that is the naive method being measured.
"""
import json
import sys

import duckdb


def main(path: str) -> None:
    con = duckdb.connect()
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
    print(json.dumps({"rows": rows, "breaks": breaks}))


if __name__ == "__main__":
    main(sys.argv[1])
