/**
 * The README's headline figures, written from bench/drill.json (`npm run bench:drill`) so every number quoted is
 * one the benchmark measured: `npm run docs` rewrites the section, test/unit/docs.test.ts fails when it differs.
 */

interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

interface Side {
  succeeded: number;
  rtoMs?: Spread;
  detectionMs?: Spread;
  promoteCallMs?: Spread;
  dnsCallMs?: Spread;
  overheadMs?: Spread;
  clientReconnectMs?: Spread;
  switchedMs?: Spread;
  rpoLost?: Spread;
}

import type { DeployedEstimates } from '#lab/drill/estimate.js';

/** The part of bench/drill.json the README quotes. */
export interface BenchDrill {
  command: string;
  at: string;
  machine: { cpus: number; cpu?: string; node: string };
  settings: {
    runs: number;
    mode: string;
    ratePerSecond: number;
    detectorIntervalMs: number;
    detectorFailures?: number;
    waitMs: number;
    dnsTtlSeconds?: number;
  };
  drill: Side;
  baseline: Side;
  /** The drill per traffic mechanism, measured in the same run (absent from benches before traffic mechanisms). */
  mechanisms?: (Side & { name: string; runs: number; errors?: string[] })[];
  ratioDrillToBaseline?: number;
  switchRatioDrillToBaseline?: number;
  overheadDifferenceMs?: number;
  peakRssMb: number;
  deployedRtoEstimates?: DeployedEstimates;
  peers: Record<string, number>;
  runs: { drill: { splitBrainOk?: boolean }[]; baseline: { splitBrainOk?: boolean }[] };
}

export const HEADLINE_BEGIN = '<!-- headline:begin -->';
export const HEADLINE_END = '<!-- headline:end -->';

const ms = (s: Spread | undefined) => (s ? `${s.median} ms (${s.min}–${s.max})` : '—');
const median = (s: Spread | undefined) => (s ? `${s.median} ms` : '—');

const lost = (s: Spread | undefined) => {
  if (!s) return '—';
  return s.max === 0 ? `0 in each of ${s.n} runs` : `median ${s.median}, max ${s.max} (${s.n} runs)`;
};

const splitBrain = (runs: { splitBrainOk?: boolean }[]) => {
  const bad = runs.filter((r) => r.splitBrainOk !== true).length;
  return bad === 0 ? `none in ${runs.length} runs` : `FOUND in ${bad} of ${runs.length} runs`;
};

/** RTO per traffic mechanism: what a run costs with each, and what the UPSERT does with the control plane down. */
const mechanismRows = (b: BenchDrill): string[] => {
  if (!b.mechanisms?.length) return [];
  return [
    '',
    'RTO per traffic mechanism, the same drill in the same run ("control plane down": the DNS server\'s control API, ' +
      "Route 53's control-plane stand-in, refuses every call):",
    '',
    '| traffic | RTO | kill → record switched | traffic call | outcome |',
    '|---|---|---|---|---|',
    ...b.mechanisms.map((m) => {
      const outcome =
        m.succeeded === m.runs
          ? `succeeded ${m.succeeded}/${m.runs}`
          : `succeeded ${m.succeeded}/${m.runs}; ${m.errors?.join(', ') ?? 'failed'}: promoted, record not switched`;
      return `| ${m.name} | ${ms(m.rtoMs)} | ${ms(m.switchedMs)} | ${median(m.dnsCallMs)} | ${outcome} |`;
    }),
  ];
};

export const headlineSection = (b: BenchDrill): string => {
  const s = b.settings;
  const peers = Object.entries(b.peers).filter(([name]) => name !== 'physicalFloorMs');
  const floor = b.peers.physicalFloorMs;
  const ratio = (r: number | undefined) => (r === undefined ? '—' : r.toFixed(2));
  const hidden = b.ratioDrillToBaseline !== undefined && b.ratioDrillToBaseline <= 1.02;
  const bo = b.baseline.overheadMs?.median;
  const br = b.baseline.clientReconnectMs?.median;
  const baselineIsReconnect = bo !== undefined && br !== undefined && Math.abs(bo - br) <= 0.1 * Math.abs(bo);
  const switchedGap =
    b.drill.switchedMs && b.baseline.switchedMs ? b.drill.switchedMs.median - b.baseline.switchedMs.median : undefined;
  const rows: [string, string, string][] = [
    ['RTO: kill → first write on the new primary', ms(b.drill.rtoMs), ms(b.baseline.rtoMs)],
    ['kill → DNS record switched', ms(b.drill.switchedMs), ms(b.baseline.switchedMs)],
    ['detection (both: the same detector)', median(b.drill.detectionMs), median(b.baseline.detectionMs)],
    ['promote call', median(b.drill.promoteCallMs), median(b.baseline.promoteCallMs)],
    ['DNS UPSERT call', median(b.drill.dnsCallMs), median(b.baseline.dnsCallMs)],
    ['orchestration overhead (RTO − detection − the two calls)', ms(b.drill.overheadMs), ms(b.baseline.overheadMs)],
    [
      'client reconnect (DNS UPSERT → first write)',
      median(b.drill.clientReconnectMs),
      median(b.baseline.clientReconnectMs),
    ],
    ['RPO: acknowledged commits lost', lost(b.drill.rpoLost), lost(b.baseline.rpoLost)],
    ['split brain (old primary restarted takes a write)', splitBrain(b.runs.drill), splitBrain(b.runs.baseline)],
  ];
  return [
    `<!-- Generated from bench/drill.json by \`npm run docs\`; do not edit by hand. Re-measure with \`${b.command}\`. -->`,
    '',
    `Measured by \`${b.command}\` on ${b.at.slice(0, 10)} (${b.machine.cpus} CPUs${b.machine.cpu ? ` ${b.machine.cpu}` : ''}, ` +
      `Node ${b.machine.node}), written to [bench/drill.json](bench/drill.json): ${s.runs} ${s.mode} drills (the real trigger, ` +
      `state machine and handlers) and, interleaved with them, ${s.runs} hand-written baselines (the same kill, detector ` +
      `and workload, then only \`pg_promote\` and the DNS UPSERT). Workload ${s.ratePerSecond} commits/s through DNS ` +
      `(TTL ${s.dnsTtlSeconds ?? '?'} s), detector ${s.detectorFailures ?? '?'} × ${s.detectorIntervalMs} ms probes, Wait states ` +
      `${s.waitMs} ms. Median (min–max):`,
    '',
    '| figure | drill | baseline |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...mechanismRows(b),
    '',
    `- **Ratio drill / baseline: ${ratio(b.ratioDrillToBaseline)}** for the RTO, ${ratio(b.switchRatioDrillToBaseline)} ` +
      'for kill → DNS switched' +
      (switchedGap !== undefined
        ? `: the state machine switches the record ${switchedGap} ms after the hand-written sequence does, and clients ` +
          `holding a ${s.dnsTtlSeconds ?? '?'} s DNS answer ${hidden ? 'do not see that difference' : 'see part of it'} in this setup.`
        : '.'),
    `- **Orchestration overhead**: ${median(b.drill.overheadMs)} for the drill, ${median(b.baseline.overheadMs)} for the ` +
      `baseline (difference ${b.overheadDifferenceMs ?? '—'} ms)` +
      (baselineIsReconnect ? "; the baseline's is almost all client reconnection." : '.'),
    `- **Peak memory**: ${b.peakRssMb} MB (maxRSS of the whole benchmark process, ${(1 + Math.max(1, b.mechanisms?.length ?? 1)) * s.runs} drills).`,
    `- **Beside the peers** (measured on the same machine kind: 2-node clusters on loopback, kill -9, 50 writes/s): ` +
      `${peers.map(([name, seconds]) => `${name}: writes resumed after ${seconds} s`).join('; ')}. ` +
      (floor !== undefined
        ? `The physical floor (kill → \`pg_promote\` → first write, nothing else) is ${floor} ms. `
        : '') +
      'The peers detect failure with their own timing, so this compares detection settings as much as orchestration.',
    '',
    ...deployedSection(b.deployedRtoEstimates),
    "These are local figures: on AWS the RTO is dominated by what the drill does not have, a CloudWatch alarm's " +
      'evaluation periods, Lambda cold starts (`npm run bench:cold`) and the minutes RDS or Aurora take to promote. ' +
      'What they show is what the orchestration itself costs. How each figure is defined and measured: ' +
      '[docs/drill.md](docs/drill.md#how-the-figures-are-defined-and-measured).',
  ].join('\n');
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The estimate of a deployed run for each shipped plan, with the assumptions it rests on. */
const deployedSection = (estimates: DeployedEstimates | undefined): string[] => {
  if (!estimates || 'missing' in estimates) return [];
  const rows = estimates.plans.map(
    (e) =>
      `| ${e.plan} | ${e.database}, ${e.start} start | ${e.parts.map((p) => `${p.what} ${seconds(p.ms)} (${p.source})`).join(' + ')} | ` +
      `${seconds(e.switchedMs)} | ${seconds(e.clientsMs)} | ${e.targetSeconds} s: ${e.meetsTarget ? 'met' : '**missed**'} |`,
  );
  const assumptions = new Map(estimates.plans.flatMap((e) => e.assumptions.map((a) => [a.source, a] as const)));
  return [
    "**A deployed run, estimated** for each shipped plan: the plan's own polling intervals, the step time and cold " +
      "starts measured here, and AWS's documented operation times as assumptions. From the alarm (detection is set by " +
      'the alarms, not the plan) to the record answering the standby, then until the last cached answer expires (TTL):',
    '',
    '| plan | database | made of | DNS switched | clients (+ TTL) | RTO target |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...[...assumptions.values()].map((a) => `- Assumed: ${a.seconds} s, ${a.says} ([source](${a.source})).`),
    ...estimates.plans.flatMap((e) => e.warnings.map((w) => `- **${e.plan}**: ${w}.`)),
    ...estimates.plans.map((e) => `- Not in **${e.plan}**'s figure: ${e.excluded.join('; ')}.`),
    '',
  ];
};
