// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type Facets = { types: Array<string>, characters: Array<string>, models: Array<string>, };
