//! One entry in full: its fields, labels (by the chain's dimensions), the raw source line and
//! the findings that name it.

import { useState } from "react";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import type { ChainView } from "../../bindings/ChainView";
import { ErrorBlock, Money } from "../../components/common";
import { formatTs, zoneLabel } from "../../lib/dates";
import { type ApiError, toApiError } from "../../lib/errors";
import { useEntryDetail } from "../../queries";

interface Props {
  chain: ChainView;
  entryId: number;
  utc: boolean;
  onClose: () => void;
}

export function DetailPanel({ chain, entryId, utc, onClose }: Props) {
  const { data: d, error } = useEntryDetail(chain.id, entryId);
  const [copyErr, setCopyErr] = useState<ApiError | null>(null);
  const [copied, setCopied] = useState(false);

  const copyId = async () => {
    if (!d) return;
    try {
      await writeText(d.row.txnId);
      setCopied(true);
    } catch (e) {
      setCopyErr(toApiError(e));
    }
  };

  const err = error ? toApiError(error) : copyErr;

  return (
    <aside
      className="detail"
      data-testid="entry-detail"
      aria-label="Entry details"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="row-between">
        <h2>Entry</h2>
        <button className="link" data-testid="detail-close" onClick={onClose} aria-label="Close details (Esc)">
          Close
        </button>
      </div>
      {err && <ErrorBlock error={err} />}
      {!d && !err && <p className="muted">Loading…</p>}
      {d && (
        <>
          <dl className="kv">
            <dt>Transaction ID</dt>
            <dd className="mono">
              {d.row.txnId}{" "}
              <button className="link small" onClick={() => void copyId()}>
                {copied ? "Copied" : "Copy"}
              </button>
            </dd>
            <dt>Time</dt>
            <dd className="mono">
              {formatTs(d.row.ts, utc)} {zoneLabel(utc)}
              <div className="muted small">{d.row.ts}</div>
            </dd>
            <dt>Type</dt>
            <dd>{d.row.type}</dd>
            <dt>Description</dt>
            <dd>{d.row.description}</dd>
            <dt>Amount</dt>
            <dd>
              <Money value={d.row.amount} plus />
            </dd>
            <dt>Balance after</dt>
            <dd>
              <Money value={d.row.balanceAfter} />
            </dd>
            {chain.dimensions.map((dim, i) =>
              d.row.labels[i] ? (
                <LabelPair key={dim.key} title={dim.title} value={d.row.labels[i]} />
              ) : null,
            )}
            <dt>Source</dt>
            <dd className="mono small">
              {d.row.sourceFile}:{d.row.sourceLine}
            </dd>
          </dl>
          <h3>Raw source line</h3>
          {d.rawLine !== null ? <pre className="raw" data-testid="raw-line">{d.rawLine}</pre> : <p className="muted">Not available.</p>}
          {d.rawLineNote && <p className="muted small">{d.rawLineNote}</p>}
          <h3>Findings</h3>
          {d.findings.length === 0 ? (
            <p className="muted">None on this entry.</p>
          ) : (
            <ul className="detail-findings">
              {d.findings.map((f) => (
                <li key={f.id} className={`sev-border-${f.severity}`}>
                  <div>
                    <b className={`sev-${f.severity}`}>{f.severity}</b> · {f.kind}
                    {f.explained && <span className="muted"> · explained</span>}
                  </div>
                  <div>{f.message}</div>
                  {f.delta && (
                    <div className="small">
                      Delta <Money value={f.delta} plus />
                    </div>
                  )}
                  {f.note && <div className="muted small">Note: {f.note}</div>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  );
}

function LabelPair({ title, value }: { title: string; value: string | null }) {
  return (
    <>
      <dt>{title}</dt>
      <dd>{value}</dd>
    </>
  );
}
