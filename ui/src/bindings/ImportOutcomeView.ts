// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type ImportOutcomeView = { files: Array<{ path: string, format: string, new: number, known: number, conflicting: number, }>, };
