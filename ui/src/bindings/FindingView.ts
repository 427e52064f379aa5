// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type FindingView = { id: string, chainId: number, kind: string, severity: "error" | "warning", transactionIds: Array<string>, entryIds: Array<number>, delta: string | null, message: string, ts: string | null, explained: boolean, note: string | null, };
