//! The mapping builder (FORMATS.md section 7): pick any CSV, see its first 20 rows read with the
//! profile being built (each role's cell and the rows that would fail), name the roles, save
//! the profile by name (the same TOML file `reckon profile save` writes), import with it.

import { useEffect, useState } from "react";
import type { PreviewView } from "../bindings/PreviewView";
import type { ProfileView } from "../bindings/ProfileView";
import { E2ePathInput, ErrorBlock } from "../components/common";
import { pickImportFiles } from "../lib/dialogs";
import { type ApiError, toApiError } from "../lib/errors";
import { useImportWithProfile, useProfiles, useSaveProfile } from "../queries";
import { api } from "../api";

const EMPTY: ProfileView = {
  delimiter: ";",
  decimalSeparator: ",",
  thousandsSeparator: ".",
  dateFormat: "DD.MM.YYYY",
  timeZone: "UTC",
  idColumn: null,
  timeColumn: "",
  amountColumn: null,
  debitColumn: null,
  creditColumn: null,
  balanceColumn: null,
  typeColumn: null,
  descriptionColumn: null,
  dimensionColumns: [],
};

type Role = "idColumn" | "timeColumn" | "amountColumn" | "debitColumn" | "creditColumn" | "balanceColumn" | "typeColumn" | "descriptionColumn";

const ROLES: { key: Role; label: string }[] = [
  { key: "timeColumn", label: "Time (required)" },
  { key: "idColumn", label: "Transaction ID" },
  { key: "amountColumn", label: "Signed amount" },
  { key: "debitColumn", label: "Debit" },
  { key: "creditColumn", label: "Credit" },
  { key: "balanceColumn", label: "Balance after" },
  { key: "typeColumn", label: "Type" },
  { key: "descriptionColumn", label: "Description" },
];

export function MappingScreen({ onImported }: { onImported: () => void }) {
  const [path, setPath] = useState<string | null>(null);
  const [e2ePath, setE2ePath] = useState("");
  const [profile, setProfile] = useState<ProfileView>(EMPTY);
  const [preview, setPreview] = useState<PreviewView | null>(null);
  const [name, setName] = useState("");
  const [account, setAccount] = useState("");
  const [err, setErr] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const profiles = useProfiles();
  const saver = useSaveProfile();
  const importer = useImportWithProfile();

  // The preview follows every change of the file or the profile.
  useEffect(() => {
    if (!path) return;
    let live = true;
    api
      .previewProfile(path, profile)
      .then((p) => live && (setPreview(p), setErr(null)))
      .catch((e) => live && setErr(toApiError(e)));
    return () => {
      live = false;
    };
  }, [path, profile]);

  const pick = async () => {
    const picked = await pickImportFiles(e2ePath);
    if (picked && picked.length > 0) setPath(picked[0]);
  };

  const set = <K extends keyof ProfileView>(key: K, value: ProfileView[K]) => setProfile((p) => ({ ...p, [key]: value }));

  const load = async (n: string) => {
    try {
      setProfile(await api.loadProfile(n));
      setName(n);
      setErr(null);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const save = async () => {
    try {
      const where = await saver.mutateAsync({ name: name.trim(), profile });
      setNotice(`Saved profile ${name.trim()} to ${where}`);
      setErr(null);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const runImport = async () => {
    if (!path) return;
    try {
      // What is shown is what imports: the profile is saved first.
      await saver.mutateAsync({ name: name.trim(), profile });
      const outcome = await importer.start({ paths: [path], name: name.trim(), account });
      const f = outcome.files[0];
      setNotice(f ? `Imported: ${f.new} new, ${f.known} already known, ${f.conflicting} conflicting` : "Imported.");
      setErr(null);
      onImported();
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const header = preview?.header ?? [];
  const failing = preview?.rows.filter((r) => r.error) ?? [];
  const roleCount = preview?.rows[0]?.cells.length ?? 0;

  return (
    <div className="screen mapping" data-testid="mapping-screen">
      <h1>Mapping profile</h1>
      <p className="muted">
        Any CSV: pick a file, name which column holds each role, check the first 20 rows, save the profile by name and import
        with it (the CLI reads the same profile: <code>reckon import --profile NAME FILE</code>).
      </p>
      {err && <ErrorBlock error={err} onDismiss={() => setErr(null)} />}
      {notice && <div className="notice" data-testid="mapping-notice">{notice}</div>}
      <div className="row">
        <button onClick={() => void pick()} data-testid="mapping-pick">
          Pick a CSV…
        </button>
        <E2ePathInput value={e2ePath} onChange={setE2ePath} testid="mapping-path" placeholder="E2E: CSV path" />
        <span className="muted small">{path ?? "no file yet"}</span>
        {profiles.data && profiles.data.length > 0 && (
          <label>
            Start from{" "}
            <select data-testid="mapping-load" value="" onChange={(e) => e.target.value && void load(e.target.value)}>
              <option value="">a saved profile…</option>
              {profiles.data.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <fieldset className="mapping-form">
        <legend>How the file is written</legend>
        <label>
          Delimiter{" "}
          <select data-testid="mapping-delimiter" value={profile.delimiter} onChange={(e) => set("delimiter", e.target.value)}>
            <option value=";">; (semicolon)</option>
            <option value=",">, (comma)</option>
            <option value={"\t"}>tab</option>
            <option value="|">| (bar)</option>
          </select>
        </label>
        <label>
          Decimal separator{" "}
          <select value={profile.decimalSeparator} onChange={(e) => set("decimalSeparator", e.target.value)}>
            <option value=",">, (1.234,56)</option>
            <option value=".">. (1,234.56)</option>
          </select>
        </label>
        <label>
          Thousands separator{" "}
          <select
            value={profile.thousandsSeparator ?? ""}
            onChange={(e) => set("thousandsSeparator", e.target.value === "" ? null : e.target.value)}
          >
            <option value="">none</option>
            <option value=".">.</option>
            <option value=",">,</option>
            <option value="'">'</option>
            <option value=" ">space</option>
          </select>
        </label>
        <label>
          Date format{" "}
          <input data-testid="mapping-date" value={profile.dateFormat} onChange={(e) => set("dateFormat", e.target.value)} />
        </label>
        <label>
          Time zone{" "}
          <input value={profile.timeZone} onChange={(e) => set("timeZone", e.target.value)} placeholder="UTC or +02:00" />
        </label>
      </fieldset>
      <fieldset className="mapping-form">
        <legend>Roles (an amount, or a debit and a credit column)</legend>
        {ROLES.map((r) => (
          <label key={r.key}>
            {r.label}{" "}
            <select
              data-testid={`mapping-role-${r.key}`}
              value={(profile[r.key] as string | null) ?? ""}
              onChange={(e) => set(r.key, (e.target.value || (r.key === "timeColumn" ? "" : null)) as never)}
            >
              <option value="">—</option>
              {header.map((h) => (
                <option key={h} value={h}>
                  {h}
                </option>
              ))}
            </select>
          </label>
        ))}
        <label>
          Extra dimensions{" "}
          <select
            multiple
            data-testid="mapping-dimensions"
            value={profile.dimensionColumns}
            onChange={(e) => set("dimensionColumns", Array.from(e.target.selectedOptions, (o) => o.value).slice(0, 4))}
          >
            {header.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {preview?.error && (
        <div className="error-text" data-testid="mapping-preview-error">
          {preview.error}
        </div>
      )}
      {preview && preview.rows.length > 0 && roleCount > 0 && (
        <>
          <p className="small" data-testid="mapping-summary">
            {preview.rows.length} rows shown, {failing.length} would fail
            {failing.length > 0 && `: lines ${failing.map((r) => r.line).join(", ")}`}
          </p>
          <table className="table mapping-preview" data-testid="mapping-preview">
            <thead>
              <tr>
                <th>Line</th>
                {preview.rows[0].cells.map((c, i) => (
                  <th key={i}>
                    {c.column}
                    <div className="muted small">{c.role}</div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((r) => (
                <tr key={r.line} className={r.error ? "row-error" : ""} data-testid={`mapping-row-${r.line}`}>
                  <td>{r.line}</td>
                  {r.cells.map((c, i) => (
                    <td key={i} className={c.error ? "cell-error" : ""} title={c.error ?? c.text}>
                      {c.error ? <span className="error-text">{c.text || "(empty)"}</span> : c.value}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {failing.map((r) => (
            <div key={r.line} className="error-text small" data-testid={`mapping-row-error-${r.line}`}>
              {r.error}
            </div>
          ))}
        </>
      )}
      <div className="row">
        <label>
          Profile name <input data-testid="mapping-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="bank-de" />
        </label>
        <button className="primary" data-testid="mapping-save" disabled={!name.trim() || saver.isPending} onClick={() => void save()}>
          Save profile
        </button>
        <label>
          Account <input value={account} onChange={(e) => setAccount(e.target.value)} placeholder="default" />
        </label>
        <button
          data-testid="mapping-import"
          disabled={!path || !name.trim() || importer.running || failing.length > 0}
          onClick={() => void runImport()}
        >
          Import with this profile
        </button>
      </div>
    </div>
  );
}
