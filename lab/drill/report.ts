/**
 * The drill's report: report.json (everything measured), report.md (for people), timeline.svg (phases as bars on
 * a time axis, incident and RTO target marked), and the summary printed at the end of a run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { mdTable, runMarkdown } from '#report/render.js';
import { timelineSvg } from '#report/timeline.js';
import { type Aggregate, PEERS, PHYSICAL_FLOOR_MS, type Spread } from './aggregate.js';
import { lostCommitsLine, splitBrainLine } from './checks.js';
import { mlMarkdown, mlSummaryLines } from './platform-report.js';
import { runModelFromDrill } from './run-model.js';
import type { DrillReport } from './types.js';

const ms = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n)} ms`);
const fmtSpread = (s: Spread | undefined, unit = ' ms') =>
  s === undefined ? '—' : s.n === 1 ? `${s.median}${unit}` : `${s.median}${unit} (${s.min}–${s.max})`;

const stateOutcome = (r: DrillReport, name: string) => r.execution?.states.findLast((s) => s.name === name)?.outcome;

const lagLine = (r: DrillReport): string => {
  const lag = r.execution?.lag;
  if (!lag) return stateOutcome(r, 'CheckLag') ?? '';
  if (lag.reading.status === 'unknown') {
    return (
      `${lag.checks} check(s): lag unknown, never read as zero (the standby lost its primary and cannot know what it ` +
      `wrote after the last message); ${lag.decision === 'exceeded' ? `plan says ${r.plan.rpo.onExceeded}` : lag.decision}`
    );
  }
  return `${lag.checks} check(s): ${lag.decision}: ${lag.reason}`;
};

const fenceLine = (r: DrillReport): string => {
  const f = r.execution?.fence;
  if (!f) return stateOutcome(r, 'Fence') ?? '';
  if (f.fenced) return `fenced (${f.method})${f.finalLsn ? `, final LSN ${f.finalLsn}` : ''}`;
  if (f.readOnly)
    return `read-only but not fully fenced (${f.method}): ${f.readOnly.openSessions ?? 'unknown'} client sessions open`;
  return `not fenced (${f.method}): best effort in an unplanned run; the old primary is dark`;
};

/** The rows of the summary: phase, time, what happened. */
export const summaryRows = (r: DrillReport): [string, string, string][] => {
  const rows: [string, string, string][] = [];
  const p = r.phases;
  if (r.incident.kind === 'kill') {
    rows.push([
      'incident',
      '0 ms',
      `primary ${r.where.primary}: postmaster and every backend frozen and SIGKILLed (all gone ${r.incident.killMs ?? '?'} ms later)`,
    ]);
  } else {
    rows.push([
      'incident',
      '0 ms',
      r.incident.kind === 'switchover-request' ? 'planned switchover requested' : 'unplanned run started by hand',
    ]);
  }
  if (r.detection) {
    rows.push([
      'detection',
      ms(r.detection.ms),
      `${r.options.detectorFailures} consecutive failed probes every ${r.options.detectorIntervalMs} ms → ${r.detection.event.detail.alarmName} in ALARM`,
    ]);
  }
  if (p.trigger)
    rows.push(['trigger', ms(p.trigger.ms), `${r.trigger?.outcome ?? ''} ${r.trigger?.executionName ?? ''}`.trim()]);
  if (p.lagCheck) rows.push(['lag check', ms(p.lagCheck.ms), lagLine(r)]);
  if (p.fence) rows.push(['fence', ms(p.fence.ms), fenceLine(r)]);
  if (p.promotion) {
    rows.push([
      'promotion',
      ms(p.promotion.ms),
      `${r.orchestration === 'baseline' ? 'pg_promote' : (stateOutcome(r, 'Promote') ?? '')}${r.calls.promoteMs !== undefined ? ` (promote call ${r.calls.promoteMs} ms)` : ''}`,
    ]);
  }
  if (p.dnsSwitch) {
    rows.push([
      'DNS switch',
      ms(p.dnsSwitch.ms),
      `${r.where.dns.record} → ${r.where.standby.split(':')[0]}: ${r.where.traffic?.kind === 'routing-control' ? 'routing controls' : 'UPSERT'} (${ms(r.calls.dnsUpdateMs)}), INSYNC${r.orchestration === 'baseline' ? '' : ', verified by a DNS query'}`,
    ]);
  }
  if (p.clientReconnect) {
    rows.push(['client reconnect', ms(p.clientReconnect.ms), `DNS TTL ${r.where.dns.ttl} s, then a new connection`]);
  }
  if (r.rto) {
    rows.push([
      'RTO',
      ms(r.rto.ms),
      `incident → first insert acknowledged on a connection opened after it (id ${r.rto.firstWrite.id} on ${r.rto.firstWrite.server}); target ${r.rto.targetSeconds} s ${r.rto.met ? 'met' : 'MISSED'}; orchestration overhead ${r.rto.overheadMs} ms`,
    ]);
  } else if (r.outcome !== 'succeeded') {
    rows.push([
      'RTO',
      '—',
      `run ${r.outcome}: ${r.execution?.error ?? ''} ${r.standbyInRecovery ? '(nothing promoted: standby still in recovery)' : ''}`.trim(),
    ]);
  }
  if (r.rpo) rows.push(['RPO', `${r.rpo.lostCount} lost`, lostCommitsLine(r.rpo)]);
  if (r.splitBrain) rows.push(['split brain', r.splitBrain.ok ? 'none' : 'FOUND', splitBrainLine(r.splitBrain)]);
  return rows;
};

const waitsLine = (r: DrillReport) => {
  const entered = r.waits.filter((w) => w.entered > 0);
  if (entered.length === 0) return 'Wait states: none entered.';
  return (
    `Wait states shortened to ${r.options.waitMs} ms: ${entered.map((w) => `${w.state} ×${w.entered} (plan ${w.planSeconds} s)`).join(', ')}; ` +
    `a deployed run with this plan would wait ${(r.deployedWaitExtraMs / 1000).toFixed(1)} s more. Retry intervals and everything else as defined.`
  );
};

export const summaryText = (reports: readonly DrillReport[], agg: Aggregate, reportDir?: string): string => {
  const last = reports.at(-1);
  if (!last) return '';
  const lines: string[] = [];
  const title = `${last.mode} failover drill${last.orchestration === 'baseline' ? ' (baseline: no state machine)' : ''}`;
  lines.push(
    '',
    `── ${title}: ${last.outcome.toUpperCase()} ${reports.length > 1 ? `(last of ${reports.length} iterations)` : ''}`,
  );
  for (const [phase, t, what] of summaryRows(last)) lines.push(`  ${phase.padEnd(17)} ${t.padStart(9)}  ${what}`);
  lines.push(`  ${waitsLine(last)}`);
  if (reports.length > 1) {
    lines.push(
      '',
      `── ${reports.length} iterations (median, min–max): ${agg.succeeded} succeeded, split brain none in ${agg.splitBrainOk}`,
    );
    const agRows: [string, Spread | undefined, string][] = [
      ['RTO', agg.rtoMs, ' ms'],
      ['detection', agg.detectionMs, ' ms'],
      ['lag check', agg.lagCheckMs, ' ms'],
      ['fence', agg.fenceMs, ' ms'],
      ['promotion', agg.promotionMs, ' ms'],
      ['DNS switch', agg.dnsSwitchMs, ' ms'],
      ['client reconnect', agg.clientReconnectMs, ' ms'],
      ['overhead', agg.overheadMs, ' ms'],
      ['RPO (lost)', agg.rpoLost, ''],
      ['wall time', agg.wallMs, ' ms'],
    ];
    for (const [name, s, unit] of agRows) if (s) lines.push(`  ${name.padEnd(17)} ${fmtSpread(s, unit)}`);
  }
  if (last.mode === 'unplanned') {
    lines.push(
      '',
      `  Peers on this machine kind (kill -9, 50 writes/s): ${PEERS.map((p) => `${p.name.split(',')[0]}${p.name.includes('aggressive') ? ' aggressive' : p.name.includes('default timing') ? ' default' : ''} ${p.rtoSeconds} s`).join('; ')}; physical floor ≈ ${PHYSICAL_FLOOR_MS} ms.`,
    );
  }
  if (last.ml) lines.push(...mlSummaryLines(last.ml));
  lines.push(`  Drill wall time ${(last.wallMs / 1000).toFixed(1)} s, peak memory ${last.peakRssMb} MB.`);
  if (reportDir) lines.push(`  Report: ${path.join(reportDir, 'report.md')} (report.json, timeline.svg)`);
  return lines.join('\n');
};

// ------------------------------------------------------------------ timeline.svg

/** The drill's timeline: the shared report's chart of the drill as a run model. */
export const drillTimelineSvg = (r: DrillReport): string =>
  timelineSvg(
    runModelFromDrill(r),
    `dr-failover drill: ${r.mode} (${r.orchestration}), ${r.outcome}${r.rto ? `, RTO ${r.rto.ms} ms (target ${r.rto.targetSeconds} s ${r.rto.met ? 'met' : 'MISSED'})` : ''}${r.rpo ? `, RPO ${r.rpo.lostCount} commits` : ''}`,
  );

// ------------------------------------------------------------------ report.md

const header = (reports: readonly DrillReport[], agg: Aggregate, command: string, last: DrillReport): string[] => [
  `# dr-failover drill: ${last.mode} failover${last.orchestration === 'baseline' ? ' (baseline)' : ''}`,
  '',
  `Run ${last.startedAt} with \`${command}\`: ${reports.length} iteration(s), ${agg.succeeded} succeeded.`,
  '',
  `Primary ${last.where.primary}, standby ${last.where.standby} (streaming physical replication, embedded PostgreSQL), ` +
    `DNS record \`${last.where.dns.record}\` (TTL ${last.where.dns.ttl} s) on ${last.where.dns.nameserver}. ` +
    `Workload: ${last.options.ratePerSecond} commits/s through DNS. ` +
    (last.incident.kind === 'kill'
      ? `Detector: ${last.options.detectorFailures} consecutive failed probes every ${last.options.detectorIntervalMs} ms raise a \`CloudWatch Alarm State Change\` event, handled by the real trigger.`
      : 'Started by hand (trigger kind `manual`).'),
  '',
];

const measured = (last: DrillReport): string[] => [
  '## The run',
  '',
  runMarkdown(runModelFromDrill(last), { level: 3, timelineImage: 'timeline.svg' }),
  '## Last iteration, measured',
  '',
  mdTable(['phase', 'time', 'what happened'], summaryRows(last)),
  '',
  `**Definitions.** RTO = incident → first insert acknowledged on a connection opened after the incident (on the new primary). ` +
    'RPO = ids acknowledged by the old primary that are missing on the new primary (counted by querying it), and the time span of their acknowledgements. ' +
    'Orchestration overhead = RTO − detection − the promote call − the DNS UPSERT call.',
  '',
  '## Shortened waits',
  '',
  waitsLine(last),
  '',
  mdTable(
    ['Wait state', 'plan (s)', 'drill (ms)', 'entered'],
    last.waits.map((w) => [w.state, String(w.planSeconds), String(w.overrideMs), String(w.entered)]),
  ),
  '',
];

const iterations = (reports: readonly DrillReport[], agg: Aggregate): string[] =>
  reports.length <= 1
    ? []
    : [
        '## All iterations',
        '',
        mdTable(
          [
            '#',
            'outcome',
            'RTO ms',
            'detection ms',
            'promotion ms',
            'DNS ms',
            'overhead ms',
            'RPO lost',
            'split brain',
          ],
          reports.map((r, i) => [
            String(i + 1),
            r.outcome,
            ms(r.rto?.ms).replace(' ms', ''),
            ms(r.phases.detection?.ms).replace(' ms', ''),
            ms(r.phases.promotion?.ms).replace(' ms', ''),
            ms(r.phases.dnsSwitch?.ms).replace(' ms', ''),
            ms(r.rto?.overheadMs).replace(' ms', ''),
            r.rpo ? String(r.rpo.lostCount) : '—',
            r.splitBrain ? (r.splitBrain.ok ? 'none' : 'FOUND') : '—',
          ]),
        ),
        '',
        mdTable(
          ['figure', 'median (min–max)'],
          (
            [
              ['RTO', agg.rtoMs],
              ['detection', agg.detectionMs],
              ['promotion', agg.promotionMs],
              ['DNS switch', agg.dnsSwitchMs],
              ['orchestration overhead', agg.overheadMs],
              ['wall time', agg.wallMs],
            ] as [string, Spread | undefined][]
          ).map(([k, v]) => [k, fmtSpread(v)]),
        ),
        '',
      ];

const peers = (reports: readonly DrillReport[], agg: Aggregate, last: DrillReport): string[] =>
  last.mode !== 'unplanned'
    ? []
    : [
        '## Beside the peers',
        '',
        mdTable(
          ['system (same machine kind, kill -9, 50 writes/s)', 'writes resumed after'],
          [
            ...PEERS.map((p) => [p.name, `${p.rtoSeconds} s${p.range ? ` (${p.range})` : ''}`]),
            ['physical floor: kill → pg_promote → first write, nothing else', `≈ ${PHYSICAL_FLOOR_MS} ms`],
            [`this drill (${reports.length} run${reports.length > 1 ? 's, median' : ''})`, fmtSpread(agg.rtoMs)],
          ],
        ),
        '',
      ];

const afterwards = (last: DrillReport): string[] => [
  ...(last.execution
    ? [
        '## State machine run',
        '',
        `Execution \`${last.execution.name}\`: ${last.execution.status}${last.execution.error ? ` (${last.execution.error})` : ''}. States: ${last.execution.visited.join(' → ')}.`,
        '',
      ]
    : []),
  ...(last.notifications.length > 0
    ? ['## Notifications', '', ...last.notifications.map((n) => `- **${n.type}**: ${n.summary}`), '']
    : []),
  ...(last.detection
    ? [
        '## Alarm event (as EventBridge delivers it)',
        '',
        '```json',
        JSON.stringify(last.detection.event, null, 2),
        '```',
        '',
      ]
    : []),
  '## Workload',
  '',
  `${last.workload.acks} commits acknowledged (${Object.entries(last.workload.acksByServer)
    .map(([s, n]) => `${n} by ${s}`)
    .join(', ')}), ${last.workload.failedAttempts} failed attempts (${Object.entries(last.workload.failuresByCode)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ')}), ${last.workload.connections} connections.`,
  '',
];

/** The drill's report.md: the run as any run's report, then what only a drill measures. */
export const drillMarkdown = (reports: readonly DrillReport[], agg: Aggregate, command: string): string => {
  const last = reports.at(-1) as DrillReport;
  const out = [
    ...header(reports, agg, command, last),
    ...measured(last),
    ...iterations(reports, agg),
    ...peers(reports, agg, last),
    ...(last.ml ? mlMarkdown(last.ml) : []),
    ...afterwards(last),
  ];
  return `${out.join('\n')}\n`;
};

/** Writes report.json, report.md and timeline.svg (one per iteration beyond the first) into `dir`. */
export const writeReport = async (
  dir: string,
  reports: readonly DrillReport[],
  agg: Aggregate,
  command: string,
): Promise<void> => {
  await mkdir(dir, { recursive: true });
  const last = reports.at(-1) as DrillReport;
  await writeFile(
    path.join(dir, 'report.json'),
    `${JSON.stringify({ command, run: runModelFromDrill(last), aggregate: agg, iterations: reports }, null, 2)}\n`,
  );
  await writeFile(path.join(dir, 'report.md'), drillMarkdown(reports, agg, command));
  await writeFile(path.join(dir, 'timeline.svg'), drillTimelineSvg(last));
  if (reports.length > 1) {
    await Promise.all(reports.map((r, i) => writeFile(path.join(dir, `timeline-${i + 1}.svg`), drillTimelineSvg(r))));
  }
};

/** `drill-report/2026-11-25T12-12-06Z`: sortable, no ':' (Windows file names). */
export const reportDirName = (at: Date) =>
  at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
