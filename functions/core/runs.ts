/**
 * One run per plan: the rule the trigger and Prepare share. Pure decisions over what the state machine's
 * executions say (`decideRun`), and the bounded collection of those facts through a port (`collectPlanRuns`).
 */
import { parseArn } from './arn.js';
import { MAX_RUN_SECONDS } from './limits.js';
import type { Plan } from './plan.js';
import type { ExecutionLister, ExecutionSummary } from './ports.js';

/** What the rule needs to know of a run of a plan. */
export interface PlanRun {
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  /** A dry run changes nothing: it neither waits for real runs nor holds them up. */
  dryRun: boolean;
}

/**
 * The run being decided: the trigger's candidate (not started yet, so no `startDate`) or the run in Prepare.
 * `overrideCooldown` is honoured for manual runs only (Prepare refuses it on any other).
 */
export interface CandidateRun {
  name: string;
  dryRun: boolean;
  startDate?: Date;
  overrideCooldown: boolean;
}

export type RunDecision =
  | { proceed: true; cooldownOverridden?: { run: string; endedAt: string } }
  | { proceed: false; conflict: 'running' | 'cooldown'; blocker: string; reason: string };

const cooldownMs = (plan: Plan) => plan.trigger.cooldownMinutes * 60_000;

/** Earliest start first, then name: the order in which concurrent runs of a plan have precedence. */
const precedes = (a: { startDate: Date; name: string }, b: { startDate: Date; name: string }) =>
  a.startDate.getTime() - b.startDate.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The one rule: may `candidate` run, given the other runs of the same plan?
 *
 * - Real and dry runs never stop each other: a dry run changes nothing, so it must not hold up a real failover,
 *   and a real failover makes a dry run's findings moot, not dangerous.
 * - Another RUNNING run of the same kind (real or dry): one at a time. A candidate that has not started (the
 *   trigger) yields to it; two runs both past StartExecution keep the one that started first (then by name),
 *   so when both are in Prepare at the same moment each decides the same winner. `overrideCooldown` never
 *   overrides this.
 * - A real run that SUCCEEDED less than `trigger.cooldownMinutes` ago stops a new real run (a flapping alarm must
 *   not fail over again), unless the candidate says `overrideCooldown`. Failed, aborted and dry runs moved nothing
 *   for certain, so they start no cooldown.
 */
export const decideRun = (candidate: CandidateRun, others: readonly PlanRun[], plan: Plan, now: Date): RunDecision => {
  const peers = others.filter((o) => o.name !== candidate.name && o.dryRun === candidate.dryRun);
  const running = peers.filter((o) => o.status === 'RUNNING').sort(precedes);
  const first = running[0];
  if (first) {
    const self = candidate.startDate ? { name: candidate.name, startDate: candidate.startDate } : undefined;
    if (!self || precedes(first, self) < 0) {
      return {
        proceed: false,
        conflict: 'running',
        blocker: first.name,
        reason: `run ${first.name} of plan ${plan.name} (started ${first.startDate.toISOString()}) is running and goes on; this one stops`,
      };
    }
  }
  if (candidate.dryRun) return { proceed: true };
  const ended = peers
    .filter((o) => o.status === 'SUCCEEDED')
    .map((o) => ({ name: o.name, endedAt: o.stopDate ?? o.startDate }))
    .filter((o) => now.getTime() - o.endedAt.getTime() < cooldownMs(plan))
    .sort((a, b) => b.endedAt.getTime() - a.endedAt.getTime())[0];
  if (!ended) return { proceed: true };
  if (candidate.overrideCooldown) {
    return { proceed: true, cooldownOverridden: { run: ended.name, endedAt: ended.endedAt.toISOString() } };
  }
  const until = new Date(ended.endedAt.getTime() + cooldownMs(plan)).toISOString();
  return {
    proceed: false,
    conflict: 'cooldown',
    blocker: ended.name,
    reason:
      `run ${ended.name} of plan ${plan.name} succeeded at ${ended.endedAt.toISOString()}, inside the plan's ` +
      `${plan.trigger.cooldownMinutes}-minute cooldown (until ${until}); a manual run may start anyway with overrideCooldown: true`,
  };
};

/**
 * Which deployed plan and kind an execution name belongs to: `<plan>-<kind>-<stamp>`, as the trigger and the
 * CLI name runs. Matching the whole shape keeps plan `orders` apart from plan `orders-archive`.
 */
export const runKindOf = (name: string, plan: string): string | undefined => {
  if (!name.startsWith(`${plan}-`)) return undefined;
  const m = /^(alarm|gameday|manual|failback)-(.+)$/.exec(name.slice(plan.length + 1));
  if (!m) return undefined;
  return m[1] === 'manual' || /^\d{8}T\d{4}Z$/.test(m[2] ?? '') ? m[1] : undefined;
};

/**
 * Which of `plans` a run name belongs to, by its shape: the longest plan name that fits, since `orders-manual-…`
 * may belong to a plan `orders-manual`; undefined for a name of another shape (a console run's own name).
 */
export const runNameOwner =
  (plans: Iterable<string>) =>
  (name: string): string | undefined => {
    const longestFirst = [...new Set(plans)].sort((a, b) => b.length - a.length);
    return longestFirst.find((p) => runKindOf(name, p) !== undefined);
  };

/** The state machine ARN of an execution ARN (`arn:aws:states:R:A:execution:SM:NAME`), or undefined. */
export const stateMachineArnOf = (executionArn: string): string | undefined => {
  const arn = parseArn(executionArn);
  const [type, machine, name] = arn?.resource.split(':') ?? [];
  if (arn?.service !== 'states' || type !== 'execution' || !machine || !name) return undefined;
  return `arn:${arn.partition}:states:${arn.region}:${arn.account}:stateMachine:${machine}`;
};

/** How far back a listing must reach to see every run that can still conflict with a new one of `plan`. */
export const lookBack = (plan: Plan, now: Date): Date =>
  // A run that started the longest a run can last ago can still have ended inside a cooldown.
  new Date(now.getTime() - cooldownMs(plan) - MAX_RUN_SECONDS * 1000);

/** Could this execution still stop a new run (running, or succeeded recently enough)? */
const mayConflict = (e: ExecutionSummary, plan: Plan, now: Date) =>
  e.status === 'RUNNING' ||
  (e.status === 'SUCCEEDED' && now.getTime() - (e.stopDate ?? e.startDate ?? new Date(0)).getTime() < cooldownMs(plan));

const inputFacts = (input: unknown): { plan?: string; dryRun: boolean } => {
  const i = (typeof input === 'object' && input !== null ? input : {}) as { plan?: unknown; dryRun?: unknown };
  return { ...(typeof i.plan === 'string' ? { plan: i.plan } : {}), dryRun: i.dryRun === true };
};

/** A listed execution with the name and start date the rule needs. */
type NamedRun = ExecutionSummary & { name: string; startDate: Date };

/**
 * The runs of `plan` that may conflict with a new one: RUNNING ones and those that succeeded inside its cooldown.
 * Names tell most of it: another deployed plan's names are skipped; the trigger's alarm runs are never dry runs.
 * Every other candidate (manual and game-day runs, names of another shape) is described once for its input, so
 * the calls stay bounded by what is running or recent. `self` is skipped, and described only if the listing
 * does not show it yet (ListExecutions is eventually consistent), for its start date; `self.listed` says which.
 */
export const collectPlanRuns = async (
  lister: ExecutionLister,
  plan: Plan,
  plans: ReadonlyMap<string, Plan>,
  now: Date,
  self?: { executionArn: string; name: string },
): Promise<{ runs: PlanRun[]; self?: { startDate: Date; listed: boolean } }> => {
  const listed = await lister.recentExecutions(lookBack(plan, now));
  const seen = new Set<string>();
  const candidates = listed.filter((e): e is NamedRun => {
    const key = e.executionArn ?? e.name ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return e.name !== undefined && e.startDate !== undefined && mayConflict(e, plan, now);
  });
  const ownerOf = runNameOwner([...plans.keys(), plan.name]);
  const runs: PlanRun[] = [];
  let selfStart: Date | undefined;
  const toDescribe: NamedRun[] = [];
  for (const e of candidates) {
    if (self && (e.executionArn === self.executionArn || e.name === self.name)) {
      selfStart = e.startDate;
      continue;
    }
    const owner = ownerOf(e.name);
    if (owner !== undefined && owner !== plan.name) continue;
    if (owner && runKindOf(e.name, owner) === 'alarm') {
      runs.push({ ...base(e), dryRun: false });
    } else {
      toDescribe.push(e);
    }
  }
  const described = await Promise.all(
    toDescribe.map(async (e) => ({
      e,
      input: e.executionArn ? (await lister.describeExecution(e.executionArn)).input : undefined,
    })),
  );
  for (const { e, input } of described) {
    const facts = inputFacts(input);
    if (facts.plan !== plan.name) continue;
    runs.push({ ...base(e), dryRun: facts.dryRun });
  }
  const selfListed = selfStart !== undefined;
  if (self && !selfStart) selfStart = (await lister.describeExecution(self.executionArn)).startDate;
  return { runs, ...(selfStart ? { self: { startDate: selfStart, listed: selfListed } } : {}) };
};

const base = (e: NamedRun) => ({
  name: e.name,
  status: e.status ?? 'UNKNOWN',
  startDate: e.startDate,
  ...(e.stopDate ? { stopDate: e.stopDate } : {}),
});
