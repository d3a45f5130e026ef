import type { Plan } from '#core/plan.js';
import { defaultPlansDir, loadPlanCatalog } from './plan-catalog.js';

let catalog: ReadonlyMap<string, Plan> | undefined;

/** The deployed plans, loaded and validated once per cold start; a bad plan fails the cold start loudly. */
export const deployedPlans = (): ReadonlyMap<string, Plan> => {
  catalog ??= loadPlanCatalog(defaultPlansDir());
  return catalog;
};
