//! The running balance as a uPlot line, with findings drawn as marks. Clicking a mark (on the
//! plot or in the list below it) opens the Ledger on that finding's entries. Where the ledger
//! keeps pending grants apart, a dashed second line shows available plus pending (the balance
//! once every pending grant settles), so the gap between the two is what is pending. Anchors
//! (balances stated along the way) are diamonds at their time and balance, listed and edited
//! below the chart.

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { ChainView } from "../bindings/ChainView";
import { ErrorBlock } from "../components/common";
import { formatTs } from "../lib/dates";
import { toApiError } from "../lib/errors";
import { type Mark, nearestMark, toPlotData } from "../lib/series";
import { useAnchors, useBalanceSeries } from "../queries";
import { AnchorsPanel } from "./chart/Anchors";

const MAX_POINTS = 2000;

interface Props {
  chain: ChainView;
  utc: boolean;
  onJump: (label: string, entryIds: number[], txnIds: string[]) => void;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function markLabel(m: Mark): string {
  return `${m.kind} (${m.severity})`;
}

export function ChartScreen({ chain, utc, onJump }: Props) {
  const seriesQuery = useBalanceSeries(chain.id, MAX_POINTS);
  const series = seriesQuery.data ?? null;
  const anchorsQuery = useAnchors(chain.id);
  const anchors = anchorsQuery.data ?? null;
  const hasPending = !!series && series.points.some((p) => p.pending !== null);
  const err = seriesQuery.error ? toApiError(seriesQuery.error) : null;
  const boxRef = useRef<HTMLDivElement>(null);
  // The plot is built once per series; its click handler calls the latest onJump.
  const jumpRef = useRef(onJump);
  useEffect(() => {
    jumpRef.current = onJump;
  });

  const jump = (m: Mark) => onJump(markLabel(m), m.entryIds, []);

  useEffect(() => {
    const box = boxRef.current;
    if (!box || !series || series.points.length === 0) return;
    const data = toPlotData(series);
    const marks = series.marks;
    const anchorMarks = anchors ?? [];
    const colors = {
      line: cssVar("--accent", "#2f6f9f"),
      pending: cssVar("--pending", "#7a5bb5"),
      anchor: cssVar("--anchor", "#1b7f79"),
      error: cssVar("--error", "#c0392b"),
      warning: cssVar("--warning", "#b7791f"),
    };
    const drawAnchors = (u: uPlot) => {
      const ctx = u.ctx;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      for (const a of anchorMarks) {
        const t = Date.parse(a.at) / 1000;
        const v = parseFloat(a.balance);
        if (Number.isNaN(t) || Number.isNaN(v)) continue;
        const x = Math.round(u.valToPos(t, "x", true));
        const y = Math.round(u.valToPos(v, "y", true));
        if (x < left || x > left + width || y < top || y > top + height) continue;
        const r = 6 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r, y);
        ctx.lineTo(x, y + r);
        ctx.lineTo(x - r, y);
        ctx.closePath();
        // Stated anchors hollow (checked against), resets and openings filled (set the balance).
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.strokeStyle = colors.anchor;
        ctx.fillStyle = colors.anchor;
        if (a.kind === "stated") ctx.stroke();
        else ctx.fill();
      }
      ctx.restore();
    };
    const drawMarks = (u: uPlot) => {
      const ctx = u.ctx;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      for (const m of marks) {
        const t = Date.parse(m.ts) / 1000;
        if (Number.isNaN(t)) continue;
        const x = Math.round(u.valToPos(t, "x", true));
        if (x < left || x > left + width) continue;
        const c = m.severity === "error" ? colors.error : colors.warning;
        ctx.strokeStyle = c;
        ctx.globalAlpha = 0.35;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.globalAlpha = 1;
        ctx.fillStyle = c;
        const r = 5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, top + 2 * r);
        ctx.lineTo(x - r, top);
        ctx.lineTo(x + r, top);
        ctx.closePath();
        ctx.fill();
      }
      ctx.restore();
    };
    const opts: uPlot.Options = {
      width: Math.max(300, box.clientWidth),
      height: 360,
      tzDate: utc ? (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : undefined,
      series: [
        {},
        {
          label: data.length > 2 ? `Available (${chain.currency})` : `Balance (${chain.currency})`,
          stroke: colors.line,
          width: 1.5,
          value: (_u, v) => (v == null ? "—" : v.toLocaleString(undefined, { maximumFractionDigits: 2 })),
        },
        ...(data.length > 2
          ? [
              {
                label: "Available + pending (if every pending grant settles)",
                stroke: colors.pending,
                width: 1.5,
                dash: [6, 4],
                value: (_u: uPlot, v: number | null) =>
                  v == null ? "—" : v.toLocaleString(undefined, { maximumFractionDigits: 2 }),
              },
            ]
          : []),
      ],
      // Keep the anchors in view even where they sit off the line.
      scales: {
        x: {
          time: true,
          range: (_u, lo, hi) => {
            const ts = anchorMarks.map((a) => Date.parse(a.at) / 1000).filter((t) => !Number.isNaN(t));
            const min = Math.min(lo, ...ts);
            const max = Math.max(hi, ...ts);
            return min === max ? [min - 3600, max + 3600] : [min, max];
          },
        },
        y: {
          range: (_u, lo, hi) => {
            const vs = anchorMarks.map((a) => parseFloat(a.balance)).filter((v) => !Number.isNaN(v));
            const min = Math.min(lo, ...vs);
            const max = Math.max(hi, ...vs);
            const pad = (max - min) * 0.05 || 1;
            return [min - pad, max + pad];
          },
        },
      },
      axes: [{}, { size: 80 }],
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [drawMarks, drawAnchors] },
    };
    const plot = new uPlot(opts, data as uPlot.AlignedData, box);
    const onClick = (ev: MouseEvent) => {
      const rect = plot.over.getBoundingClientRect();
      const px = ev.clientX - rect.left;
      const m = nearestMark(marks, px, (s) => plot.valToPos(s, "x"), 6);
      if (m) jumpRef.current(markLabel(m), m.entryIds, []);
    };
    plot.over.addEventListener("click", onClick);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, box.clientWidth), height: 360 }));
    ro.observe(box);
    return () => {
      ro.disconnect();
      plot.over.removeEventListener("click", onClick);
      plot.destroy();
    };
  }, [series, anchors, utc, chain.currency]);

  return (
    <section className="screen">
      <header className="screen-head">
        <h1>
          Balance chart <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
      </header>
      {err && <ErrorBlock error={err} onDismiss={() => void seriesQuery.refetch()} />}
      {!series && !err && <p className="muted">Loading…</p>}
      {series && series.points.length === 0 && <p className="empty">This ledger has no entries to plot.</p>}
      <div className="chart-box panel" ref={boxRef} data-testid="balance-chart" />
      {hasPending && (
        <p className="muted small" data-testid="chart-pending-legend">
          Solid: the available balance, what can be spent. Dashed: available plus pending, what the balance comes to
          once every pending grant settles; the gap between the two lines is what is pending.
        </p>
      )}
      {anchors && anchors.length > 0 && (
        <p className="muted small">
          Diamonds mark anchors at their balance: hollow for a balance stated (checked against), filled for a reset or an
          opening balance (the ledger goes on from it).
        </p>
      )}
      {series && series.marks.length > 0 && (
        <>
          <p className="muted small">
            Triangles mark findings (red errors, amber warnings). Click one, or a line below, to see its entries in the
            Ledger. Drag across the chart to zoom; double-click to reset.
          </p>
          <ul className="mark-list">
            {series.marks.map((m) => (
              <li key={m.findingId}>
                <button className="link" data-testid="chart-mark" data-finding-id={m.findingId} onClick={() => jump(m)}>
                  <span className={`dot dot-${m.severity === "error" ? "error" : "warning"}`} />
                  <span className="mono">{formatTs(m.ts, utc)}</span> {m.kind}{" "}
                  <span className="muted">({m.entryIds.length} entr{m.entryIds.length === 1 ? "y" : "ies"})</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {anchorsQuery.error && (
        <ErrorBlock error={toApiError(anchorsQuery.error)} onDismiss={() => void anchorsQuery.refetch()} />
      )}
      <AnchorsPanel chain={chain} anchors={anchors} utc={utc} />
    </section>
  );
}
