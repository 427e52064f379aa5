import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));

const { QueryClient } = await import("@tanstack/react-query");
const { invalidatedBy, keys } = await import("./queries");
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
    entry1: keys.entry(1, 42),
    facets2: keys.facets(2),
    page2: keys.page(q2, 0),
    findings2: keys.findings(2),
    entry2: keys.entry(2, 7),
  };
  for (const k of Object.values(all)) qc.setQueryData(k, { any: true });
  return { qc, all };
}

async function staleAfter(list: ReturnType<typeof invalidatedBy.import>) {
  const { qc, all } = seeded();
  await Promise.all(list.map((queryKey) => qc.invalidateQueries({ queryKey })));
  return Object.entries(all)
    .filter(([, k]) => qc.getQueryState(k)?.isInvalidated)
    .map(([name]) => name)
    .sort();
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
  it("keys ledger answers by the whole query", () => {
    const q = buildQuery(1, EMPTY_FILTERS, new Date(), true);
    expect(keys.page(q, 0)).not.toEqual(keys.page({ ...q, types: ["REFUND"] }, 0));
    expect(keys.totals(q)).toEqual(keys.totals({ ...q }));
  });
});
