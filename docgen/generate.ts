/**
 * What the generated docs should contain now: shared by `npm run docs` / `npm run diagram` (which write it) and
 * test/unit/docs.test.ts (which fails when the committed files differ).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planSchema } from '#core/plan.js';
import { loadDefinition } from '#lab/state-machine.js';
import { type BenchDrill, HEADLINE_BEGIN, HEADLINE_END, headlineSection } from './headline.js';
import { checkDescriptions, describeProblems, renderPlanDocs } from './plan-docs.js';
import { PLAN_FIELD_DOCS, PLAN_RULES } from './plan-field-docs.js';
import { schemaFields } from './schema-fields.js';
import {
  type Definition,
  replaceSection,
  STATE_MACHINE_BEGIN,
  STATE_MACHINE_END,
  stateMachineSection,
} from './state-diagram.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export const ARCHITECTURE_FILE = root('docs/architecture.md');
export const PLANS_FILE = root('docs/plans.md');
export const README_FILE = root('README.md');
const BENCH_DRILL_FILE = root('bench/drill.json');
const PLANS_DIR = root('plans');
const DESCRIPTIONS_FILE = 'docgen/plan-field-docs.ts';

/** docs/architecture.md with its state machine section regenerated from the ASL. */
export const expectedArchitecture = (current = readFileSync(ARCHITECTURE_FILE, 'utf8')): string =>
  replaceSection(
    current,
    STATE_MACHINE_BEGIN,
    STATE_MACHINE_END,
    stateMachineSection(loadDefinition() as unknown as Definition, 'statemachines/failover.asl.yaml'),
  );

/** The plan schema's fields and how well docgen/plan-field-docs.ts covers them. */
export const planFieldCoverage = () => {
  const docs = schemaFields(planSchema);
  const problems = checkDescriptions(docs, PLAN_FIELD_DOCS);
  return { docs, problems, message: describeProblems(problems, DESCRIPTIONS_FILE) };
};

/** docs/plans.md as it should be. Throws when a field has no description or a description names no field. */
export const expectedPlanDocs = (): string => {
  const { docs, problems, message } = planFieldCoverage();
  if (problems.missing.length > 0 || problems.unknown.length > 0) throw new Error(message);
  const examples = readdirSync(PLANS_DIR)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: `plans/${f}`, text: readFileSync(`${PLANS_DIR}/${f}`, 'utf8') }));
  return renderPlanDocs({
    docs,
    descriptions: PLAN_FIELD_DOCS,
    rules: PLAN_RULES,
    examples,
    schemaFile: 'functions/core/plan.ts',
    descriptionsFile: DESCRIPTIONS_FILE,
  });
};

/** README.md with its headline figures regenerated from bench/drill.json. */
export const expectedReadme = (current = readFileSync(README_FILE, 'utf8')): string =>
  replaceSection(
    current,
    HEADLINE_BEGIN,
    HEADLINE_END,
    headlineSection(JSON.parse(readFileSync(BENCH_DRILL_FILE, 'utf8')) as BenchDrill),
  );
