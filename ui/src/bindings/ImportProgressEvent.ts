// Placeholder written by hand from docs/desktop-contract.md; ts-rs will overwrite this file. Keep field names as in the contract.
export type ImportProgressEvent = { file: string, fileIndex: number, files: number, bytesDone: number, bytesTotal: number, stage: "reading" | "storing" | "done", };
