// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type ChainView = { id: number, account: string, currency: string, entries: number, ledgerBalance: string | null, statedBalance: string | null, firstTs: string | null, lastTs: string | null, errors: number, warnings: number, explained: number, };
