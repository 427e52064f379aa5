// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
import type { FindingView } from "./FindingView";
import type { LedgerRowView } from "./LedgerRowView";

export type EntryDetailView = { row: LedgerRowView, rawLine: string | null, rawLineNote: string | null, findings: Array<FindingView>, };
