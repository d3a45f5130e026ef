import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PlanValidationError } from '#core/errors.js';
import { type Plan, parsePlan } from '#core/plan.js';

/** Reads and validates one plan file. Throws PlanValidationError with the path of every bad field. */
export const loadPlanFile = (file: string): Plan => {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'), { prettyErrors: true });
  } catch (error) {
    throw new PlanValidationError(file, [{ path: '', message: `unreadable: ${(error as Error).message}` }], {
      cause: error,
    });
  }
  return parsePlan(document, file);
};

/**
 * Loads every `*.yml` plan of a folder, keyed by plan name. A bad plan fails the whole load: a deployment
 * or a cold start with one broken plan must fail loudly rather than run with a partial catalogue.
 */
export const loadPlanCatalog = (dir: string): ReadonlyMap<string, Plan> => {
  const plans = new Map<string, Plan>();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort();
  for (const f of files) {
    const plan = loadPlanFile(join(dir, f));
    if (plans.has(plan.name)) {
      throw new PlanValidationError(join(dir, f), [{ path: 'name', message: `duplicate plan name ${plan.name}` }]);
    }
    plans.set(plan.name, plan);
  }
  return plans;
};

/** Where a deployed function finds its plans: PLANS_DIR, else `plans/` in the package root (Lambda's task root). */
export const defaultPlansDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PLANS_DIR ?? resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), 'plans');
