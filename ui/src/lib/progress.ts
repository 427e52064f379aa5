//! Import progress as a fraction for the progress bar, from the shell's channel events.

import type { ImportProgressEvent } from "../bindings/ImportProgressEvent";

/**
 * Overall fraction done in [0, 1]. `fileIndex` is taken as 0-based (file 1 of 3 has index 0);
 * within a file, reading counts by bytes and storing as the file's last stretch.
 */
export function importFraction(e: ImportProgressEvent): number {
  if (e.files <= 0) return 0;
  let within: number;
  if (e.stage === "done") within = 1;
  else {
    const bytes = e.bytesTotal > 0 ? Math.min(1, e.bytesDone / e.bytesTotal) : 0;
    within = e.stage === "storing" ? 0.9 + 0.1 * bytes : 0.9 * bytes;
  }
  return Math.max(0, Math.min(1, (e.fileIndex + within) / e.files));
}

export function describeProgress(e: ImportProgressEvent): string {
  const name = e.file.split(/[\\/]/).pop() || e.file;
  const n = Math.min(e.files, e.fileIndex + 1);
  const stage = e.stage === "reading" ? "Reading" : e.stage === "storing" ? "Storing" : "Done";
  return `${stage} ${name} (file ${n} of ${e.files})`;
}
