// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type LedgerQuery = { chainId: number, types: Array<string>, from: string | null, to: string | null, character: string | null, model: string | null, 
/**
 * Transaction ID prefix.
 */
search: string | null, };
