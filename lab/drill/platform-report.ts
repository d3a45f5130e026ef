/** The ML platform drill's part of the summary and of report.md: the artifacts' ground truth and each component. */
import { mdTable } from '#report/render.js';
import { type FeatureDbReport, featureDbRpo } from './feature-db-verdict.js';
import type { MlReport } from './platform.js';

const list = (versions: readonly string[], max = 12) =>
  versions.length === 0
    ? 'none'
    : `${versions.slice(0, max).join(', ')}${versions.length > max ? ` and ${versions.length - max} more` : ''}`;

const verdictLine = (ml: MlReport): string =>
  ml.comparison.verdict === 'agree'
    ? `the run's artifact check AGREES: ${ml.comparison.detail}`
    : ml.comparison.verdict === 'disagree'
      ? `the run's artifact check DISAGREES with the ground truth: ${ml.comparison.detail}`
      : `the run's artifact check: not compared: ${ml.comparison.detail}`;

/** The second database's promotion, DNS switch and verdict, as the run saw them and as the drill finds them. */
const featureDbFacts = (db: FeatureDbReport) => {
  const { run, truth } = db;
  const answers = truth.answers.join(', ') || 'nothing';
  const fence = run.fence ? `old primary ${run.fence.fenced ? 'fenced' : 'NOT fenced'} (${run.fence.method}); ` : '';
  return {
    promotion:
      `${fence}standby ${truth.promoted ? 'promoted, writable' : 'still in recovery'} ` +
      `(the run: ${run.status}, ${run.promoted ? 'promoted' : 'not promoted'})`,
    dns: run.record
      ? `${db.record} UPSERT to ${run.record.target} (${run.record.status}); DNS answers ${answers}`
      : `${db.record} not moved by the run; DNS answers ${answers}`,
    lost: `${featureDbRpo(truth)} (${truth.acknowledged} acknowledged in all)`,
    firstWrite:
      truth.firstWriteOnNewMs === undefined
        ? 'none acknowledged by its new primary'
        : `${truth.firstWriteOnNewMs} ms after the incident, through its record`,
    verdict:
      db.verdict === 'agree'
        ? `the run's view AGREES: ${db.detail}`
        : `the run's view DISAGREES with the world: ${db.detail}`,
  };
};

const featureDbSummary = (db: FeatureDbReport): string[] => {
  const facts = featureDbFacts(db);
  const pad = ''.padEnd(18);
  return [
    `  ${db.name.padEnd(18)} ${db.primary} → ${db.standby}: ${facts.promotion}`,
    `  ${pad} DNS switch: ${facts.dns}`,
    `  ${pad} commits lost: ${facts.lost}`,
    `  ${pad} first write on its new primary: ${facts.firstWrite}`,
    `  ${pad} ${facts.verdict}`,
  ];
};

/** Lines for the terminal summary. */
export const mlSummaryLines = (ml: MlReport): string[] => [
  '',
  '── ML platform',
  `  model versions     ${ml.truth.acknowledged} registered and acknowledged, ${ml.truth.replicated} with their artifact in ${ml.buckets.standby}`,
  `  NOT LOADABLE       ${ml.truth.notReplicated.length}: ${list(ml.truth.notReplicated)} (artifact never reached the standby bucket)`,
  ...(ml.truth.lostFromRegistry.length > 0
    ? [`  lost from registry ${ml.truth.lostFromRegistry.length}: ${list(ml.truth.lostFromRegistry)}`]
    : []),
  `  artifact check     ${verdictLine(ml)}`,
  ...ml.recoveries.map((c) => `  ${c.name.padEnd(18)} ${c.status}; RTO ${c.rto}; RPO ${c.rpo}`),
  ...(ml.featureDb ? featureDbSummary(ml.featureDb) : []),
];

const featureDbMarkdown = (db: FeatureDbReport): string[] => {
  const facts = featureDbFacts(db);
  return [
    `### Second database: \`${db.name}\``,
    '',
    `A second PostgreSQL pair (primary ${db.primary}, streaming standby ${db.standby}) with its own record ` +
      `\`${db.record}\` on the lab's DNS server and a workload writing through it; its primary dies with the Region. ` +
      "The ground truth is the drill's own: the standby's `pg_is_in_recovery()`, a DNS query, and the workload's " +
      'acknowledged commits looked up on the new primary.',
    '',
    mdTable(
      ['', ''],
      [
        ['promotion', facts.promotion],
        ['DNS switch', facts.dns],
        ['acknowledged commits lost', facts.lost],
        ['first write on its new primary', facts.firstWrite],
        ["the run's view", facts.verdict],
      ],
    ),
    '',
  ];
};

/** The report.md section. */
export const mlMarkdown = (ml: MlReport): string[] => [
  '## ML platform',
  '',
  `Artifacts: \`${ml.buckets.primary}\` → \`${ml.buckets.standby}\` on the lab's S3 server, copied ${ml.settings.replicationDelayMs} ms after upload; ` +
    `a model version every ${ml.settings.versionIntervalMs} ms (artifact uploaded, then registered in \`model_versions\`). ` +
    "The ground truth is the drill's own: the workload's record of acknowledged versions, the new primary's registry and a listing of the standby bucket.",
  '',
  mdTable(
    ['', ''],
    [
      ['model versions acknowledged', String(ml.truth.acknowledged)],
      ['their artifact in the standby bucket', String(ml.truth.replicated)],
      ['**not loadable** (artifact never replicated)', list(ml.truth.notReplicated, 50)],
      ['acknowledged, lost from the registry', list(ml.truth.lostFromRegistry, 50)],
      ['in the registry, never acknowledged', list(ml.truth.unacknowledgedInRegistry, 50)],
      ['what a correct check of the new registry names', list(ml.truth.expectedProblems, 50)],
      ["the run's artifact check", verdictLine(ml)],
      ['online features', `${ml.features.written} writes, ${ml.features.replicated} replicated`],
    ],
  ),
  '',
  mdTable(
    ['component', 'result', 'RTO (from the incident)', 'RPO'],
    ml.recoveries.map((c) => [c.name, c.status, c.rto, c.rpo]),
  ),
  '',
  ...(ml.featureDb ? featureDbMarkdown(ml.featureDb) : []),
];
