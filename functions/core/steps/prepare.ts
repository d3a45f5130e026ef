import { InvalidInputError } from '../errors.js';
import { parseExecutionInput } from '../input.js';
import { redactString } from '../redact.js';
import { type FailoverState, recordStep } from '../state.js';
import type { StepDeps, StepPayload } from './deps.js';

/**
 * Validates the execution input (console, CLI and trigger share one shape), resolves the plan and opens the
 * timeline. Bad input throws InvalidInputError naming the field, before anything else runs.
 */
export const prepare = async (
  payload: StepPayload<unknown>,
  deps: Pick<StepDeps, 'now' | 'plans' | 'region'>,
): Promise<FailoverState> => {
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
  const plan = plans.get(input.plan);
  if (!plan) {
    const known = [...plans.keys()].sort().join(', ') || '(none deployed)';
    throw new InvalidInputError('plan', `unknown plan "${input.plan}"; deployed plans: ${known}`);
  }
  if (deps.region !== undefined && plan.regions.standby !== deps.region) {
    // A run from any other region would depend on the region it is failing over from or to.
    throw new InvalidInputError(
      'plan',
      `plan ${plan.name} fails over to ${plan.regions.standby}; start it from the stack in that region, not ${deps.region}`,
    );
  }
  if (input.trigger?.kind === 'schedule' && !input.dryRun && plan.gameday?.dryRun !== false) {
    // A game-day schedule may only mutate when its plan says so explicitly.
    throw new InvalidInputError('dryRun', `plan ${plan.name} allows scheduled game days only as dry runs`);
  }
  const state: FailoverState = {
    input,
    plan,
    run: {
      executionId: payload.executionId,
      startedAt: started.toISOString(),
      approvalRequired: input.trigger?.kind === 'alarm' && !plan.trigger.automatic,
    },
    timeline: [],
  };
  const how = `${input.dryRun ? 'dry-run ' : ''}${input.mode} failover of ${plan.name}`;
  state.timeline = recordStep(
    state,
    'Prepare',
    started,
    deps.now(),
    `${how} ${plan.regions.primary} → ${plan.regions.standby}, requested by ${input.requestedBy}`,
  );
  return state;
};
