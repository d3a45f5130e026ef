import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import * as errors from '#core/errors.js';
import { parsePlan } from '#core/plan.js';
import {
  ARCHITECTURE_FILE,
  expectedArchitecture,
  expectedPlanDocs,
  expectedReadme,
  PLANS_FILE,
  planFieldCoverage,
  README_FILE,
} from '#docgen/generate.js';
import { type BenchDrill, headlineSection } from '#docgen/headline.js';
import { checkDescriptions } from '#docgen/plan-docs.js';
import { schemaFields } from '#docgen/schema-fields.js';
import {
  conditionInWords,
  type Definition,
  mermaidStateDiagram,
  replaceSection,
  STATE_MACHINE_BEGIN,
  STATE_MACHINE_END,
} from '#docgen/state-diagram.js';
import { loadPlanFile } from '#functions/lib/plan-catalog.js';
import { estimateDeployedRto } from '#lab/drill/estimate.js';

describe('generated docs are current', () => {
  it('docs/architecture.md carries the state machine diagram of the current ASL', () => {
    // Prepare
    const committed = readFileSync(ARCHITECTURE_FILE, 'utf8');

    // Act
    const expected = expectedArchitecture(committed);

    // Assess
    expect(committed, 'the state machine section of docs/architecture.md is out of date: run `npm run diagram`').toBe(
      expected,
    );
  });

  it('every plan field has a description and every description names a plan field', () => {
    // Act
    const { problems, message } = planFieldCoverage();

    // Assess
    expect(
      problems,
      `${message}\nAdd or remove the entries in docgen/plan-field-docs.ts, then run \`npm run docs\``,
    ).toEqual({
      missing: [],
      unknown: [],
    });
  });

  it('docs/plans.md matches the plan schema, the field descriptions and the example plans', () => {
    // Prepare
    const committed = readFileSync(PLANS_FILE, 'utf8');

    // Act
    const expected = expectedPlanDocs();

    // Assess
    expect(committed, 'docs/plans.md is out of date: run `npm run docs`').toBe(expected);
  });
});

/** GitHub's anchor of a Markdown heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const anchorsOf = (markdown: string): Set<string> =>
  new Set([
    ...[...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)),
    ...[...markdown.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] as string),
  ]);

describe('the runbook', () => {
  const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');

  it('has a section for every named error a run can end with', () => {
    // Prepare
    const names = Object.values(errors)
      .filter(
        (e): e is typeof errors.DrFailoverError =>
          typeof e === 'function' && e.prototype instanceof errors.DrFailoverError,
      )
      .map((e) => e.name);

    // Act
    const anchors = anchorsOf(runbook);

    // Assess
    expect(names.length).toBeGreaterThan(10);
    expect(
      names.filter((n) => !anchors.has(n.toLowerCase())),
      'docs/runbook.md needs an <a id="..."></a> section for these errors: a run can end with each of them',
    ).toEqual([]);
  });
});

describe('links between the docs', () => {
  const files = ['README.md', 'docs/architecture.md', 'docs/runbook.md', 'docs/drill.md', 'docs/plans.md'];
  const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

  it.each(files)('%s links only to files and sections that exist', (file) => {
    // Prepare
    const text = read(file);
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';

    // Act
    const broken = [...text.matchAll(/\]\(([^)\s]*\.md)?(?:#([^)\s]+))?\)/g)]
      .filter((m) => m[1] !== undefined || m[2] !== undefined)
      .filter((m) => {
        const target = m[1] ? new URL(m[1], `file:///${dir}`).pathname.slice(1) : file;
        let body: string;
        try {
          body = read(target);
        } catch {
          return true;
        }
        return m[2] !== undefined && !anchorsOf(body).has(m[2]);
      })
      .map((m) => m[0]);

    // Assess
    expect(broken).toEqual([]);
  });
});

describe('the README headline figures', () => {
  it('quote bench/drill.json as it is', () => {
    // Prepare
    const committed = readFileSync(README_FILE, 'utf8');

    // Act
    const expected = expectedReadme(committed);

    // Assess
    expect(committed, 'the README headline figures differ from bench/drill.json: run `npm run docs`').toBe(expected);
  });
});

describe('the README deployed-run estimate', () => {
  it('shows a row per shipped plan, the assumptions with their sources, and the plans that would stop polling too soon', () => {
    // Prepare: the committed benchmark with estimates computed from its own figures.
    const bench = JSON.parse(readFileSync('bench/drill.json', 'utf8')) as BenchDrill;
    const measured = { coldStartMs: { trigger: 259, prepare: 246 }, warmStepMs: 3, postgresPromoteMs: 130 };
    const ordersUpsert = {
      ...JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))),
      traffic: { kind: 'upsert' },
    };
    const tooSoon = parsePlan(
      {
        ...ordersUpsert,
        dnsSync: { maxStatusChecks: 2, statusCheckIntervalSeconds: 5 },
      },
      'test plan',
    );
    const plans = [
      estimateDeployedRto(parsePlan(ordersUpsert, 'orders'), measured),
      estimateDeployedRto(tooSoon, measured),
    ];

    // Act
    const section = headlineSection({ ...bench, deployedRtoEstimates: { measured, plans } });
    const without = headlineSection({ ...bench, deployedRtoEstimates: { missing: 'bench/cold.json' } });

    // Assess
    expect(section).toContain(
      '| orders | aurora-global, alarm start | trigger cold start 0.3 s (measured) + 25 warm steps 0.1 s (measured) + promotion 60.0 s (assumed) + DNS change in sync 60.0 s (assumed) | 120.3 s | 150.3 s | 300 s: met |',
    );
    expect(section).toContain('- Assumed: 60 s, changes reach all Route 53 authoritative servers within 60 seconds');
    expect(section).toContain('](https://aws.amazon.com/route53/faqs/)');
    expect(section).toMatch(/- \*\*orders\*\*: DNS: the plan stops checking after 10 s, before the 60 s AWS documents/);
    expect(section).toContain("- Not in **orders**'s figure: detection: the trigger alarms’ period");
    expect(without).not.toContain('A deployed run, estimated');
  });
});

describe('the plan field walker', () => {
  const schema = z
    .object({
      name: z.string().regex(/^[a-z]+$/, 'must be lowercase letters'),
      limits: z.object({ checks: z.number().int().min(1).max(9).default(3), ratio: z.number().optional() }).strict(),
      store: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('a'), arn: z.string() }).strict(),
        z.object({ kind: z.literal('b'), path: z.string().min(1) }).strict(),
      ]),
    })
    .strict();

  it('lists every field with its dotted path, type, presence and constraints in words', () => {
    // Act
    const { fields } = schemaFields(schema);

    // Assess
    const byPath = (p: string) => fields.filter((f) => f.path === p);
    expect(byPath('name')[0]).toMatchObject({
      type: 'string',
      required: true,
      constraints: ['must be lowercase letters'],
    });
    expect(byPath('limits.checks')[0]).toMatchObject({ type: 'integer', defaultValue: 3, constraints: ['≥ 1', '≤ 9'] });
    expect(byPath('limits.ratio')[0]).toMatchObject({ type: 'number', required: false });
    expect(byPath('store.arn')[0]?.variants).toEqual([{ path: 'store', label: 'kind = a' }]);
    expect(byPath('store.path')[0]).toMatchObject({ constraints: ['must not be empty'] });
    expect(byPath('store.kind').map((f) => f.type)).toEqual(['`a`', '`b`']);
  });

  it('reports fields without a description and descriptions of fields that do not exist', () => {
    // Prepare
    const docs = schemaFields(schema);
    const descriptions = Object.fromEntries(docs.fields.map((f) => [f.path, 'meaning']));
    delete descriptions['limits.ratio'];
    descriptions['limits.retired'] = 'a field that was removed';

    // Act
    const problems = checkDescriptions(docs, descriptions);

    // Assess
    expect(problems).toEqual({ missing: ['limits.ratio'], unknown: ['limits.retired'] });
  });
});

describe('the state machine diagram', () => {
  const definition: Definition = {
    StartAt: 'Check',
    States: {
      Check: {
        Type: 'Task',
        Retry: [{ ErrorEquals: ['BusyError'], MaxAttempts: 4 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
        Next: 'Ok?',
      },
      'Ok?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.check.state', StringEquals: 'done', Next: 'Done' }],
        Default: 'Pause',
      },
      Pause: { Type: 'Wait', SecondsPath: '$.plan.interval', Next: 'Check' },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail' },
    },
  };

  it('draws every state, Choice branch in words, Retry self-loop, Catch edge and Wait loop', () => {
    // Act
    const text = mermaidStateDiagram(definition);

    // Assess
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'stateDiagram-v2',
        '  state "Ok?" as Ok',
        '  [*] --> Check',
        '  Check --> Ok',
        '  Check --> Check : retry transient ×4',
        '  Check --> Failed : error',
        '  Ok --> Done : check.state = done',
        '  Ok --> Pause : otherwise',
        '  Pause --> Check : after plan.interval s',
        '  Done --> [*]',
        '  Failed --> [*]',
      ]),
    );
  });

  it('is the same text every time it is generated', () => {
    // Act
    const first = mermaidStateDiagram(definition);
    const second = mermaidStateDiagram(structuredClone(definition));

    // Assess
    expect(second).toBe(first);
  });

  it('puts compound conditions in words', () => {
    // Act
    const words = conditionInWords({
      And: [{ Variable: '$.a', BooleanEquals: true }, { Not: { Variable: '$.b', NumericGreaterThan: 3 } }],
    });

    // Assess
    expect(words).toBe('a is true and not (b > 3)');
  });

  it('replaces only the text between the markers, and refuses a file without them', () => {
    // Prepare
    const doc = `intro\n${STATE_MACHINE_BEGIN}\nold\n${STATE_MACHINE_END}\noutro\n`;

    // Act
    const replaced = replaceSection(doc, STATE_MACHINE_BEGIN, STATE_MACHINE_END, 'new');

    // Assess
    expect(replaced).toBe(`intro\n${STATE_MACHINE_BEGIN}\nnew\n${STATE_MACHINE_END}\noutro\n`);
    expect(() => replaceSection('no markers', STATE_MACHINE_BEGIN, STATE_MACHINE_END, 'new')).toThrow(/markers/);
  });
});
