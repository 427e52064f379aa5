//! The shell rejects every command with `AppError { code, message }`. The face branches on
//! `code` only and shows `message` verbatim; this module turns whatever a rejection carries into
//! that shape and says what a person can do next for each code.

import type { ErrorCode } from "../bindings/ErrorCode";

export type { ErrorCode };

/**
 * The next step to suggest, per code. `satisfies Record<ErrorCode, …>` makes this exhaustive
 * against the generated type: a code added on the Rust side fails the typecheck here until it
 * has a next step, and a code removed there fails it too.
 */
export const NEXT_STEPS = {
  bad_input: "Fix the input named above and try again.",
  not_found: "It may have been removed; refresh the list of ledgers.",
  cancelled: "Nothing was changed. Start again when ready.",
  io: "Check that the file or folder exists and that Reckon may read or write it.",
  network:
    "The vendor's API could not be reached or answered unexpectedly. Check the base URL and the network, then sync again; what was stored stays.",
  database: "Reckon's database could not be used. Restart Reckon; if it persists, report it with the message above.",
  internal: "This is a bug in Reckon. Please report it with the message above.",
} as const satisfies Record<ErrorCode, string>;

/** Every code the shell may reject with (from the generated ErrorCode, through NEXT_STEPS). */
export const ERROR_CODES = Object.keys(NEXT_STEPS) as ErrorCode[];

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
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(NEXT_STEPS, x);
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
  return NEXT_STEPS[code];
}

/** True when running inside the Tauri shell (the IPC bridge is present). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
