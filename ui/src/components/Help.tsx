//! What teaches a first run and what a person comes back to: the `?` list of keyboard
//! shortcuts, the Settings panel (times in UTC or the local zone, the locale numbers and dates
//! are written in), and the three-step tour of the demo ledger (Ledgers, Findings, Report),
//! dismissible for good.

import { useEffect, useState } from "react";
import type { Screen } from "../App";
import { appLocale, formatDateTime, formatDecimal } from "../lib/format";
import { LOCALES } from "../lib/settings";
import { SCREEN_KEYS, SHORTCUTS } from "../lib/shortcuts";
import { useSettings } from "../hooks/useSettings";
import "./help.css";

export function ShortcutsOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="shortcuts" onClick={onClose}>
      <div className="panel overlay-card" onClick={(e) => e.stopPropagation()}>
        <div className="row-between">
          <h2>Keyboard shortcuts</h2>
          <button className="link" onClick={onClose} data-testid="shortcuts-close">
            Close
          </button>
        </div>
        <table className="shortcut-table">
          <tbody>
            {[...SHORTCUTS, ...SCREEN_KEYS].map((s) => (
              <tr key={s.keys}>
                <td>
                  {s.keys.split(" ").map((k, i) => (
                    <kbd key={i}>{k}</kbd>
                  ))}
                </td>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function SettingsPanel({ onClose }: { onClose: () => void }) {
  const [settings, update] = useSettings();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const locale = appLocale();
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Settings" data-testid="settings" onClick={onClose}>
      <div className="panel overlay-card" onClick={(e) => e.stopPropagation()}>
        <div className="row-between">
          <h2>Settings</h2>
          <button className="link" onClick={onClose}>
            Close
          </button>
        </div>
        <label className="stack">
          Times
          <select
            data-testid="settings-zone"
            value={settings.utc ? "utc" : "local"}
            onChange={(e) => update({ utc: e.target.value === "utc" })}
          >
            <option value="utc">UTC (as exports and vendors' pages state them)</option>
            <option value="local">My time zone</option>
          </select>
        </label>
        <label className="stack">
          Numbers and dates
          <select
            data-testid="settings-locale"
            value={settings.locale ?? ""}
            onChange={(e) => update({ locale: e.target.value || null })}
          >
            <option value="">The system's ({navigator.language})</option>
            {LOCALES.map((l) => (
              <option key={l.tag} value={l.tag}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small" data-testid="settings-sample">
          {formatDecimal("-1234567.891234", locale)} · {formatDateTime("2026-03-05T23:30:09Z", locale, { utc: settings.utc })}
        </p>
        <label className="check">
          <input
            type="checkbox"
            checked={!settings.tourDone}
            onChange={(e) => update({ tourDone: !e.target.checked })}
          />
          Show the tour of the demo ledger
        </label>
      </div>
    </div>
  );
}

const TOUR: { screen: Screen; title: string; text: string; next: Screen | null }[] = [
  {
    screen: "ledgers",
    title: "1 of 3 · Ledgers",
    text: "Each ledger is one account's credits in one currency, with its balance and its open findings. The demo ledger has faults planted in it: a balance that breaks, a refund with no charge, an unknown type.",
    next: "findings",
  },
  {
    screen: "findings",
    title: "2 of 3 · Findings",
    text: "Everything that does not add up, errors first. Open one to read it in full, jump to its entries with Show, or mark it explained with a note (j and k step through them).",
    next: "report",
  },
  {
    screen: "report",
    title: "3 of 3 · Report",
    text: "Pick the findings to raise and Reckon drafts the message to the vendor's support or to your customer, with the transaction IDs and amounts. Copy it or save it as Markdown.",
    next: null,
  },
];

/** The first-run tour: shown while a ledger is open and the person has not dismissed it. */
export function Tour({ screen, go, active }: { screen: Screen; go: (s: Screen) => void; active: boolean }) {
  const [settings, update] = useSettings();
  const [step, setStep] = useState(0);
  if (!active || settings.tourDone) return null;
  const s = TOUR[step];
  const done = () => update({ tourDone: true });
  return (
    <aside className="tour panel" data-testid="tour" aria-label="Tour">
      <b>{s.title}</b>
      <p className="small">{s.text}</p>
      <div className="row-between">
        <button className="link small" data-testid="tour-dismiss" onClick={done}>
          Don't show again
        </button>
        {screen !== s.screen ? (
          <button onClick={() => go(s.screen)}>Show me</button>
        ) : s.next ? (
          <button
            className="primary"
            data-testid="tour-next"
            onClick={() => {
              setStep(step + 1);
              go(s.next!);
            }}
          >
            Next
          </button>
        ) : (
          <button className="primary" data-testid="tour-done" onClick={done}>
            Done
          </button>
        )}
      </div>
    </aside>
  );
}
