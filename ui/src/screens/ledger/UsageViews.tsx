//! The usage views of a workspace's credit usage records page: usage per conversation, billing
//! type, API key, import type or user, over the last 7 days, 30 days, 3 months or the filter's
//! range, sorted by most recent or most credits (`usage_summary`, the same views as `reckon
//! summary --by`). Clicking a group narrows the ledger below to it.

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api";
import type { LedgerQuery } from "../../bindings/LedgerQuery";
import type { UsageSort } from "../../bindings/UsageSort";
import { ErrorBlock, Money } from "../../components/common";
import { formatTs } from "../../lib/dates";
import { toApiError } from "../../lib/errors";
import { type LedgerFilters, queryKey, withLabel } from "../../lib/filters";

/** The page's quick picks; "" keeps the filter bar's range. */
const SPANS: Array<[string, string]> = [
  ["", "Filter's range"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["3m", "Last 3 months"],
];

/** The dimension each view groups by (none: the conversation, by its ID). */
const VIEW_DIMENSION: Record<string, string | null> = {
  conversation: null,
  "billing-type": "usage_type",
  "api-key": "api_key",
  "import-type": "usage_type",
  user: "user",
};

interface Props {
  chainId: number;
  query: LedgerQuery;
  filters: LedgerFilters;
  setFilters: (f: LedgerFilters) => void;
  utc: boolean;
}

export function UsageViews({ chainId, query, filters, setFilters, utc }: Props) {
  const views = useQuery({ queryKey: ["chain", chainId, "usage-views"], queryFn: () => api.usageViews(chainId) });
  const [view, setView] = useState("conversation");
  const [last, setLast] = useState("");
  const [sort, setSort] = useState<UsageSort>("recent");
  const [open, setOpen] = useState(true);
  const request = { query, view, last: last || null, sort };
  const rows = useQuery({
    queryKey: ["chain", chainId, "usage", view, last, sort, queryKey(query)],
    queryFn: () => api.usageSummary(request),
    enabled: open && (views.data?.length ?? 0) > 0,
  });
  if (!views.data || views.data.length === 0) return null;

  const narrow = (key: string) => {
    const dimension = VIEW_DIMENSION[view];
    if (dimension === undefined) return;
    if (dimension === null) setFilters({ ...filters, search: key });
    else setFilters(withLabel(filters, dimension, key === "(none)" ? "" : key));
  };

  return (
    <div className="panel usage-views" data-testid="usage-views">
      <div className="row-between">
        <div className="usage-tabs" role="tablist">
          <b>Usage by</b>{" "}
          {views.data.map((v) => (
            <button
              key={v.key}
              role="tab"
              aria-selected={v.key === view}
              className={v.key === view ? "active" : ""}
              data-testid={`usage-view-${v.key}`}
              onClick={() => {
                setView(v.key);
                setOpen(true);
              }}
            >
              {v.title}
            </button>
          ))}
        </div>
        <div className="usage-controls">
          <select aria-label="Span" data-testid="usage-span" value={last} onChange={(e) => setLast(e.target.value)}>
            {SPANS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>{" "}
          <select aria-label="Sort" data-testid="usage-sort" value={sort} onChange={(e) => setSort(e.target.value as UsageSort)}>
            <option value="recent">Most recent</option>
            <option value="credits">Most credits</option>
            <option value="key">By name</option>
          </select>{" "}
          <button className="link" onClick={() => setOpen(!open)}>
            {open ? "Hide" : "Show"}
          </button>
        </div>
      </div>
      {open && rows.error && <ErrorBlock error={toApiError(rows.error)} />}
      {open && rows.data && (
        <div className="usage-table-wrap">
          <table className="usage-table" data-testid="usage-table">
            <thead>
              <tr>
                <th>{views.data.find((v) => v.key === view)?.title ?? view}</th>
                <th className="num">Entries</th>
                <th className="num">Credits used</th>
                <th>Latest</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No usage in this view. Widen the span or clear the filters.
                  </td>
                </tr>
              )}
              {rows.data.map((r) => (
                <tr key={r.key} data-testid="usage-row" data-key={r.key}>
                  <td>
                    <button className="link mono" title="Show these entries in the ledger" onClick={() => narrow(r.key)}>
                      {r.key}
                    </button>
                  </td>
                  <td className="num">{r.entries}</td>
                  <td className="num" data-testid="usage-credits">
                    <Money value={r.creditsUsed} />
                  </td>
                  <td className="mono">{formatTs(r.latest, utc)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
