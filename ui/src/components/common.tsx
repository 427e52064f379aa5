//! Small pieces shared by the screens: money cells, error blocks, the e2e path input.

import { formatMoney, signOf } from "../lib/money";
import { nextStep, type ApiError } from "../lib/errors";
import { e2eEnabled } from "../lib/e2e";

export function Money({ value, plus, testid }: { value: string | null; plus?: boolean; testid?: string }) {
  if (value === null) return <span className="money muted" data-testid={testid}>—</span>;
  const sign = signOf(value);
  return (
    // Only signed amounts are colored (credits green, debits plain); balances stay plain.
    <span className={`money ${plus && sign === "credit" ? "credit" : ""}`} data-testid={testid} data-value={value}>
      {formatMoney(value, { plus })}
    </span>
  );
}

/** An error as the shell worded it (verbatim, monospace), and what to do next. */
export function ErrorBlock({ error, onDismiss }: { error: ApiError; onDismiss?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid="error" data-code={error.code}>
      <div className="error-head">
        <strong>{error.code === "cancelled" ? "Cancelled" : "Error"}</strong>
        <span className="muted"> · {error.code}{error.command ? ` · ${error.command}` : ""}</span>
        {onDismiss && (
          <button className="link" onClick={onDismiss} aria-label="Dismiss">
            Dismiss
          </button>
        )}
      </div>
      <pre className="error-text">{error.message}</pre>
      <div className="error-next">{nextStep(error.code)}</div>
    </div>
  );
}

/**
 * E2E only (see lib/e2e.ts): a path typed by a WebDriver test, used instead of a native dialog
 * (the save dialog's destination, `export-path`; the file to import, `import-path`). Rendered
 * only when sessionStorage 'reckon.e2e' is '1'.
 */
export function E2ePathInput({
  value,
  onChange,
  testid = "export-path",
  placeholder = "E2E: destination path",
}: {
  value: string;
  onChange: (v: string) => void;
  testid?: string;
  placeholder?: string;
}) {
  if (!e2eEnabled()) return null;
  return (
    <input
      className="e2e-path"
      data-testid={testid}
      placeholder={placeholder}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
