/**
 * The round trip's report: both legs as the drill reports a run (their RTO and RPO each), the old primary's
 * return and its lost-write ledger beside the workload's record, the rebuild, and the watch on writable nodes.
 * report.json, report.md, timeline.svg (both legs and what happened between them on one time axis, from the kill)
 * and one timeline per leg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { mdTable } from '#report/render.js';
import { drillTimelineSvg, reportDirName, summaryRows } from './report.js';
import { ledgerLine, type RoundTripOptions, type RoundTripReport } from './round-trip.js';
import { roundTripTimelineSvg } from './round-trip-timeline.js';
import { runRoundTrip } from './run-drill.js';
import { cleanupActiveDrills } from './teardown.js';
import type { DrillProgress, DrillReport } from './types.js';

const legLine = (name: string, r: DrillReport | undefined): string[] => {
  if (!r) return [`── ${name}: not reached`];
  return [
    `── ${name} (${r.mode}): ${r.outcome.toUpperCase()}`,
    ...summaryRows(r).map(([phase, t, what]) => `  ${phase.padEnd(17)} ${t.padStart(9)}  ${what}`),
  ];
};

/** What happened between the legs, one line each. */
const betweenLines = (r: RoundTripReport): string[] => {
  const lines: string[] = [];
  if (r.returned) {
    lines.push(
      `  old primary back: ${r.returned.writeRejected ? 'fenced (writes refused)' : 'WRITABLE'}, ` +
        `${r.returned.outOfDns ? 'out of DNS' : 'STILL IN DNS'}; its data directory preserved at ${r.returned.preservedDataDir}`,
    );
  }
  if (r.ledger) lines.push(`  lost-write ledger: ${r.ledger.detail}`);
  if (r.ledgerCheck) lines.push(`  ledger vs workload: ${ledgerLine(r.ledgerCheck)}`);
  if (r.rebuild) {
    lines.push(
      `  rebuilt as standby of the new primary in ${r.rebuild.ms} ms, lag 0 at ${r.rebuild.catchUp.replayLsn} (caught up in ${r.rebuild.catchUp.ms} ms)`,
    );
  }
  return lines;
};

export const roundTripSummary = (r: RoundTripReport, reportDir?: string): string =>
  [
    '',
    `══ round trip: ${r.outcome.toUpperCase()}`,
    ...legLine('out', r.out),
    ...betweenLines(r),
    ...legLine('back', r.back),
    `── writable nodes: ${r.writers.bothWritable === 0 ? 'never two' : `TWO in ${r.writers.bothWritable} samples`} in ${r.writers.samples} samples (every 100 ms, both nodes at once); DNS answered ${r.writers.dnsAnswers.join(', ')}`,
    ...(reportDir
      ? [
          `  Report: ${path.join(reportDir, 'report.md')} (report.json, timeline.svg with both legs, timeline-out.svg, timeline-back.svg)`,
        ]
      : []),
  ].join('\n');

const legTable = (r: RoundTripReport): string[] =>
  mdTable(
    ['leg', 'mode', 'outcome', 'RTO', 'RPO (acknowledged commits lost)'],
    [r.out, r.back].map((leg, i) => [
      i === 0 ? 'out' : 'back',
      leg?.mode ?? '—',
      leg?.outcome ?? 'not reached',
      leg?.rto ? `${leg.rto.ms} ms` : '—',
      leg?.rpo ? `${leg.rpo.lostCount} of ${leg.rpo.acknowledgedByOldPrimary}` : '—',
    ]),
  ).split('\n');

const ledgerTable = (r: RoundTripReport): string[] => {
  const byXid = new Map((r.ledgerCheck?.rows ?? []).map((row) => [row.xid, row]));
  return mdTable(
    ['xid', 'commit LSN', 'committed at', 'workload id', 'acknowledged'],
    (r.ledger?.transactions ?? []).map((t) => {
      const row = byXid.get(t.xid);
      return [
        t.xid,
        t.lsn,
        t.committedAt ?? '—',
        row ? String(row.id) : '—',
        row ? (row.acknowledged ? 'yes' : 'no (in doubt)') : '—',
      ];
    }),
  ).split('\n');
};

export const roundTripMarkdown = (r: RoundTripReport, command: string): string =>
  [
    `# Round-trip drill: ${r.outcome}`,
    '',
    `\`${command}\``,
    '',
    ...legTable(r),
    '',
    '![Both legs on one timeline, from the kill](timeline.svg)',
    '',
    '## Between the legs',
    '',
    ...betweenLines(r).map((l) => `- ${l.trim()}`),
    '',
    '## Lost-write ledger',
    '',
    ...(r.ledger?.transactions?.length ? ledgerTable(r) : [r.ledger ? 'No transaction after the fork.' : 'Not read.']),
    '',
    '## Legs',
    '',
    ...[r.out, r.back].flatMap((leg, i) =>
      leg
        ? [
            `### ${i === 0 ? 'Out' : 'Back'}`,
            '',
            ...mdTable(['phase', 'time', 'what'], summaryRows(leg)).split('\n'),
            '',
          ]
        : [],
    ),
    `Writable nodes: ${r.writers.bothWritable} of ${r.writers.samples} samples had two.`,
    '',
  ].join('\n');

export const writeRoundTripReport = async (dir: string, r: RoundTripReport, command: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'report.json'), `${JSON.stringify({ command, roundTrip: r }, null, 2)}\n`);
  await writeFile(path.join(dir, 'report.md'), roundTripMarkdown(r, command));
  await writeFile(path.join(dir, 'timeline.svg'), roundTripTimelineSvg(r));
  await writeFile(path.join(dir, 'timeline-out.svg'), drillTimelineSvg(r.out));
  if (r.back) await writeFile(path.join(dir, 'timeline-back.svg'), drillTimelineSvg(r.back));
};

/** `npm run drill -- --round-trip`: runs it with live progress, writes the report, exits 0 when it succeeded. */
export const runRoundTripCommand = async (
  options: RoundTripOptions,
  io: {
    view: { onProgress: (p: DrillProgress) => void; note: (line: string) => void; finish: () => void };
    out: NodeJS.WritableStream;
    json: boolean;
    command: string;
    reportRoot: string;
  },
): Promise<never> => {
  io.view.note(
    options.secondIncident
      ? "── round-trip drill: unplanned failover (the primary will be killed), then the new primary's region lost too"
      : '── round-trip drill: unplanned failover (the primary will be killed), then a planned failback',
  );
  const started = new Date();
  let report: RoundTripReport;
  try {
    report = await runRoundTrip({ ...options, onProgress: io.view.onProgress });
  } catch (error) {
    io.view.finish();
    process.stderr.write(`\ndrill failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await cleanupActiveDrills();
    process.exit(1);
  }
  io.view.finish();
  const dir = path.join(io.reportRoot, reportDirName(started));
  await writeRoundTripReport(dir, report, io.command);
  if (io.json) process.stdout.write(`${JSON.stringify({ reportDir: dir, roundTrip: report }, null, 2)}\n`);
  else io.out.write(`${roundTripSummary(report, dir)}\n`);
  process.exit(report.outcome === 'succeeded' ? 0 : 1);
};
