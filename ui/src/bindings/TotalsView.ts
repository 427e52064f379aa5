// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type TotalsView = { entries: number, creditsIn: string, creditsOut: string, net: string, };
