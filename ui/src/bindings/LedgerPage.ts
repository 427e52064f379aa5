// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
import type { LedgerRowView } from "./LedgerRowView";

/**
 * Rows are newest first.
 */
export type LedgerPage = { rows: Array<LedgerRowView>, total: number, };
