/** The ML platform drill's part of the summary and of report.md: the artifacts' ground truth and each component. */
import { mdTable } from '#report/render.js';
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
];

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
];
