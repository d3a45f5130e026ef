/**
 * Generated docs. `npm run docs` writes both; `npm run diagram` only the state machine section.
 *
 *   tsx scripts/docs.ts [diagram|plans|readme|all] [--check]
 *
 * - diagram: docs/architecture.md, between <!-- state-machine:begin --> and <!-- state-machine:end -->, from
 *   statemachines/failover.asl.yaml.
 * - plans: docs/plans.md from the plan schema (functions/core/plan.ts) and docgen/plan-field-docs.ts.
 * - readme: the README's headline figures, between <!-- headline:begin --> and <!-- headline:end -->, from
 *   bench/drill.json (`npm run bench:drill`).
 * --check writes nothing and exits 1 when a file is out of date (test/unit/docs.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  ARCHITECTURE_FILE,
  expectedArchitecture,
  expectedPlanDocs,
  expectedReadme,
  PLANS_FILE,
  README_FILE,
} from '#docgen/generate.js';

const { values, positionals } = parseArgs({
  options: { check: { type: 'boolean', default: false } },
  allowPositionals: true,
  strict: true,
});
const what = positionals[0] ?? 'all';
if (!['diagram', 'plans', 'readme', 'all'].includes(what)) {
  process.stderr.write(`docs: unknown target "${what}": diagram, plans, readme or all\n`);
  process.exit(2);
}

const targets: { file: string; expected: () => string }[] = [];
const wanted = (target: string) => what === 'all' || what === target;
if (wanted('diagram')) targets.push({ file: ARCHITECTURE_FILE, expected: () => expectedArchitecture() });
if (wanted('plans')) targets.push({ file: PLANS_FILE, expected: () => expectedPlanDocs() });
if (wanted('readme')) targets.push({ file: README_FILE, expected: () => expectedReadme() });

let stale = 0;
for (const { file, expected } of targets) {
  let text: string;
  try {
    text = expected();
  } catch (error) {
    process.stderr.write(`docs: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const current = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  })();
  if (current === text) {
    process.stdout.write(`${file}: up to date\n`);
  } else if (values.check) {
    stale += 1;
    process.stdout.write(`${file}: out of date (run npm run docs)\n`);
  } else {
    writeFileSync(file, text);
    process.stdout.write(`${file}: written\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
