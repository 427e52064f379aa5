//! The shell rejects every command with `AppError { code, message }`. The face branches on
//! `code` only and shows `message` verbatim; this module turns whatever a rejection carries into
//! that shape and says what a person can do next for each code.

import type { AppError } from "../bindings/AppError";

export type ErrorCode = AppError["code"];

const CODES: readonly ErrorCode[] = ["bad_input", "not_found", "cancelled", "io", "database", "internal"];

/** An AppError as a throwable, so `catch (e)` keeps the code. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

function isCode(x: unknown): x is ErrorCode {
  return typeof x === "string" && (CODES as readonly string[]).includes(x);
}

/** Maps any rejection value to an ApiError. Unknown shapes become `internal` with their text. */
export function toApiError(raw: unknown, command?: string): ApiError {
  if (raw instanceof ApiError) return raw;
  if (raw && typeof raw === "object") {
    const o = raw as { code?: unknown; message?: unknown };
    if (typeof o.message === "string") {
      return new ApiError(isCode(o.code) ? o.code : "internal", o.message, command);
    }
    if (raw instanceof Error) return new ApiError("internal", raw.message, command);
  }
  if (typeof raw === "string") {
    // Tauri rejects with a plain string when a command is missing or its arguments do not match.
    return new ApiError("internal", raw, command);
  }
  return new ApiError("internal", String(raw), command);
}

/** The next step to suggest for an error, by code. */
export function nextStep(code: ErrorCode): string {
  switch (code) {
    case "bad_input":
      return "Fix the input named above and try again.";
    case "not_found":
      return "It may have been removed; refresh the list of ledgers.";
    case "cancelled":
      return "Nothing was changed. Start again when ready.";
    case "io":
      return "Check that the file or folder exists and that Reckon may read or write it.";
    case "database":
      return "Reckon's database could not be used. Restart Reckon; if it persists, report it with the message above.";
    case "internal":
      return "This is a bug in Reckon. Please report it with the message above.";
  }
}

/** True when running inside the Tauri shell (the IPC bridge is present). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
