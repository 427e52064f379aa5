//! The About panel: which Reckon this is. Name and version come from the shell (`about`), the
//! workspace's version in Cargo.toml, which `reckon --version` and the installers carry too.

import { useEffect } from "react";
import { useAbout, useDatabasePath } from "../queries";

export function AboutPanel({ onClose }: { onClose: () => void }) {
  const about = useAbout();
  const database = useDatabasePath();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  return (
    <div className="about-backdrop" onClick={onClose}>
      <div
        className="panel about"
        role="dialog"
        aria-label="About Reckon"
        data-testid="about"
        onClick={(e) => e.stopPropagation()}
      >
        <h2>{about.data?.name ?? "Reckon"}</h2>
        <p>
          Version <strong data-testid="about-version">{about.data?.version ?? "…"}</strong>
        </p>
        <p className="muted small">Reconciles prepaid-credit ledgers, offline, on a local SQLite database.</p>
        <dl className="about-facts small">
          <dt>Database</dt>
          <dd className="mono" data-testid="about-database">{database.data ?? "…"}</dd>
          <dt>Tauri</dt>
          <dd>{about.data?.tauriVersion ?? "…"}</dd>
        </dl>
        <p className="muted small">The same version as <code>reckon --version</code>.</p>
        <button className="primary" data-testid="about-close" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}
