import { describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

const { MutationObserver, QueryClient } = await import("@tanstack/react-query");
const { explainFindingsMutation, invalidatedBy, keys, reopenFindingsMutation } = await import("./queries");
const { buildQuery, EMPTY_FILTERS } = await import("./lib/filters");

/** One cached answer under every kind of key, for chains 1 and 2. */
function seeded() {
  const qc = new QueryClient();
  const q1 = buildQuery(1, EMPTY_FILTERS, new Date(), true);
  const q2 = buildQuery(2, EMPTY_FILTERS, new Date(), true);
  const all = {
    chains: keys.chains,
    facets1: keys.facets(1),
    totals1: keys.totals(q1),
    page1: keys.page(q1, 3),
    findings1: keys.findings(1),
    series1: keys.seriesOf(1, 2000),
    anchors1: keys.anchors(1),
    entry1: keys.entry(1, 42),
    facets2: keys.facets(2),
    page2: keys.page(q2, 0),
    findings2: keys.findings(2),
    entry2: keys.entry(2, 7),
  };
  for (const k of Object.values(all)) qc.setQueryData(k, { any: true });
  return { qc, all };
}

function stale(qc: InstanceType<typeof QueryClient>, all: ReturnType<typeof seeded>["all"]) {
  return Object.entries(all)
    .filter(([, k]) => qc.getQueryState(k)?.isInvalidated)
    .map(([name]) => name)
    .sort();
}

async function staleAfter(list: ReturnType<typeof invalidatedBy.import>) {
  const { qc, all } = seeded();
  await Promise.all(list.map((queryKey) => qc.invalidateQueries({ queryKey })));
  return stale(qc, all);
}

describe("invalidation", () => {
  it("an import invalidates everything", async () => {
    const { all } = seeded();
    expect(await staleAfter(invalidatedBy.import())).toEqual(Object.keys(all).sort());
  });
  it("a finding's change invalidates what findings decide, on that chain only", async () => {
    expect(await staleAfter(invalidatedBy.findings(1))).toEqual(
      ["chains", "entry1", "findings1", "page1", "series1"].sort(),
    );
  });
  it("an anchor added or removed invalidates what a finding's change does, and the anchor list", async () => {
    expect(await staleAfter(invalidatedBy.anchors(1))).toEqual(
      ["anchors1", "chains", "entry1", "findings1", "page1", "series1"].sort(),
    );
  });
  it("keys ledger answers by the whole query", () => {
    const q = buildQuery(1, EMPTY_FILTERS, new Date(), true);
    expect(keys.page(q, 0)).not.toEqual(keys.page({ ...q, types: ["REFUND"] }, 0));
    expect(keys.totals(q)).toEqual(keys.totals({ ...q }));
  });
  it("bulk explain and reopen invalidate exactly what explaining one finding does", async () => {
    const expected = await staleAfter(invalidatedBy.findings(1));

    invoke.mockReset().mockResolvedValue(3);
    const a = seeded();
    const explain = new MutationObserver(a.qc, explainFindingsMutation(a.qc, 1));
    expect(await explain.mutate({ findingIds: ["F-1", "F-2", "F-3"], note: "support refunded" })).toBe(3);
    expect(invoke).toHaveBeenCalledWith("explain_findings", { findingIds: ["F-1", "F-2", "F-3"], note: "support refunded" });
    expect(stale(a.qc, a.all)).toEqual(expected);

    invoke.mockReset().mockResolvedValue(2);
    const b = seeded();
    const reopen = new MutationObserver(b.qc, reopenFindingsMutation(b.qc, 1));
    expect(await reopen.mutate(["F-1", "F-2"])).toBe(2);
    expect(invoke).toHaveBeenCalledWith("reopen_findings", { findingIds: ["F-1", "F-2"] });
    expect(stale(b.qc, b.all)).toEqual(expected);
  });
  it("a failed bulk explain invalidates nothing", async () => {
    invoke.mockReset().mockRejectedValue({ code: "bad_input", message: "write a note" });
    const { qc, all } = seeded();
    const explain = new MutationObserver(qc, explainFindingsMutation(qc, 1));
    await expect(explain.mutate({ findingIds: ["F-1"], note: "" })).rejects.toMatchObject({ code: "bad_input" });
    expect(stale(qc, all)).toEqual([]);
  });
});
