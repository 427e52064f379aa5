//! The running balance as a uPlot line, with findings drawn as marks. The engine sends the
//! window in view one pixel column at a time (each column's first, lowest, highest and last
//! point) and the findings of one column as one mark with their count, so a million entries and
//! thousands of findings stay legible; dragging across the chart zooms in and asks for the
//! finer window. Clicking a mark (on the plot or in the list below it) opens the Ledger on its
//! findings' entries. Where the ledger
//! keeps pending grants apart, a dashed second line shows available plus pending (the balance
//! once every pending grant settles), so the gap between the two is what is pending. Anchors
//! (balances stated along the way) are diamonds at their time and balance, listed and edited
//! below the chart.

import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import uPlot from "uplot";
import { api } from "../api";
import type { ChainView } from "../bindings/ChainView";
import { ErrorBlock } from "../components/common";
import { appLocale, formatCount, formatDateTime } from "../lib/format";
import { toApiError } from "../lib/errors";
import { type Mark, STRIP_PX, nearestMark, tickHeight, toPlotData, tooDense } from "../lib/series";
import { keys, useAnchors } from "../queries";
import { AnchorsPanel } from "./chart/Anchors";

/** Marks listed under the chart at most; the rest are counted. */
const MARKS_LISTED = 200;

/** A canvas kept for measuring axis labels (uPlot asks the axis's size at every redraw). */
let measure: CanvasRenderingContext2D | null | undefined;

/** The y axis's width in CSS pixels: its widest tick label, measured, and room for the ticks. */
function axisWidth(labels: string[] | null): number {
  if (!labels || labels.length === 0) return 50;
  measure ??= document.createElement("canvas").getContext("2d");
  const ctx = measure;
  if (!ctx) return 90;
  ctx.font = "12px sans-serif";
  const widest = Math.max(...labels.map((l) => ctx.measureText(l).width));
  return Math.ceil(widest) + 24;
}

/** The part of the chain in view (RFC 3339, inclusive); null: all of it. */
interface Window {
  from: string;
  to: string;
}

/** The balance in `window`, at four points per pixel column of a plot `width` wide. */
function useWindowSeries(chainId: number, width: number, window: Window | null) {
  const maxPoints = 4 * width;
  return useQuery({
    queryKey: [...keys.seriesOf(chainId, maxPoints), window?.from ?? null, window?.to ?? null],
    queryFn: () => api.balanceSeries(chainId, maxPoints, window?.from ?? null, window?.to ?? null),
    placeholderData: keepPreviousData,
  });
}

/** The plot's width in whole hundreds of pixels (a resize by a few pixels asks for nothing new). */
function useWidth(ref: React.RefObject<HTMLDivElement>): number {
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const measure = () => setWidth(Math.max(300, Math.round(box.clientWidth / 100) * 100));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(box);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

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
  return m.count > 1 ? `${m.count} findings from ${m.kind}` : `${m.kind} (${m.severity})`;
}

export function ChartScreen({ chain, utc, onJump }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const width = useWidth(boxRef);
  const [window, setWindow] = useState<Window | null>(null);
  const seriesQuery = useWindowSeries(chain.id, width, window);
  const series = seriesQuery.data ?? null;
  const locale = appLocale();
  const anchorsQuery = useAnchors(chain.id);
  const anchors = anchorsQuery.data ?? null;
  const hasPending = !!series && series.points.some((p) => p.pending !== null);
  const err = seriesQuery.error ? toApiError(seriesQuery.error) : null;
  // The plot is built once per series; its click handler calls the latest onJump.
  const jumpRef = useRef(onJump);
  const windowRef = useRef(setWindow);
  useEffect(() => {
    jumpRef.current = onJump;
  });

  const jump = (m: Mark) => onJump(markLabel(m), m.entryIds, []);
  // How the plot last drew its marks (ticks when too dense for triangles), decided from the
  // marks in view and the plot area's width, so the sentence below names what is drawn.
  const [drawnDense, setDrawnDense] = useState<boolean | null>(null);

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
      const inView: { x: number; m: Mark }[] = [];
      for (const m of marks) {
        const t = Date.parse(m.ts) / 1000;
        if (Number.isNaN(t)) continue;
        const x = Math.round(u.valToPos(t, "x", true));
        if (x >= left && x <= left + width) inView.push({ x, m });
      }
      ctx.save();
      const dense = tooDense(inView.length, width / devicePixelRatio);
      setDrawnDense(dense);
      if (dense) {
        // Too many marks to tell apart: a strip of ticks along the top, each as tall as its
        // count (log scale), so the plot stays readable and where findings crowd shows.
        const strip = STRIP_PX * devicePixelRatio;
        ctx.globalAlpha = 0.08;
        ctx.fillStyle = colors.error;
        ctx.fillRect(left, top, width, strip);
        ctx.globalAlpha = 1;
        const w = Math.max(1, Math.round(devicePixelRatio));
        for (const { x, m } of inView) {
          ctx.fillStyle = m.severity === "error" ? colors.error : colors.warning;
          ctx.fillRect(x, top, w, tickHeight(m.count) * devicePixelRatio);
        }
        ctx.restore();
        return;
      }
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      ctx.textBaseline = "top";
      let labelEnd = -Infinity;
      for (const { x, m } of inView) {
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
        // One mark for a column's findings: their count beside it, where it does not run into
        // the previous count.
        if (m.count > 1 && x + r + 2 > labelEnd) {
          const text = formatCount(m.count, locale);
          ctx.fillText(text, x + r + 2, top);
          labelEnd = x + r + 2 + ctx.measureText(text).width + 4 * devicePixelRatio;
        }
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
          value: (_u, v) => (v == null ? "—" : v.toLocaleString(locale, { maximumFractionDigits: 2 })),
        },
        ...(data.length > 2
          ? [
              {
                label: "Available + pending (if every pending grant settles)",
                stroke: colors.pending,
                width: 1.5,
                dash: [6, 4],
                value: (_u: uPlot, v: number | null) =>
                  v == null ? "—" : v.toLocaleString(locale, { maximumFractionDigits: 2 }),
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
      axes: [{}, { size: (_u, values) => axisWidth(values) }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        draw: [drawMarks, drawAnchors],
        // A drag across the plot asks the engine for that window, one column per pixel.
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, "x");
            const to = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            windowRef.current({ from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString() });
          },
        ],
      },
    };
    const plot = new uPlot(opts, data as uPlot.AlignedData, box);
    const onClick = (ev: MouseEvent) => {
      const rect = plot.over.getBoundingClientRect();
      const px = ev.clientX - rect.left;
      const m = nearestMark(marks, px, (s) => plot.valToPos(s, "x"), 6);
      if (m) jumpRef.current(markLabel(m), m.entryIds, []);
    };
    const onDouble = () => windowRef.current(null);
    plot.over.addEventListener("click", onClick);
    plot.over.addEventListener("dblclick", onDouble);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, box.clientWidth), height: 360 }));
    ro.observe(box);
    return () => {
      ro.disconnect();
      plot.over.removeEventListener("click", onClick);
      plot.over.removeEventListener("dblclick", onDouble);
      plot.destroy();
    };
  }, [series, anchors, utc, chain.currency, locale]);
  const findingsShown = series ? series.marks.reduce((n, m) => n + m.count, 0) : 0;

  return (
    <section className="screen">
      <header className="screen-head">
        <h1>
          Balance chart <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
      </header>
      {err && <ErrorBlock error={err} onDismiss={() => void seriesQuery.refetch()} />}
      {window && (
        <div className="row-between small" data-testid="chart-window">
          <span className="muted">
            {formatDateTime(window.from, locale, { utc, minutes: true })} – {formatDateTime(window.to, locale, { utc, minutes: true })}
          </span>
          <button data-testid="chart-zoom-reset" onClick={() => setWindow(null)}>
            Show the whole ledger
          </button>
        </div>
      )}
      {!series && !err && <p className="muted">Loading…</p>}
      {series && series.points.length === 0 && (
        <div className="empty" data-testid="chart-empty">
          <h2>Nothing to plot yet</h2>
          <p>This ledger has no entries. Import an export into it on the Ledgers screen, or add the balance its page
            states below as an anchor.</p>
        </div>
      )}
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
          <p
            className="muted small"
            data-testid="chart-marks-summary"
            data-findings={findingsShown}
            data-marks={series.marks.length}
            data-drawn={drawnDense === null ? undefined : drawnDense ? "ticks" : "triangles"}
          >
            {(drawnDense ?? tooDense(series.marks.length, width))
              ? "Ticks along the top mark findings (red errors, amber warnings), taller where more findings share a pixel; "
              : "Triangles mark findings (red errors, amber warnings); findings too close to tell apart share one mark with their count "}
            ({formatCount(findingsShown, locale)} open findings in {formatCount(series.marks.length, locale)} marks). Click
            one, or a line below, to see its entries in the Ledger. Drag across the chart to zoom in; double-click to see
            the whole ledger.
          </p>
          <ul className="mark-list">
            {series.marks.slice(0, MARKS_LISTED).map((m) => (
              <li key={m.findingId}>
                <button
                  className="link"
                  data-testid="chart-mark"
                  data-finding-id={m.findingId}
                  data-count={m.count}
                  onClick={() => jump(m)}
                >
                  <span className={`dot dot-${m.severity === "error" ? "error" : "warning"}`} />
                  <span className="mono">{formatDateTime(m.ts, locale, { utc })}</span> {m.kind}
                  {m.count > 1 && <b> and {formatCount(m.count - 1, locale)} more</b>}{" "}
                  <span className="muted">
                    ({formatCount(m.entryIds.length, locale)} entr{m.entryIds.length === 1 ? "y" : "ies"})
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {series.marks.length > MARKS_LISTED && (
            <p className="muted small">
              {formatCount(series.marks.length - MARKS_LISTED, locale)} more marks: zoom in to list them.
            </p>
          )}
        </>
      )}
      {anchorsQuery.error && (
        <ErrorBlock error={toApiError(anchorsQuery.error)} onDismiss={() => void anchorsQuery.refetch()} />
      )}
      <AnchorsPanel chain={chain} anchors={anchors} utc={utc} />
    </section>
  );
}
