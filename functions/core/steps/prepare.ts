import { type AuroraPairObserver, auroraWayBack } from '../aurora-failback.js';
import { type Direction, observedWriter, orientPlan } from '../direction.js';
import { AlreadyInProgressError, ConfigurationError, InvalidInputError } from '../errors.js';
import { rdsWayBack } from '../failback.js';
import { parseExecutionInput } from '../input.js';
import { failbackRpo } from '../limits.js';
import type { Plan } from '../plan.js';
import type { ExecutionLister, PairObserver, RdsPairObserver } from '../ports.js';
import { redactString } from '../redact.js';
import { collectPlanRuns, decideRun, stateMachineArnOf } from '../runs.js';
import { type FailoverState, recordStep } from '../state.js';
import { functionsToWarm, type Warmer } from '../warm-up.js';
import type { StepDeps, StepPayload } from './deps.js';

export type PrepareDeps = Pick<StepDeps, 'now' | 'plans' | 'region'> & {
  /**
   * Observes the plan's pair, for the database kinds whose direction is observed (core/direction.ts); none, or an
   * answer of undefined, keeps the plan's own direction.
   */
  pair?: (plan: Plan) => Promise<PairObserver | undefined>;
  /** Observes an RDS pair for the way back (core/failback.ts): failback runs only. */
  rdsPair?: (plan: Plan) => Promise<RdsPairObserver | undefined>;
  /** Observes an Aurora global database for the way back (core/aurora-failback.ts): failback runs only. */
  auroraPair?: (plan: Plan) => Promise<AuroraPairObserver | undefined>;
  /** The executions of the state machine this run belongs to (its ARN is derived from the execution's). */
  runs: (stateMachineArn: string) => ExecutionLister;
  /** Warms the functions the run will call (core/warm-up.ts); none in the lab. */
  warmer?: () => Promise<Warmer>;
  /** Waits between two listings of the executions; tests move a virtual clock instead. */
  sleep?: (ms: number) => Promise<void>;
};

/**
 * How long the run guard waits for ListExecutions to show the run itself, one listing a second. ListExecutions is
 * eventually consistent ("results are best effort and may not reflect very recent updates",
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html): two runs of a plan started
 * a moment apart could each list before the other shows and both go on. A listing that shows this run shows the
 * runs started before it too (as far as the listing's delay is the same for all), so the later of two runs sees the
 * earlier and yields. Bounded within Prepare's 15 s timeout; past it the guard decides on what it sees, and says so.
 */
export const LISTING_WAIT_MS = 8_000;
const LISTING_POLL_MS = 1_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Validates the execution input (console, CLI and trigger share one shape), resolves the plan and opens the
 * timeline. Bad input throws InvalidInputError naming the field, before anything else runs.
 *
 * Then the run guard, here because every run passes through Prepare while the console and the CLI bypass the
 * trigger: another run of the plan running, or a real one that succeeded inside the cooldown, ends this one with
 * AlreadyInProgressError before it changes anything (functions/core/runs.ts has the rule).
 */
export const prepare = async (payload: StepPayload<unknown>, deps: PrepareDeps): Promise<FailoverState> => {
  const started = deps.now();
  const parsed = parseExecutionInput(payload.state, started);
  // Free text travels in the state through every step, the execution history and every notification: a password
  // pasted into it (a connection string in the reason) goes no further than the execution's own input.
  const input = {
    ...parsed,
    reason: redactString(parsed.reason),
    requestedBy: redactString(parsed.requestedBy),
    ...(parsed.trigger ? { trigger: { ...parsed.trigger, source: redactString(parsed.trigger.source) } } : {}),
  };
  const plans = deps.plans();
  const written = plans.get(input.plan);
  if (!written) {
    const known = [...plans.keys()].sort().join(', ') || '(none deployed)';
    throw new InvalidInputError('plan', `unknown plan "${input.plan}"; deployed plans: ${known}`);
  }
  const failback = input.trigger?.kind === 'failback';
  if (failback && written.components) {
    // A component names one direction (its buckets' replication, its access point's routes, the standby's capacity).
    throw new InvalidInputError(
      'trigger.kind',
      `failback of plan ${written.name} refused: a plan with components cannot be failed back yet (each component names the way out only); fail its database back with a plan without components`,
    );
  }
  // Which way the run goes is observed before anything changes: the plan from its current writer.
  const wayBack = failback ? await observeWayBack(written, input.mode, deps) : undefined;
  const direction = wayBack?.direction ?? (await observeDirection(written, deps));
  if (failback) refuseFailbackUnlessRebuilt(written.name, input.mode, direction);
  const oriented = direction ? orientPlan(written, direction.writer) : written;
  // The way back is never urgent: a lag unknown or over the RPO after the plan's checks aborts it, whatever the
  // plan says for an incident (proceed, or ask someone).
  // An RDS or Aurora way back also waits for lag 0 (failbackRpo): the rebuilt replica (the rejoined old primary) must
  // have every commit.
  const plan = !failback
    ? oriented
    : { ...oriented, rpo: wayBack ? failbackRpo(oriented.rpo) : { ...oriented.rpo, onExceeded: 'abort' as const } };
  if (deps.region !== undefined && plan.regions.standby !== deps.region) {
    // A run from any other region would depend on the region it is failing over from or to.
    // Observed: a stack acts only when its own region is the standby of the pair as it stands.
    const seen = direction ? ` (observed: ${direction.observed})` : '';
    throw new InvalidInputError(
      'plan',
      `plan ${plan.name} fails over to ${plan.regions.standby}${seen}; start it from the stack in that region, not ${deps.region}`,
    );
  }
  if (input.trigger?.kind === 'schedule' && !input.dryRun && plan.gameday?.dryRun !== false) {
    // A game-day schedule may only mutate when its plan says so explicitly.
    throw new InvalidInputError('dryRun', `plan ${plan.name} allows scheduled game days only as dry runs`);
  }
  if (input.overrideCooldown && input.trigger && !BY_HAND.includes(input.trigger.kind)) {
    throw new InvalidInputError(
      'overrideCooldown',
      `only a run started by hand may override the cooldown, not a ${input.trigger.kind} run`,
    );
  }
  // The warm-up goes out while the run guard lists executions: its cold starts overlap with the guard's calls.
  // A warm-up that cannot be sent only costs time: it never fails the run.
  const warming = deps
    .warmer?.()
    .then((w) => w.warm(functionsToWarm(plan, false)))
    .catch(() => undefined);
  const [{ cooldownOverridden, listingLag }, warmUp] = await Promise.all([
    guardRun(payload.executionId, input, plan, plans, deps),
    warming,
  ]);
  const state: FailoverState = {
    input,
    plan,
    run: {
      executionId: payload.executionId,
      startedAt: started.toISOString(),
      approvalRequired: input.trigger?.kind === 'alarm' && !plan.trigger.automatic,
      ...(cooldownOverridden ? { cooldownOverridden } : {}),
      ...(warmUp && warmUp.warmed.length + warmUp.failed.length > 0 ? { warmUp } : {}),
    },
    timeline: [],
    ...(wayBack ? { failback: wayBack.failback } : {}),
  };
  const how = `${input.dryRun ? 'dry-run ' : ''}${input.mode} failover of ${plan.name}`;
  const seen = direction
    ? `; ${direction.writer === 'standby' ? 'the pair observed the other way round' : 'direction observed'} (${direction.observed})`
    : '';
  state.timeline = recordStep(
    state,
    'Prepare',
    started,
    deps.now(),
    `${how} ${plan.regions.primary} → ${plan.regions.standby}, requested by ${input.requestedBy}${seen}` +
      (cooldownOverridden
        ? `; cooldown overridden (run ${cooldownOverridden.run} succeeded at ${cooldownOverridden.endedAt})`
        : '') +
      (listingLag ? `; ${listingLag}` : ''),
  );
  return state;
};

/**
 * The plan's runs as the listing shows them once it shows this run (LISTING_WAIT_MS at most); `lag` says when it
 * never did. A run the listing cannot describe (no start date) is not waited for.
 */
const listRuns = async (
  executionArn: string,
  plan: FailoverState['plan'],
  plans: ReadonlyMap<string, FailoverState['plan']>,
  deps: PrepareDeps,
) => {
  const stateMachineArn = stateMachineArnOf(executionArn);
  const name = executionArn.split(':').at(-1) ?? '';
  if (!stateMachineArn) {
    throw new ConfigurationError(`executionId ${executionArn} is not a Step Functions execution ARN`);
  }
  const lister = deps.runs(stateMachineArn);
  let found = await collectPlanRuns(lister, plan, plans, deps.now(), { executionArn, name });
  let waited = 0;
  while (found.self && !found.self.listed && waited < LISTING_WAIT_MS) {
    await (deps.sleep ?? realSleep)(LISTING_POLL_MS);
    waited += LISTING_POLL_MS;
    found = await collectPlanRuns(lister, plan, plans, deps.now(), { executionArn, name });
  }
  const lag =
    found.self && !found.self.listed
      ? `ListExecutions did not show this run after ${waited / 1000} s: decided on a listing that may miss a run ` +
        'started in the last seconds'
      : undefined;
  return { name, ...found, ...(lag ? { lag } : {}) };
};

/** Kinds of run a person starts, which may override the cooldown. */
const BY_HAND: readonly string[] = ['manual', 'failback'];

/**
 * A failback is the planned way back over a pair rebuilt the other way round: refused (nothing changed) when it is
 * not planned, or when the pair does not stand the other way round (not rebuilt yet, or a kind not observed).
 */
const refuseFailbackUnlessRebuilt = (plan: string, mode: string, direction: Direction | undefined): void => {
  if (mode !== 'planned') {
    throw new InvalidInputError('mode', 'a failback is planned: it fences the current writer and loses nothing');
  }
  if (direction?.writer !== 'standby') {
    const seen = direction
      ? `the pair stands as the plan is written (${direction.observed})`
      : 'its pair is not observed';
    throw new InvalidInputError(
      'trigger.kind',
      `failback of plan ${plan} refused: ${seen}; rebuild the old primary as the current writer's streaming standby first`,
    );
  }
  if (direction.writerSilent) {
    // A failback fences the writer first and loses nothing: a writer that cannot be fenced is an incident instead.
    throw new InvalidInputError(
      'trigger.kind',
      `failback of plan ${plan} refused: the current writer is not writable (${direction.observed}); a failback fences a running writer and loses nothing. If its region is failing, start an unplanned run from this stack instead`,
    );
  }
};

type WayBack = { direction: Direction; failback: NonNullable<FailoverState['failback']> };

/** The way back as Prepare finds it, for the kinds that have one in the state machine (RDS, Aurora); else none. */
const observeWayBack = async (plan: Plan, mode: string, deps: PrepareDeps): Promise<WayBack | undefined> => {
  if (mode !== 'planned') return undefined;
  return plan.database.kind === 'aurora-global' ? observeAuroraWayBack(plan, deps) : observeRdsWayBack(plan, deps);
};

/**
 * An RDS plan's way back as Prepare finds it (core/failback.ts): the direction (from the promoted replica), and what
 * the state machine still has to do (preserve and rebuild, unless the rebuilt replica already replicates). Refused,
 * nothing changed, without the replica's parameter group (the run back could not fence the writer).
 */
const observeRdsWayBack = async (plan: Plan, deps: PrepareDeps): Promise<WayBack | undefined> => {
  const db = plan.database;
  if (db.kind !== 'rds-instance') return undefined;
  const observer = await deps.rdsPair?.(plan);
  if (!observer) return undefined;
  if (!db.replicaFenceParameterGroupName) {
    throw new InvalidInputError(
      'plan',
      `failback of plan ${plan.name} refused: database.replicaFenceParameterGroupName is not set, so the run back ` +
        'could not fence the current writer (a planned run never promotes over a writable primary)',
    );
  }
  const { stage, observed } = rdsWayBack({ ...plan, database: db }, await observer.observe());
  return {
    direction: { writer: 'standby', observed: `${observed}; way back: ${stage}` },
    failback: {
      rebuild: stage,
      oldPrimaryArn: db.sourceInstanceArn,
      ...(db.rebuildKmsKeyArn ? { kmsKeyArn: db.rebuildKmsKeyArn } : {}),
    },
  };
};

/**
 * An Aurora plan's way back as Prepare finds it (core/aurora-failback.ts): the plan's target must be the global
 * writer; the state machine preserves Aurora's snapshot of the old primary and waits for it to rejoin, synchronized,
 * unless both are done already.
 */
const observeAuroraWayBack = async (plan: Plan, deps: PrepareDeps): Promise<WayBack | undefined> => {
  const db = plan.database;
  if (db.kind !== 'aurora-global') return undefined;
  const observer = await deps.auroraPair?.(plan);
  if (!observer) return undefined;
  const { stage, observed } = auroraWayBack({ ...plan, database: db }, await observer.observe());
  return {
    direction: { writer: 'standby', observed: `${observed}; way back: ${stage}` },
    failback: {
      rebuild: stage,
      oldPrimaryArn: db.primaryClusterArn,
      ...(db.preserveKmsKeyArn ? { kmsKeyArn: db.preserveKmsKeyArn } : {}),
    },
  };
};

/**
 * The observed direction of the plan's pair, where its kind is observed; AmbiguousTopologyError when unclear. As the
 * stack running the run sees it (core/direction.ts): the stack of the plan's primary region promotes the plan's
 * primary, any other (and the lab, with no region) the plan's standby.
 */
const observeDirection = async (plan: Plan, deps: PrepareDeps): Promise<Direction | undefined> => {
  const observer = await deps.pair?.(plan);
  const home = deps.region !== undefined && deps.region === plan.regions.primary ? 'primary' : 'standby';
  return observer ? observedWriter(await observer.observe(), home) : undefined;
};

/** Refuses the run (AlreadyInProgressError) when the rule says another run of the plan goes first. */
const guardRun = async (
  executionArn: string,
  input: ReturnType<typeof parseExecutionInput>,
  plan: FailoverState['plan'],
  plans: ReadonlyMap<string, FailoverState['plan']>,
  deps: PrepareDeps,
): Promise<{ cooldownOverridden?: { run: string; endedAt: string }; listingLag?: string }> => {
  const { name, runs, self, lag } = await listRuns(executionArn, plan, plans, deps);
  const now = deps.now();
  const verdict = decideRun(
    {
      name,
      dryRun: input.dryRun,
      overrideCooldown: input.overrideCooldown,
      ...(self ? { startDate: self.startDate } : {}),
    },
    runs,
    plan,
    now,
  );
  if (!verdict.proceed) throw new AlreadyInProgressError(verdict.reason);
  return {
    ...(verdict.cooldownOverridden ? { cooldownOverridden: verdict.cooldownOverridden } : {}),
    ...(lag ? { listingLag: lag } : {}),
  };
};
