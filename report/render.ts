/**
 * One report for every run, drill or AWS: report.json (the run model), report.md (for people: the timeline
 * table, RTO against the plan's target, RPO against its limit, who started it and why, every retry and warning,
 * and what on-call must do next) and timeline.svg (phases as bars on a shared time axis, the incident and the
 * RTO target marked).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fmtDuration, oneLine, type RunModel, type StepKind } from './model.js';

// ------------------------------------------------------------------ Markdown

const mdCell = (c: string) => c.replaceAll('|', '\\|').replace(/\s+/g, ' ');

export const mdTable = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');

const OUTCOME_WORD: Record<RunModel['outcome'], string> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  aborted: 'ABORTED',
  running: 'RUNNING',
};

export const outcomeWord = (m: RunModel) => OUTCOME_WORD[m.outcome];

/** `RTO 212.4 s against the 300 s target: met`, or why there is none. */
export const rtoLine = (m: RunModel): string => {
  if (m.rto) {
    return `${fmtDuration(m.rto.ms)} against the ${m.rto.targetSeconds} s target: ${m.rto.met ? 'met' : 'MISSED'} (incident → ${m.rto.until})`;
  }
  const target = m.plan ? ` (target ${m.plan.rtoTargetSeconds} s)` : '';
  if (m.outcome === 'running') return `not yet: the run is still going${target}`;
  return `not reached: the run ${m.outcome} before the new writer served traffic${target}`;
};

/** `lag 0.4 s against the 30 s limit: met`, or why it cannot be judged. */
export const rpoLine = (m: RunModel): string => {
  if (!m.rpo) return m.plan ? `not measured (limit ${m.plan.rpoMaxLagSeconds} s)` : 'not measured';
  const verdict = m.rpo.met === undefined ? 'cannot be judged' : m.rpo.met ? 'met' : 'MISSED';
  return `${m.rpo.measured}; against the ${m.rpo.limitSeconds} s limit: ${verdict}`;
};

const whoLine = (m: RunModel): string => {
  const s = m.start;
  if (!s) return 'unknown';
  const how = s.trigger ? ` (${s.trigger.kind}: ${s.trigger.source})` : '';
  return `${s.requestedBy}${how}`;
};

const rel = (ms: number | undefined) => (ms === undefined ? '—' : `+${fmtDuration(ms)}`);

/** The timeline table rows: one per step visit. */
const timelineRows = (m: RunModel): string[][] =>
  m.steps.map((s) => [
    s.name,
    rel(s.startMs),
    s.endMs === undefined ? 'running' : fmtDuration(s.endMs - s.startMs),
    String(s.attempts),
    s.error
      ? `${s.error}${s.failures.at(-1)?.cause ? `: ${oneLine(s.failures.at(-1)?.cause ?? '', 160)}` : ''}`
      : (s.outcome ?? ''),
  ]);

/**
 * The run sections every report has. `level` is the heading level of the sections (2 in a run's own report, 3
 * inside a drill report with more around it).
 */
export const runMarkdown = (m: RunModel, opts: { level?: number; timelineImage?: string } = {}): string => {
  const h = '#'.repeat(opts.level ?? 2);
  const out: string[] = [];
  const facts: [string, string][] = [
    [
      'outcome',
      `**${outcomeWord(m)}**${m.error ? ` (${m.error.name}${m.error.cause ? `: ${oneLine(m.error.cause, 200)}` : ''})` : ''}`,
    ],
  ];
  if (m.plan) facts.push(['plan', `${m.plan.name}: ${m.plan.primaryRegion} → ${m.plan.standbyRegion}`]);
  if (m.start) {
    facts.push(['mode', `${m.start.mode}${m.start.dryRun ? ', **dry run** (nothing changed)' : ''}`]);
    facts.push(['started by', whoLine(m)], ['why', m.start.reason]);
  }
  facts.push([m.zeroLabel === 'incident' ? 'incident started' : m.zeroLabel, m.zeroAt]);
  facts.push(['execution', `\`${m.execution.arn ?? m.execution.name}\` (${m.execution.status})`]);
  facts.push(['**RTO**', rtoLine(m)], ['**RPO**', rpoLine(m)]);
  out.push(mdTable(['', ''], facts), '');
  if (m.world) out.push(`${h} State of the world`, '', ...m.world.map((w) => `- ${w}`), '');
  if (m.nextSteps) out.push(`${h} What on-call must do next`, '', `**${m.nextSteps}**`, '');
  if (opts.timelineImage) out.push(`![timeline](${opts.timelineImage})`, '');
  out.push(
    `${h} Timeline`,
    '',
    `Times since time zero: ${m.zeroLabel}, ${m.zeroAt}.`,
    '',
    mdTable(['step', 'started', 'took', 'attempts', 'outcome'], timelineRows(m)),
    '',
    `${h} Retries and warnings`,
    '',
    ...(m.warnings.length > 0
      ? m.warnings.map((w) => `- ${w}`)
      : [m.outcome === 'succeeded' ? 'None: every step succeeded at its first attempt.' : 'No retries, no warnings.']),
    '',
  );
  return out.join('\n');
};

/** A run's own report.md. */
export const reportMarkdown = (m: RunModel): string =>
  [
    `# dr-failover run ${m.execution.name}: ${outcomeWord(m)}`,
    '',
    runMarkdown(m, { timelineImage: 'timeline.svg' }),
    m.visited.length > 0 ? `States entered: ${m.visited.join(' → ')}.\n` : '',
  ].join('\n');

// ------------------------------------------------------------------ timeline.svg

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const COLORS: Record<StepKind | 'rto', string> = {
  detect: '#8d6e63',
  trigger: '#8e6bbf',
  task: '#337ab7',
  wait: '#b0b7c3',
  approval: '#17a2b8',
  notify: '#8e6bbf',
  client: '#f0ad4e',
  fail: '#c62828',
  rto: '#2e7d32',
};

const LEGEND: [StepKind | 'rto', string][] = [
  ['detect', 'detection'],
  ['notify', 'trigger / notification'],
  ['task', 'step'],
  ['wait', 'wait'],
  ['approval', 'approval'],
  ['client', 'clients reconnect'],
  ['fail', 'failed'],
  ['rto', 'RTO'],
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
  const lastEnd = Math.max(1, ...bars.map((b) => b.end));
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
  return { rows, targetMs, targetOnScale, axisMax, left, width, plotW, rowH, top, axisY, height: axisY + 70, x };
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
  l.rows.flatMap((row, i) => {
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
  const out: string[] = [];
  let lx = l.left;
  for (const [kind, label] of LEGEND.filter(([k]) => present.has(k))) {
    out.push(
      `<rect x="${lx}" y="${l.axisY + 46}" width="12" height="10" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 16}" y="${l.axisY + 55}" fill="#333" font-size="11">${label}</text>`,
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
    ...markersSvg(m, l, extras),
    ...legendSvg(l, bars),
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
};

// ------------------------------------------------------------------ files

export interface ReportFiles {
  json: string;
  markdown: string;
  svg: string;
}

/** Writes report.json, report.md and timeline.svg of one run into `dir`; returns their paths. */
export const writeRunReport = async (dir: string, m: RunModel): Promise<ReportFiles> => {
  await mkdir(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'report.json'),
    markdown: path.join(dir, 'report.md'),
    svg: path.join(dir, 'timeline.svg'),
  };
  await writeFile(files.json, `${JSON.stringify(m, null, 2)}\n`);
  await writeFile(files.markdown, reportMarkdown(m));
  await writeFile(files.svg, timelineSvg(m));
  return files;
};
