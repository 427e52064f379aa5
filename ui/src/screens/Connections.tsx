//! API accounts on the Ledgers screen: "Connect account…" (source, base URL, key, customer or
//! all customers) and, per connection, how often it syncs on its own (with where that stands:
//! next sync, "paused: offline"), "Sync now" with a progress line (pages, entries, rate),
//! Cancel and the outcome. The key goes to the shell once and is never shown again.

import { useState } from "react";
import type { ConnectionView } from "../bindings/ConnectionView";
import type { ScheduleView } from "../bindings/ScheduleView";
import type { SyncOutcomeView } from "../bindings/SyncOutcomeView";
import type { SyncProgressEvent } from "../bindings/SyncProgressEvent";
import type { VendorView } from "../bindings/VendorView";
import { api } from "../api";
import { ErrorBlock } from "../components/common";
import { toApiError } from "../lib/errors";
import { useConnectAccount, useConnections, useSetSyncPeriod, useSyncNow, useVendors } from "../queries";

export function describeSyncProgress(e: SyncProgressEvent): string {
  const rate = Math.round(e.entriesPerSecond);
  return `${e.pages} pages, ${e.entries} entries (${e.new} new, ${e.known} already known), ${rate} entries/s`;
}

export function describeSyncOutcome(o: SyncOutcomeView): string {
  const customers = o.customers > 0 ? `${o.customers} customers, ` : "";
  const head = o.cancelled ? "Sync cancelled; what was stored stays and the next sync resumes" : "Synced";
  const stated = o.statedBalance !== null ? `; the API states ${o.statedBalance}` : "";
  return `${head}: ${customers}${o.pages} pages, ${o.entries} entries: ${o.new} new, ${o.known} already known, ${o.conflicting} conflicting${stated}.`;
}

/** The periods a connection can sync at on its own, in seconds (0: only when asked). */
export const PERIODS: { secs: number; label: string }[] = [
  { secs: 0, label: "only when asked" },
  { secs: 300, label: "every 5 min" },
  { secs: 900, label: "every 15 min" },
  { secs: 1800, label: "every 30 min" },
  { secs: 3600, label: "every hour" },
  { secs: 4 * 3600, label: "every 4 hours" },
];

function clock(ts: string): string {
  return ts.slice(11, 19) + " UTC";
}

/** Where a connection's scheduled syncs stand, in a few words. */
export function describeSchedule(s: ScheduleView): string {
  const failed = s.lastError ? ` (last sync failed: ${s.lastError})` : "";
  switch (s.state) {
    case "off":
      return "Syncs only when asked";
    case "syncing":
      return "Syncing on schedule…";
    case "offline":
      return `Paused: offline; trying again at ${s.nextAt ? clock(s.nextAt) : "a later time"}${failed}`;
    case "waiting":
      return `Next sync at ${s.nextAt ? clock(s.nextAt) : "—"}${s.overridden ? ` (every ${s.periodSecs} s, RECKON_SYNC_PERIOD_SECS)` : ""}${failed}`;
  }
}

export function Connections({ disabled }: { disabled: boolean }) {
  const connections = useConnections();
  const vendors = useVendors();
  const vendorOf = (name: string) => vendors.data?.find((v) => v.name === name);
  const [open, setOpen] = useState(false);
  const sync = useSyncNow();
  const running = sync.running;
  const setPeriod = useSetSyncPeriod();

  const start = (c: ConnectionView) => {
    // Failures show from the job's error.
    sync.start(c.id).catch(() => {});
  };

  return (
    <div className="panel connections" data-testid="connections">
      <div className="row-between">
        <strong>API accounts</strong>
        <button data-testid="connect-account" onClick={() => setOpen(true)} disabled={disabled || running}>
          Connect account…
        </button>
      </div>
      {open && <ConnectDialog vendors={vendors.data ?? []} onClose={() => setOpen(false)} />}
      {vendors.error && <ErrorBlock error={toApiError(vendors.error, "list_vendors")} />}
      {connections.error && <ErrorBlock error={toApiError(connections.error, "list_connections")} />}
      {(connections.data ?? []).length > 0 && (
        <table className="grid compact">
          <tbody>
            {(connections.data ?? []).map((c) => (
              <tr key={c.id} data-testid="connection" data-connection-id={c.id}>
                <td>{vendorOf(c.source)?.title ?? c.source}</td>
                <td className="mono">{c.baseUrl}</td>
                <td>{vendorOf(c.source)?.perCustomer ? (c.customer ?? "all customers") : ""}</td>
                <td>
                  <select
                    aria-label="Sync on its own"
                    data-testid="sync-period"
                    value={c.periodSecs}
                    disabled={setPeriod.isPending}
                    onChange={(e) => setPeriod.mutate({ connectionId: c.id, periodSecs: Number(e.target.value) })}
                  >
                    {PERIODS.some((p) => p.secs === c.periodSecs) ? null : (
                      <option value={c.periodSecs}>every {c.periodSecs} s</option>
                    )}
                    {PERIODS.map((p) => (
                      <option key={p.secs} value={p.secs}>
                        {p.label}
                      </option>
                    ))}
                  </select>{" "}
                  <span
                    className={`small ${c.schedule.state === "offline" ? "sev-warning" : "muted"}`}
                    data-testid="sync-schedule"
                    data-state={c.schedule.state}
                  >
                    {describeSchedule(c.schedule)}
                  </span>
                </td>
                <td>
                  <button
                    className="primary"
                    data-testid="sync-now"
                    onClick={() => start(c)}
                    disabled={disabled || running}
                  >
                    Sync now
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {running && (
        <div className="row-between" role="status">
          <span data-testid="sync-progress">{sync.progress ? describeSyncProgress(sync.progress) : "Connecting…"}</span>
          <button data-testid="sync-cancel" onClick={() => void api.cancelSync()}>
            Cancel
          </button>
        </div>
      )}
      {sync.outcome && (
        <div className="small" data-testid="sync-outcome">
          {describeSyncOutcome(sync.outcome)}
        </div>
      )}
      {sync.error && <ErrorBlock error={sync.error} onDismiss={() => sync.reset()} />}
      {setPeriod.error && (
        <ErrorBlock error={toApiError(setPeriod.error, "set_sync_period")} onDismiss={() => setPeriod.reset()} />
      )}
    </div>
  );
}

function ConnectDialog({ vendors, onClose }: { vendors: VendorView[]; onClose: () => void }) {
  // Until the user picks one, the first vendor of the table.
  const [picked, setSource] = useState<string | null>(null);
  const source = picked ?? vendors[0]?.name ?? "";
  const [baseUrl, setBaseUrl] = useState("");
  const [key, setKey] = useState("");
  const [customer, setCustomer] = useState("");
  const [allCustomers, setAllCustomers] = useState(true);
  const connect = useConnectAccount();
  const [message, setMessage] = useState<string | null>(null);
  const vendor = vendors.find((v) => v.name === source);
  const perCustomer = vendor?.perCustomer ?? false;
  // Lago lists wallets per customer only: a wallet must be named.
  const canAll = vendor?.allCustomers ?? false;
  const all = canAll && allCustomers;

  const save = () => {
    connect.mutate(
      {
        source,
        baseUrl: baseUrl.trim(),
        key,
        customer: perCustomer && !all ? customer.trim() : null,
        allCustomers: perCustomer && all,
      },
      {
        onSuccess: (o) => {
          setKey("");
          setMessage(o.message);
        },
      },
    );
  };

  return (
    <div className="panel dialog" role="dialog" aria-label="Connect account" data-testid="connect-dialog">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <label>
          Source{" "}
          <select data-testid="connect-source" value={source} onChange={(e) => setSource(e.target.value)}>
            {vendors.map((v) => (
              <option key={v.name} value={v.name}>
                {v.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Base URL{" "}
          <input
            data-testid="connect-base-url"
            placeholder="https://api.example.com"
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
          />
        </label>
        <label>
          API key{" "}
          <input
            data-testid="connect-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
        </label>
        {perCustomer && (
          <>
            {canAll && (
              <label>
                <input
                  type="checkbox"
                  data-testid="connect-all-customers"
                  checked={allCustomers}
                  onChange={(e) => setAllCustomers(e.target.checked)}
                />{" "}
                All {vendor?.customerTitle.toLowerCase() ?? "customer"}s
              </label>
            )}
            <label>
              {vendor?.customerTitle ?? "Customer"}{" "}
              <input
                data-testid="connect-customer"
                disabled={all}
                value={customer}
                onChange={(e) => setCustomer(e.target.value)}
              />
            </label>
          </>
        )}
        <div className="actions">
          <button type="submit" className="primary" data-testid="connect-save" disabled={connect.isPending}>
            Connect
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {message && (
        <p className="small" data-testid="connect-message">
          {message}
        </p>
      )}
      {connect.error && (
        <ErrorBlock error={toApiError(connect.error, "connect_account")} onDismiss={() => connect.reset()} />
      )}
    </div>
  );
}
