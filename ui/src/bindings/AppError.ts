// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type AppError = { code: "bad_input" | "not_found" | "cancelled" | "io" | "database" | "internal", message: string, };
