//! Date-range presets for the ledger filter and how times are shown. Ranges are computed
//! relative to a `now` the caller passes (the app passes the wall clock), so they are testable.

export type RangePreset = "all" | "7d" | "30d" | "custom";

export interface RangeChoice {
  preset: RangePreset;
  /** "YYYY-MM-DD", inclusive, in the zone shown (UTC or local); only for "custom". */
  fromDate?: string;
  toDate?: string;
}

export interface Bounds {
  from: string | null;
  to: string | null;
}

const DAY_MS = 86_400_000;

/** RFC 3339 UTC without fractional seconds, e.g. "2024-05-01T12:00:00Z". */
export function toRfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseDay(day: string): [number, number, number] | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
}

/** The instant a calendar day starts (or its last second), in UTC or the local zone. */
function dayInstant(day: string, utc: boolean, endOfDay: boolean): Date | null {
  const p = parseDay(day);
  if (!p) return null;
  const [y, mo, d] = p;
  const [h, mi, s] = endOfDay ? [23, 59, 59] : [0, 0, 0];
  return utc ? new Date(Date.UTC(y, mo, d, h, mi, s)) : new Date(y, mo, d, h, mi, s);
}

/**
 * The `from`/`to` of a LedgerQuery for a preset. "Last N days" means the N×24 hours before
 * `now`. A custom range covers whole days; its end is the day's last second (23:59:59), which
 * compares correctly whether the shell compares instants or RFC 3339 strings.
 */
export function rangeBounds(choice: RangeChoice, now: Date, utc: boolean): Bounds {
  switch (choice.preset) {
    case "all":
      return { from: null, to: null };
    case "7d":
      return { from: toRfc3339(new Date(now.getTime() - 7 * DAY_MS)), to: null };
    case "30d":
      return { from: toRfc3339(new Date(now.getTime() - 30 * DAY_MS)), to: null };
    case "custom": {
      const from = choice.fromDate ? dayInstant(choice.fromDate, utc, false) : null;
      const to = choice.toDate ? dayInstant(choice.toDate, utc, true) : null;
      return { from: from ? toRfc3339(from) : null, to: to ? toRfc3339(to) : null };
    }
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** "YYYY-MM-DD" of an instant in UTC or the local zone (for date inputs). */
export function dayOf(ts: string | Date, utc: boolean): string {
  const d = typeof ts === "string" ? new Date(ts) : ts;
  if (Number.isNaN(d.getTime())) return "";
  return utc
    ? `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "2024-05-01 13:04:05" in UTC or local time; unparseable text is returned unchanged. */
export function formatTs(ts: string, utc: boolean): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const time = utc
    ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    : `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${dayOf(d, utc)} ${time}`;
}

/** "UTC" or the local offset, e.g. "UTC+02:00", for column headers. */
export function zoneLabel(utc: boolean, at: Date = new Date()): string {
  if (utc) return "UTC";
  const off = -at.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The date span of a chain, e.g. "2024-01-02 – 2024-05-01". */
export function formatSpan(first: string | null, last: string | null, utc = true): string {
  if (!first || !last) return "—";
  return `${dayOf(first, utc)} – ${dayOf(last, utc)}`;
}
