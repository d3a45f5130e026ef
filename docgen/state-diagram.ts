/**
 * The failover state machine as a mermaid `stateDiagram-v2` and a table, generated from the ASL itself
 * (statemachines/failover.asl.yaml), so the picture in docs/architecture.md cannot drift from what is deployed.
 * Output is deterministic: states in definition order, edges in the order the definition states them.
 */

interface ChoiceRule {
  Variable?: string;
  Next?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  [comparator: string]: unknown;
}

interface RetrierDef {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

interface CatcherDef {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}

interface StateDef {
  Type: string;
  Comment?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: ChoiceRule[];
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  TimeoutSeconds?: number;
  Resource?: string;
  Retry?: RetrierDef[];
  Catch?: CatcherDef[];
  Error?: string;
  ErrorPath?: string;
  Parameters?: Record<string, unknown>;
  /** A Map state's iteration: a definition of its own. */
  ItemProcessor?: Definition;
  ItemsPath?: string;
  MaxConcurrency?: number;
}

export interface Definition {
  StartAt: string;
  States: Record<string, StateDef>;
}

/** The retry set every Task carries for the Lambda service's own transient errors. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

const isLambdaServiceSet = (errors: string[]) =>
  errors.length === LAMBDA_SERVICE_ERRORS.length && LAMBDA_SERVICE_ERRORS.every((e) => errors.includes(e));

/** A mermaid identifier for a state name (`LagWithinRpo?` → `LagWithinRpo`). */
const idOf = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '') || 'state';

const path = (p: string | undefined) => (p ?? '').replace(/^\$\.?/, '');

const COMPARATORS: Record<string, string> = {
  StringEquals: '=',
  BooleanEquals: 'is',
  NumericEquals: '=',
  NumericLessThan: '<',
  NumericLessThanEquals: '≤',
  NumericGreaterThan: '>',
  NumericGreaterThanEquals: '≥',
  StringMatches: 'matches',
  TimestampEquals: '=',
};

/** A Choice rule in words: `lag.decision = within-rpo`. */
export const conditionInWords = (rule: ChoiceRule): string => {
  if (rule.And) return rule.And.map((r) => (r.Or ? `(${conditionInWords(r)})` : conditionInWords(r))).join(' and ');
  if (rule.Or) return rule.Or.map(conditionInWords).join(' or ');
  if (rule.Not) return `not (${conditionInWords(rule.Not)})`;
  const variable = path(rule.Variable);
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent') return `${variable} ${value ? 'is set' : 'is not set'}`;
    if (key === 'IsNull') return `${variable} ${value ? 'is null' : 'is not null'}`;
    const isPath = key.endsWith('Path');
    const comparator = COMPARATORS[isPath ? key.slice(0, -'Path'.length) : key] ?? key;
    return `${variable} ${comparator} ${isPath ? path(String(value)) : String(value)}`;
  }
  return variable;
};

const waitInWords = (s: StateDef): string => {
  if (s.SecondsPath) return `after ${path(s.SecondsPath)} s`;
  if (s.Seconds !== undefined) return `after ${s.Seconds} s`;
  if (s.TimestampPath) return `at ${path(s.TimestampPath)}`;
  return `at ${s.Timestamp ?? '?'}`;
};

/** One Retry entry in words, for the table. */
const retryInWords = (r: RetrierDef): string => {
  const errors = isLambdaServiceSet(r.ErrorEquals) ? 'Lambda service errors' : r.ErrorEquals.join(', ');
  const parts = [`${r.MaxAttempts ?? 3}×`, `from ${r.IntervalSeconds ?? 1} s`, `backoff ×${r.BackoffRate ?? 2}`];
  if (r.MaxDelaySeconds !== undefined) parts.push(`at most ${r.MaxDelaySeconds} s apart`);
  if (r.JitterStrategy === 'FULL') parts.push('full jitter');
  return `${errors}: ${parts.join(', ')}`;
};

/**
 * One Retry entry on a self-loop, short so the picture stays readable: `Lambda ×3` for the Lambda service set,
 * `transient ×5` for the step's own retryable errors (the table names them).
 */
const retryLabel = (r: RetrierDef): string =>
  `${isLambdaServiceSet(r.ErrorEquals) ? 'Lambda' : 'transient'} ×${r.MaxAttempts ?? 3}`;

/** `error` when a state catches everything in one entry; `any other error` after specific ones. */
const catchLabel = (c: CatcherDef, all: CatcherDef[]) =>
  c.ErrorEquals.includes('States.ALL') ? (all.length > 1 ? 'any other error' : 'error') : c.ErrorEquals.join(', ');

/** Mermaid text must not carry characters its grammar reads (`:` `;` `#` and braces). */
const safe = (s: string) =>
  s
    .replace(/[:;#{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Every state with its definition, a Map's iteration states after the Map. */
const flatten = (def: Definition): [string, StateDef][] =>
  Object.entries(def.States).flatMap(([name, s]) => [
    [name, s] as [string, StateDef],
    ...(s.ItemProcessor ? flatten(s.ItemProcessor) : []),
  ]);

/** The edges of one level of the definition; a Map's iteration drawn inside it as a composite state. */
const edgeLines = (def: Definition, indent: string): string[] => {
  const lines: string[] = [`${indent}[*] --> ${idOf(def.StartAt)}`];
  for (const [name, s] of Object.entries(def.States)) {
    const id = idOf(name);
    const edge = (to: string, label?: string) =>
      lines.push(`${indent}${id} --> ${to === '[*]' ? to : idOf(to)}${label ? ` : ${safe(label)}` : ''}`);
    const recordingCatch = s.Catch?.find((c) => c.Next === s.Next && c.ErrorEquals.includes('States.ALL'));
    if (s.ItemProcessor)
      lines.push(`${indent}state ${id} {`, ...edgeLines(s.ItemProcessor, `${indent}  `), `${indent}}`);
    switch (s.Type) {
      case 'Choice':
        for (const rule of s.Choices ?? []) if (rule.Next) edge(rule.Next, conditionInWords(rule));
        if (s.Default) edge(s.Default, 'otherwise');
        break;
      case 'Wait':
        if (s.Next) edge(s.Next, waitInWords(s));
        break;
      case 'Succeed':
      case 'Fail':
        edge('[*]');
        break;
      default:
        // A Catch that goes where success goes (notifications): one edge says both.
        if (s.Next) edge(s.Next, recordingCatch ? 'done, or failed and recorded' : undefined);
        if (s.End) edge('[*]');
    }
    // One self-loop per state: several loops on one box are hard to tell apart.
    if (s.Retry?.length) edge(name, `retry ${s.Retry.map(retryLabel).join(' · ')}`);
    const catches = s.Catch ?? [];
    for (const c of catches) if (c !== recordingCatch) edge(c.Next, catchLabel(c, catches));
  }
  return lines;
};

export const mermaidStateDiagram = (def: Definition): string => {
  const states = flatten(def);
  const lines: string[] = ['stateDiagram-v2'];
  for (const [name] of states) {
    const id = idOf(name);
    if (id !== name) lines.push(`  state "${name}" as ${id}`);
  }
  lines.push(...edgeLines(def, '  '));
  const byType = (types: string[], pick: (n: string, s: StateDef) => boolean = () => true) =>
    states.filter(([n, s]) => types.includes(s.Type) && pick(n, s)).map(([n]) => n);
  const classes: [string, string, string[]][] = [
    ['choice', 'fill:#fff3cd,stroke:#b8860b', byType(['Choice'])],
    ['wait', 'fill:#eceff1,stroke:#78909c', byType(['Wait'])],
    [
      'approval',
      'fill:#e3f2fd,stroke:#1565c0',
      byType(['Task'], (_, s) => !!s.Resource?.endsWith('.waitForTaskToken')),
    ],
    ['notify', 'fill:#ede7f6,stroke:#5e35b1', byType(['Task'], (n) => n.startsWith('Notify'))],
    ['stop', 'fill:#ffebee,stroke:#c62828', byType(['Fail'])],
    ['done', 'fill:#e8f5e9,stroke:#2e7d32', byType(['Succeed'])],
  ];
  for (const [cls, style, members] of classes) {
    if (members.length === 0) continue;
    lines.push(`  classDef ${cls} ${style}`, `  class ${members.map(idOf).join(', ')} ${cls}`);
  }
  return lines.join('\n');
};

const cell = (s: string) => s.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

/** Every Task's timeout, retries and catches, and every Choice's branches, in words. */
const stateTable = (def: Definition): string => {
  const rows = ['| state | type | timeout | retries | on error | what it does |', '|---|---|---|---|---|---|'];
  for (const [name, s] of flatten(def)) {
    const type = s.Resource?.endsWith('.waitForTaskToken')
      ? 'Task (waits for a task token)'
      : s.ItemProcessor
        ? `Map (over \`${path(s.ItemsPath)}\`, ${s.MaxConcurrency ?? 'unbounded'} at once)`
        : s.Type;
    const timeout = s.TimeoutSeconds !== undefined ? `${s.TimeoutSeconds} s` : '';
    const retries = (s.Retry ?? []).map(retryInWords).join('<br>');
    const catches = (s.Catch ?? [])
      .map((c, _, all) => `${catchLabel(c, all)} → ${c.Next}${c.ResultPath ? ` (in \`${path(c.ResultPath)}\`)` : ''}`)
      .join('<br>');
    let what = s.Comment ?? '';
    if (s.Type === 'Choice') {
      what = [
        ...(s.Choices ?? []).map((r) => `${conditionInWords(r)} → ${r.Next}`),
        ...(s.Default ? [`otherwise → ${s.Default}`] : []),
      ].join('<br>');
    } else if (s.Type === 'Wait') {
      what = `${waitInWords(s)} → ${s.Next}`;
    } else if (s.Type === 'Fail') {
      const error = s.ErrorPath
        ? `ends with the error name in \`${path(s.ErrorPath)}\``
        : s.Error
          ? `ends with \`${s.Error}\``
          : '';
      what = [what.replace(/\.$/, ''), error].filter(Boolean).join('; ');
    } else if (s.Type === 'Pass' && typeof s.Parameters?.Error === 'string') {
      what = [what.replace(/\.$/, ''), `records error \`${s.Parameters.Error}\` → ${s.Next}`]
        .filter(Boolean)
        .join('; ');
    }
    rows.push(`| ${cell(name)} | ${type} | ${timeout} | ${cell(retries)} | ${cell(catches)} | ${cell(what)} |`);
  }
  return rows.join('\n');
};

export const STATE_MACHINE_BEGIN = '<!-- state-machine:begin -->';
export const STATE_MACHINE_END = '<!-- state-machine:end -->';

/** The generated section of docs/architecture.md, markers excluded. */
export const stateMachineSection = (def: Definition, source: string): string =>
  [
    `<!-- Generated from ${source} by \`npm run diagram\`; do not edit by hand. test/unit/docs.test.ts fails when it is out of date. -->`,
    '',
    '```mermaid',
    mermaidStateDiagram(def),
    '```',
    '',
    'Every state, as deployed. Self-loops are Retry entries: `Lambda` is the Lambda service set, `transient` the',
    "step's own retryable errors, named with their timing in the table. Edges named by an error are Catch entries;",
    'notification Tasks record their own failure and go on. Wait lengths come from the plan.',
    '',
    stateTable(def),
  ].join('\n');

/** Replaces the text between two marker lines (markers kept); fails when a marker is missing. */
export const replaceSection = (text: string, begin: string, end: string, content: string): string => {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`markers ${begin} … ${end} not found in order`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
};
