/**
 * One report for every run, drill or AWS: report.json (the run model), report.md (for people: the timeline
 * table, RTO against the plan's target, RPO against its limit, who started it and why, every retry and warning,
 * and what on-call must do next) and timeline.svg (phases as bars on a shared time axis, the incident and the
 * RTO target marked).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type ComponentLane, fmtDuration, oneLine, outcomeWord, type RunModel } from './model.js';
import { timelineSvg } from './timeline.js';

// ------------------------------------------------------------------ Markdown

const mdCell = (c: string) => c.replaceAll('|', '\\|').replace(/\s+/g, ' ');

export const mdTable = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');

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

/** A component's gate, in words: its last reading before Fence, or why it has none. */
export const gateWords = (lane: ComponentLane): string => {
  const g = lane.gate;
  if (!g) return 'no gate';
  if (!g.read) return g.why;
  const when = g.atMs !== undefined ? ` at ${rel(g.atMs)}` : '';
  return `${g.within ? 'within' : 'NOT within'} (${g.checks} reading(s), last${when}): ${g.reason}`;
};

/** The components table: one row per lane. */
const componentRows = (lanes: readonly ComponentLane[]): string[][] =>
  lanes.map((c) => [
    c.name,
    `${c.kind}, stage ${c.stage}`,
    gateWords(c),
    c.startMs === undefined
      ? '—'
      : `${rel(c.startMs)} → ${c.endMs === undefined ? 'running' : rel(c.endMs)}${c.checks ? ` (${c.checks} call(s))` : ''}`,
    `**${c.status}**: ${oneLine(c.detail, 200)}`,
  ]);

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
  if (m.components) {
    out.push(
      `${h} Components`,
      '',
      mdTable(
        ['component', 'kind', 'gate (before Fence)', 'action (since time zero)', 'result'],
        componentRows(m.components),
      ),
      '',
    );
  }
  for (const a of m.artifacts ?? []) {
    const when = a.phase === 'gate' ? 'before Fence (the gate)' : 'after the promotion';
    const [summary, ...problems] = a.lines;
    out.push(`${h} Model artifacts, ${when}`, '', `Checked ${a.checkedAt}: ${summary}`, '');
    if (problems.length > 0) out.push(...problems.map((p) => `- ${p}`), '');
  }
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
