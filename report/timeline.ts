/**
 * timeline.svg: a run's steps as bars on a shared time axis, the incident, the RTO measured and the RTO target
 * marked, and the plan's components as lanes below the steps (their gate readings, their action from first call to
 * last, their result).
 */
import { type ComponentLane, fmtDuration, outcomeWord, type RunModel, type StepKind } from './model.js';

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

type Paint = StepKind | 'rto' | 'component' | 'gate' | 'gateBehind';

const COLORS: Record<Paint, string> = {
  detect: '#8d6e63',
  trigger: '#8e6bbf',
  task: '#337ab7',
  wait: '#b0b7c3',
  approval: '#17a2b8',
  notify: '#8e6bbf',
  client: '#f0ad4e',
  fail: '#c62828',
  rto: '#2e7d32',
  component: '#26a69a',
  gate: '#2e7d32',
  gateBehind: '#e65100',
};

const LEGEND: [Paint, string][] = [
  ['detect', 'detection'],
  ['notify', 'trigger / notification'],
  ['task', 'step'],
  ['wait', 'wait'],
  ['approval', 'approval'],
  ['client', 'clients reconnect'],
  ['fail', 'failed'],
  ['rto', 'RTO'],
  ['component', 'component action'],
  ['gate', 'gate within'],
  ['gateBehind', 'gate not within'],
];

const TICKS = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000];

const tickLabel = (t: number) =>
  t === 0 ? '0' : t < 1000 ? `${t} ms` : t < 120_000 ? `${t / 1000} s` : `${t / 60_000} min`;

interface Bar {
  row: string;
  start: number;
  end: number;
  kind: StepKind | 'rto';
  title: string;
}

/**
 * What a chart of several runs on one time axis adds (a round trip: the way out and the way back): each run's
 * RTO as its own bar, and a marker where each run's incident was.
 */
export interface TimelineExtras {
  rtos?: { row: string; startMs: number; ms: number }[];
  marks?: { atMs: number; label: string }[];
}

/** One bar per step visit (an open step reaches the last known time), and the RTO's own bar (or bars). */
const barsOf = (m: RunModel, extras: TimelineExtras = {}): Bar[] => {
  const lastKnown = Math.max(1, ...m.steps.map((s) => s.endMs ?? s.startMs));
  const bars: Bar[] = m.steps.map((s) => {
    const end = s.endMs ?? lastKnown;
    const took = fmtDuration(end - s.startMs);
    const retries = s.attempts > 1 ? `, ${s.attempts} attempts` : '';
    return {
      row: s.name,
      start: s.startMs,
      end,
      kind: s.error ? 'fail' : s.kind,
      title: `${s.name} ${took}${retries}${s.error ? `: ${s.error}` : s.outcome ? `: ${s.outcome}` : ''}`,
    };
  });
  if (m.rto) bars.push({ row: 'RTO', start: 0, end: m.rto.ms, kind: 'rto', title: `RTO ${fmtDuration(m.rto.ms)}` });
  for (const r of extras.rtos ?? []) {
    bars.push({
      row: r.row,
      start: r.startMs,
      end: r.startMs + r.ms,
      kind: 'rto',
      title: `${r.row} ${fmtDuration(r.ms)}`,
    });
  }
  return bars;
};

/** Where everything goes: rows, the time scale, and the plot's box. */
const layoutOf = (m: RunModel, bars: readonly Bar[]) => {
  const rows: string[] = [];
  for (const b of bars) if (!rows.includes(b.row)) rows.push(b.row);
  const stepRows = rows.length;
  const lanes = m.components ?? [];
  rows.push(...lanes.map(laneRow));
  const laneTimes = lanes.flatMap((c) => [c.endMs ?? c.startMs ?? 0, c.gate?.read ? (c.gate.atMs ?? 0) : 0]);
  const lastEnd = Math.max(1, ...bars.map((b) => b.end), ...laneTimes);
  const targetMs = (m.rto?.targetSeconds ?? m.plan?.rtoTargetSeconds ?? 0) * 1000;
  // The target is drawn in place when it fits a readable scale; far off, it is named at the right edge.
  const targetOnScale = targetMs > 0 && targetMs <= lastEnd * 3;
  const axisMax = Math.max(lastEnd, targetOnScale ? targetMs : 0) * 1.06;
  const labelW = Math.min(260, Math.max(120, 8 + 7 * Math.max(...rows.map((r) => r.length))));
  const left = labelW + 10;
  const width = 1000;
  const plotW = width - left - 70;
  const rowH = 22;
  const top = 78;
  const axisY = top + rows.length * rowH + 8;
  const x = (t: number) => left + (Math.max(0, t) / axisMax) * plotW;
  const height = axisY + (lanes.length > 0 ? 86 : 70);
  return { rows, stepRows, lanes, targetMs, targetOnScale, axisMax, left, width, plotW, rowH, top, axisY, height, x };
};
type Layout = ReturnType<typeof layoutOf>;

const f = (n: number) => n.toFixed(1);

const axisSvg = (m: RunModel, l: Layout): string[] => {
  const out: string[] = [];
  const step = TICKS.find((s) => l.axisMax / s <= 10) ?? 3_600_000;
  for (let t = 0; t <= l.axisMax; t += step) {
    out.push(
      `<line x1="${f(l.x(t))}" y1="${l.top - 6}" x2="${f(l.x(t))}" y2="${l.axisY}" stroke="#eee"/>`,
      `<text x="${f(l.x(t))}" y="${l.axisY + 16}" text-anchor="middle" fill="#333">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${l.left}" y1="${l.axisY}" x2="${l.left + l.plotW}" y2="${l.axisY}" stroke="#333"/>`,
    `<text x="${f(l.left + l.plotW / 2)}" y="${l.axisY + 34}" text-anchor="middle" fill="#555">time since ${esc(m.zeroLabel)} (${esc(m.zeroAt)})</text>`,
  );
  return out;
};

const rowsSvg = (m: RunModel, l: Layout, bars: readonly Bar[]): string[] =>
  l.rows.slice(0, l.stepRows).flatMap((row, i) => {
    const y = l.top + i * l.rowH;
    const out: string[] = [];
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${l.width}" height="${l.rowH}" fill="#f7f7f7"/>`);
    out.push(`<text x="${l.left - 8}" y="${y + 15}" text-anchor="end">${esc(row)}</text>`);
    const mine = bars.filter((b) => b.row === row);
    for (const b of mine) {
      const w = Math.max(2, l.x(b.end) - l.x(b.start));
      out.push(
        `<rect x="${f(l.x(b.start))}" y="${y + 4}" width="${f(w)}" height="${l.rowH - 8}" fill="${COLORS[b.kind]}"><title>${esc(b.title)}</title></rect>`,
      );
    }
    const total = mine.reduce((sum, b) => sum + (b.end - b.start), 0);
    const endX = Math.max(...mine.map((b) => l.x(b.end)));
    const times = mine.length > 1 ? ` (×${mine.length})` : '';
    const failed = m.steps.find((s) => s.name === row && s.error)?.error;
    out.push(
      `<text x="${f(endX + 4)}" y="${y + 15}" fill="${failed ? COLORS.fail : '#555'}" font-size="10">${fmtDuration(total)}${times}${failed ? `: ${esc(failed)}` : ''}</text>`,
    );
    return out;
  });

/** A component's row: its name, marked as a component. */
const laneRow = (c: ComponentLane) => `◆ ${c.name}`;

/** What a lane says after its bar: its result, and why when it failed. */
const laneWords = (c: ComponentLane) => {
  const result =
    c.status === 'failed'
      ? `failed: ${c.error ?? c.detail}`
      : `${c.status}${c.status === 'done' ? '' : `: ${c.detail}`}`;
  return c.gate && !c.gate.read ? `gate not read; ${result}` : result;
};

/** One lane per component: its gate reading (a diamond), its action (a bar), its result in words. */
const lanesSvg = (l: Layout): string[] =>
  l.lanes.flatMap((c, i) => {
    const y = l.top + (l.stepRows + i) * l.rowH;
    const out: string[] = [];
    if (i === 0) out.push(`<line x1="0" y1="${y}" x2="${l.width}" y2="${y}" stroke="#999" stroke-dasharray="2 2"/>`);
    if ((l.stepRows + i) % 2 === 1)
      out.push(`<rect x="0" y="${y}" width="${l.width}" height="${l.rowH}" fill="#f7f7f7"/>`);
    out.push(`<text x="${l.left - 8}" y="${y + 15}" text-anchor="end">${esc(laneRow(c))}</text>`);
    let textX = l.left + 4;
    const g = c.gate;
    if (g?.read && g.atMs !== undefined) {
      const gx = l.x(g.atMs);
      const paint = g.within ? COLORS.gate : COLORS.gateBehind;
      const title = `gate ${g.within ? 'within' : 'NOT within'}: ${g.reason}`;
      out.push(`<path d="M${f(gx)} ${y + 4} l6 7 l-6 7 l-6 -7 z" fill="${paint}"><title>${esc(title)}</title></path>`);
      textX = gx + 10;
    }
    if (c.startMs !== undefined) {
      const end = c.endMs ?? c.startMs;
      const w = Math.max(2, l.x(end) - l.x(c.startMs));
      const paint = c.status === 'failed' ? COLORS.fail : COLORS.component;
      const title = `${c.name} ${fmtDuration(end - c.startMs)}${c.checks ? `, ${c.checks} call(s)` : ''}: ${c.detail}`;
      out.push(
        `<rect x="${f(l.x(c.startMs))}" y="${y + 4}" width="${f(w)}" height="${l.rowH - 8}" fill="${paint}"><title>${esc(title)}</title></rect>`,
      );
      textX = Math.max(textX, l.x(c.startMs) + w + 4);
    }
    const words = laneWords(c);
    const short = words.length > 90 ? `${words.slice(0, 89)}…` : words;
    out.push(
      `<text x="${f(textX)}" y="${y + 15}" fill="${c.status === 'failed' ? COLORS.fail : '#555'}" font-size="10">${esc(short)}</text>`,
    );
    return out;
  });

/** A red line and its label, where an incident happened. */
const incidentMark = (l: Layout, atMs: number, label: string): string[] => [
  `<line x1="${f(l.x(atMs))}" y1="${l.top - 22}" x2="${f(l.x(atMs))}" y2="${l.axisY}" stroke="#d9534f" stroke-width="2"/>`,
  `<text x="${f(l.x(atMs) + 4)}" y="${l.top - 24}" fill="#d9534f">${esc(label)}</text>`,
];

/** Markers: the incident (time zero) and any later one, the measured RTO, the RTO target. */
const markersSvg = (m: RunModel, l: Layout, extras: TimelineExtras = {}): string[] => {
  const { x, top, axisY, left, plotW, targetMs } = l;
  const out = [
    ...incidentMark(l, 0, m.zeroLabel),
    ...(extras.marks ?? []).flatMap((mark) => incidentMark(l, mark.atMs, mark.label)),
  ];
  if (m.rto) {
    // Labels right of the middle are drawn to the left of their line, so they stay inside the chart.
    const rx = x(m.rto.ms);
    const toLeft = rx > left + plotW * 0.55;
    out.push(
      `<line x1="${f(rx)}" y1="${top - 10}" x2="${f(rx)}" y2="${axisY}" stroke="#2e7d32" stroke-width="2" stroke-dasharray="4 2"/>`,
      `<text x="${f(toLeft ? rx - 4 : rx + 4)}" y="${top - 12}" fill="#2e7d32"${toLeft ? ' text-anchor="end"' : ''}>RTO ${fmtDuration(m.rto.ms)}: ${esc(m.rto.until)}</text>`,
    );
  }
  if (targetMs > 0 && l.targetOnScale) {
    out.push(
      `<line x1="${f(x(targetMs))}" y1="${top - 36}" x2="${f(x(targetMs))}" y2="${axisY}" stroke="#000" stroke-width="2" stroke-dasharray="6 3"/>`,
      `<text x="${f(x(targetMs) - 4)}" y="${top - 38}" text-anchor="end">RTO target ${targetMs / 1000} s</text>`,
    );
  } else if (targetMs > 0) {
    out.push(
      `<text x="${left + plotW}" y="${top - 30}" text-anchor="end">RTO target ${targetMs / 1000} s: off this scale →</text>`,
    );
  }
  return out;
};

const legendSvg = (l: Layout, bars: readonly Bar[]): string[] => {
  const present = new Set<string>(bars.map((b) => b.kind));
  for (const c of l.lanes) {
    if (c.startMs !== undefined) present.add(c.status === 'failed' ? 'fail' : 'component');
    if (c.gate?.read && c.gate.atMs !== undefined) present.add(c.gate.within ? 'gate' : 'gateBehind');
  }
  const out: string[] = [];
  let lx = l.left;
  let ly = l.axisY + 46;
  for (const [kind, label] of LEGEND.filter(([k]) => present.has(k))) {
    // A legend wider than the chart goes on to a second line (the layout leaves room for it).
    if (lx + 30 + label.length * 7 > l.width) {
      lx = l.left;
      ly += 16;
    }
    out.push(
      `<rect x="${lx}" y="${ly}" width="12" height="10" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 16}" y="${ly + 9}" fill="#333" font-size="11">${label}</text>`,
    );
    lx += 30 + label.length * 7;
  }
  return out;
};

/** Phases as horizontal bars on a shared time axis; the incident, the RTO measured and the RTO target marked. */
export const timelineSvg = (m: RunModel, title?: string, extras?: TimelineExtras): string => {
  const bars = barsOf(m, extras);
  const l = layoutOf(m, bars);
  const heading =
    title ??
    `dr-failover ${m.plan?.name ?? ''} ${m.start?.mode ?? ''} run ${m.execution.name}: ${outcomeWord(m)}${m.error ? ` ${m.error.name}` : ''}` +
      (m.rto ? `, RTO ${fmtDuration(m.rto.ms)} (target ${m.rto.targetSeconds} s ${m.rto.met ? 'met' : 'MISSED'})` : '');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<title>${esc(heading)}</title>`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(heading)}</text>`,
    ...axisSvg(m, l),
    ...rowsSvg(m, l, bars),
    ...lanesSvg(l),
    ...markersSvg(m, l, extras),
    ...legendSvg(l, bars),
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
};
