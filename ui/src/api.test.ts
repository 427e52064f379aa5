import { beforeEach, describe, expect, it, vi } from "vitest";
import type { LedgerQuery } from "./bindings/LedgerQuery";

const invoke = vi.fn();
class FakeChannel<T> {
  onmessage: (m: T) => void = () => {};
}
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: FakeChannel }));

const { api } = await import("./api");
const { ApiError } = await import("./lib/errors");

beforeEach(() => {
  invoke.mockReset();
});

describe("api", () => {
  it("calls commands with the contract's argument names", async () => {
    invoke.mockResolvedValue({ rows: [], total: 0 });
    const q: LedgerQuery = {
      chainId: 1,
      types: ["CHAT"],
      from: null,
      to: null,
      labels: [{ key: "character", value: "Aria" }],
      search: "tx",
    };
    await api.ledgerPage(q, 200, 200);
    expect(invoke).toHaveBeenCalledWith("ledger_page", { query: q, offset: 200, limit: 200 });

    invoke.mockResolvedValue(null);
    await api.markExplained("f-1", "refunded");
    expect(invoke).toHaveBeenLastCalledWith("mark_explained", { findingId: "f-1", note: "refunded" });
    await api.setStatedBalance(3, null);
    expect(invoke).toHaveBeenLastCalledWith("set_stated_balance", { chainId: 3, value: null });
    await api.exportLedger(q, "csv", true, "/tmp/x.csv");
    expect(invoke).toHaveBeenLastCalledWith("export_ledger", { query: q, format: "csv", local: true, path: "/tmp/x.csv" });
    await api.draftReport(3, ["a", "b"], "customer");
    expect(invoke).toHaveBeenLastCalledWith("draft_report", { chainId: 3, findingIds: ["a", "b"], audience: "customer" });
  });

  it("passes a Channel as onProgress and forwards its messages", async () => {
    const seen: unknown[] = [];
    invoke.mockImplementation(async (...a: unknown[]) => {
      const args = a[1] as { onProgress: FakeChannel<unknown> };
      args.onProgress.onmessage({ file: "a.csv", fileIndex: 0, files: 1, bytesDone: 5, bytesTotal: 10, stage: "reading" });
      return { files: [] };
    });
    const out = await api.importFiles(["/a.csv"], "feed", (e) => seen.push(e));
    expect(out).toEqual({ files: [] });
    expect(invoke.mock.calls[0][0]).toBe("import_files");
    expect(invoke.mock.calls[0][1].paths).toEqual(["/a.csv"]);
    expect(invoke.mock.calls[0][1].account).toBe("feed");
    expect(invoke.mock.calls[0][1].onProgress).toBeInstanceOf(FakeChannel);
    expect(seen).toHaveLength(1);
  });

  it("rejects with an ApiError carrying the AppError code", async () => {
    invoke.mockRejectedValue({ code: "cancelled", message: "import cancelled" });
    const err = await api.openDemo(() => {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("cancelled");
    expect(err.message).toBe("import cancelled");
    expect(err.command).toBe("open_demo");

    invoke.mockRejectedValue({ code: "not_found", message: "no entry 9" });
    const nf = await api.entryDetail(9).catch((e) => e);
    expect(nf).toBeInstanceOf(ApiError);
    expect([nf.code, nf.message]).toEqual(["not_found", "no entry 9"]);
  });
});
