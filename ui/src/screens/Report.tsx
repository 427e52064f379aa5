//! Draft a support or customer report from chosen findings; edit it, copy it, save it as Markdown.

import { useEffect, useState } from "react";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { api, type Audience } from "../api";
import type { ChainView } from "../bindings/ChainView";
import type { FindingView } from "../bindings/FindingView";
import { E2ePathInput, ErrorBlock } from "../components/common";
import { pickSavePath } from "../lib/dialogs";
import { type ApiError, toApiError } from "../lib/errors";
import { groupFindings, openFindingIds } from "../lib/findings";

export function ReportScreen({ chain, tick }: { chain: ChainView; tick: number }) {
  const [findings, setFindings] = useState<FindingView[] | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [audience, setAudience] = useState<Audience>("support");
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [e2ePath, setE2ePath] = useState("");

  useEffect(() => {
    let live = true;
    api.findings(chain.id).then(
      (fs) => {
        if (!live) return;
        setFindings(fs);
        setChosen(new Set(openFindingIds(fs)));
      },
      (e) => live && setErr(toApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [chain.id, tick]);

  const generate = async () => {
    setBusy(true);
    try {
      const ordered = (findings ?? []).filter((f) => chosen.has(f.id)).map((f) => f.id);
      setDraft(await api.draftReport(chain.id, ordered, audience));
      setErr(null);
      setNotice(null);
    } catch (e) {
      setErr(toApiError(e));
    } finally {
      setBusy(false);
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
      await api.saveText(path, draft);
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
      {err && <ErrorBlock error={err} onDismiss={() => setErr(null)} />}
      <div className="report-layout">
        <div className="panel report-pick">
          <div className="row-between">
            <h2>Findings to include</h2>
            <span className="small">
              <button className="link" onClick={() => setChosen(new Set(list.map((f) => f.id)))}>All</button> ·{" "}
              <button className="link" onClick={() => setChosen(new Set())}>None</button>
            </span>
          </div>
          {!findings && !err && <p className="muted">Loading…</p>}
          {findings && list.length === 0 && <p className="muted">No findings: the report will say the ledger reconciles.</p>}
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
