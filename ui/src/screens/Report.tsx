//! Draft a support or customer report from chosen findings; edit it, copy it, save it as Markdown.

import { useState } from "react";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import type { Audience } from "../bindings/Audience";
import type { ChainView } from "../bindings/ChainView";
import { E2ePathInput, ErrorBlock } from "../components/common";
import { pickSavePath } from "../lib/dialogs";
import { type ApiError, toApiError } from "../lib/errors";
import { groupFindings, openFindingIds } from "../lib/findings";
import { useDraftReport, useFindings, useSaveText } from "../queries";

/** Mount one per chain (key it by the chain's id). */
export function ReportScreen({ chain }: { chain: ChainView }) {
  const findingsQuery = useFindings(chain.id);
  const findings = findingsQuery.data ?? null;
  const drafter = useDraftReport(chain.id);
  const saver = useSaveText();
  // The findings picked; until the person picks, every open one. New findings (after an
  // explain elsewhere) reset the pick to the open ones again.
  const [picked, setPicked] = useState<{ of: typeof findings; ids: Set<string> } | null>(null);
  const chosen = picked && picked.of === findings ? picked.ids : new Set(findings ? openFindingIds(findings) : []);
  const setChosen = (f: (s: Set<string>) => Set<string>) => setPicked({ of: findings, ids: f(chosen) });
  const [audience, setAudience] = useState<Audience>("support");
  const [draft, setDraft] = useState("");
  const [actErr, setErr] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [e2ePath, setE2ePath] = useState("");
  const busy = drafter.isPending;
  const err = actErr ?? (findingsQuery.error ? toApiError(findingsQuery.error) : null);

  const generate = async () => {
    try {
      const ordered = (findings ?? []).filter((f) => chosen.has(f.id)).map((f) => f.id);
      setDraft(await drafter.mutateAsync({ findingIds: ordered, audience }));
      setErr(null);
      setNotice(null);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const copy = async () => {
    try {
      await writeText(draft);
      setNotice("Copied to the clipboard.");
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const saveMd = async () => {
    const name = `reckon-${audience}-report-${chain.account.replace(/[^\w.-]+/g, "_")}.md`;
    const path = await pickSavePath(name, { name: "Markdown", extensions: ["md"] }, e2ePath);
    if (!path) return;
    try {
      await saver.mutateAsync({ path, content: draft });
      setNotice(`Saved to ${path}`);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const toggle = (id: string) =>
    setChosen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const g = findings ? groupFindings(findings) : null;
  const list = g ? [...g.errors, ...g.warnings, ...g.explained] : [];

  return (
    <section className="screen">
      <header className="screen-head">
        <h1>
          Report <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
      </header>
      {err && (
        <ErrorBlock
          error={err}
          onDismiss={() => {
            setErr(null);
            if (findingsQuery.error) void findingsQuery.refetch();
          }}
        />
      )}
      <div className="report-layout">
        <div className="panel report-pick">
          <div className="row-between">
            <h2>Findings to include</h2>
            <span className="small">
              <button className="link" onClick={() => setChosen(() => new Set(list.map((f) => f.id)))}>All</button> ·{" "}
              <button className="link" onClick={() => setChosen(() => new Set())}>None</button>
            </span>
          </div>
          {!findings && !err && <p className="muted">Loading…</p>}
          {findings && list.length === 0 && <p className="muted" data-testid="report-empty">No findings: the report will say the ledger reconciles. Draft it to send as a confirmation, or import a newer export on the Ledgers screen first.</p>}
          <ul className="pick-list">
            {list.map((f) => (
              <li key={f.id}>
                <label>
                  <input type="checkbox" data-testid="report-finding" data-finding-id={f.id} checked={chosen.has(f.id)} onChange={() => toggle(f.id)} />{" "}
                  <span className={`sev-${f.severity}`}>{f.severity}</span> · {f.kind}
                  {f.explained && <span className="muted"> (explained)</span>}
                  <div className="muted small ellip" title={f.message}>
                    {f.message}
                  </div>
                </label>
              </li>
            ))}
          </ul>
          <label className="block">
            Audience
            <select data-testid="report-audience" value={audience} onChange={(e) => setAudience(e.target.value as Audience)}>
              <option value="support">Support (vendor's team)</option>
              <option value="customer">Customer (plain language)</option>
            </select>
          </label>
          <button className="primary" data-testid="report-generate" onClick={() => void generate()} disabled={busy}>
            {busy ? "Drafting…" : "Draft report"}
          </button>
        </div>
        <div className="report-preview">
          <textarea
            data-testid="report-draft"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="Choose findings and an audience, then Draft report. The draft is Markdown and can be edited here."
            spellCheck
          />
          <div className="actions">
            <E2ePathInput value={e2ePath} onChange={setE2ePath} />
            <button data-testid="report-copy" onClick={() => void copy()} disabled={!draft}>
              Copy
            </button>
            <button data-testid="report-save" onClick={() => void saveMd()} disabled={!draft}>
              Save as .md
            </button>
            {notice && (
              <span className="notice-inline" data-testid="notice">
                {notice}
              </span>
            )}
          </div>
        </div>
      </div>
    </section>
  );
}
