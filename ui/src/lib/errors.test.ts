import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../bindings/ErrorCode";
import { ApiError, ERROR_CODES, nextStep, toApiError } from "./errors";

/**
 * Every code of the generated ErrorCode, checked by the compiler: `satisfies Record<ErrorCode, …>`
 * fails `npm run typecheck` when a code is missing here or no longer exists.
 */
const EVERY_CODE = {
  bad_input: true,
  not_found: true,
  cancelled: true,
  io: true,
  database: true,
  network: true,
  internal: true,
} as const satisfies Record<ErrorCode, true>;
const CODES = Object.keys(EVERY_CODE) as ErrorCode[];

describe("toApiError", () => {
  it("keeps an AppError's code and message verbatim", () => {
    const e = toApiError({ code: "bad_input", message: "ledger.csv:12:5: amount: found \"1,2\"" }, "import_files");
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe("bad_input");
    expect(e.message).toBe('ledger.csv:12:5: amount: found "1,2"');
    expect(e.command).toBe("import_files");
  });
  it("maps every contract code", () => {
    for (const code of CODES) {
      expect(toApiError({ code, message: "m" }).code).toBe(code);
    }
    expect([...ERROR_CODES].sort()).toEqual([...CODES].sort());
  });
  it("treats an unknown code, a bare string or an Error as internal", () => {
    expect(toApiError({ code: "weird", message: "x" }).code).toBe("internal");
    const s = toApiError("command ledger_page not found");
    expect(s.code).toBe("internal");
    expect(s.message).toBe("command ledger_page not found");
    expect(toApiError(new Error("boom")).message).toBe("boom");
    expect(toApiError(undefined).code).toBe("internal");
  });
  it("passes an ApiError through unchanged", () => {
    const e = new ApiError("io", "disk full");
    expect(toApiError(e)).toBe(e);
  });
  it("suggests a next step per code", () => {
    expect(nextStep("cancelled")).toMatch(/Nothing was changed/);
    expect(nextStep("io")).toMatch(/file/);
    for (const code of CODES) expect(nextStep(code)).not.toBe("");
  });
});
