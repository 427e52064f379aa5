// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type BalanceSeries = { points: Array<{ ts: string, balance: string, }>, marks: Array<{ findingId: string, ts: string, kind: string, severity: string, entryIds: Array<number>, }>, };
