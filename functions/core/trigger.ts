import type { ExecutionInput } from './input.js';
import type { Plan } from './plan.js';
import type { ExecutionStarter } from './ports.js';
import { collectPlanRuns, decideRun } from './runs.js';

/** The EventBridge event for a CloudWatch alarm state change (the fields dr-failover reads). */
export interface AlarmStateChangeEvent {
  source: string;
  'detail-type': string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: string; reason?: string; timestamp?: string };
    previousState?: { value: string; timestamp?: string };
  };
}

/** The input the plan's game-day schedule rule sends (its input transformer adds the event time). */
export interface GamedayEvent {
  kind: 'gameday';
  plan: string;
  time: string;
}

export type TriggerDecision =
  | { start: true; plan: Plan; executionName: string; input: ExecutionInput }
  | { start: false; reason: string };

/**
 * Characters Step Functions refuses in an execution name: whitespace, brackets, wildcards, the punctuation
 * listed in its API reference, and control characters.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/g;

/** A time window stamp: every event of one incident inside the window maps to the same stamp. */
export const windowStamp = (time: Date, windowMinutes: number): string => {
  const ms = windowMinutes * 60_000;
  const start = new Date(Math.floor(time.getTime() / ms) * ms);
  // 20261125T0315Z: sortable, and free of the ':' that execution names refuse.
  return `${start.toISOString().replace(/[-:]/g, '').slice(0, 13)}Z`;
};

/**
 * The execution name of an incident: `<plan>-<kind>-<window>`. Step Functions refuses a second execution of
 * the same name (for 90 days), so every duplicate, out-of-order or sibling alarm event of one incident maps to
 * one name and one run, with no lock of our own.
 */
export const executionName = (plan: string, kind: string, stamp: string): string =>
  `${plan}-${kind}-${stamp}`.replace(FORBIDDEN_NAME_CHARS, '-').slice(0, 80);

const isAlarmEvent = (event: unknown): event is AlarmStateChangeEvent => {
  const e = event as Partial<AlarmStateChangeEvent> | null;
  return (
    e?.source === 'aws.cloudwatch' &&
    e['detail-type'] === 'CloudWatch Alarm State Change' &&
    typeof e.detail?.alarmName === 'string' &&
    typeof e.detail?.state?.value === 'string'
  );
};

const isGamedayEvent = (event: unknown): event is GamedayEvent => {
  const e = event as Partial<GamedayEvent> | null;
  return e?.kind === 'gameday' && typeof e.plan === 'string' && typeof e.time === 'string';
};

const validDate = (value: string | undefined): Date | undefined => {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** Decides whether an event starts a run, and with which name and input. Pure. */
export const decideTrigger = (event: unknown, plans: ReadonlyMap<string, Plan>): TriggerDecision => {
  if (isGamedayEvent(event)) {
    const plan = plans.get(event.plan);
    if (!plan?.gameday) return { start: false, reason: `no game day is planned for plan ${event.plan}` };
    const at = validDate(event.time);
    if (!at) return { start: false, reason: `game-day event has no valid time (${event.time})` };
    return {
      start: true,
      plan,
      executionName: executionName(plan.name, 'gameday', windowStamp(at, 1)),
      input: {
        plan: plan.name,
        mode: plan.gameday.mode,
        dryRun: plan.gameday.dryRun,
        reason: `scheduled game day (${plan.gameday.schedule})`,
        requestedBy: 'schedule:gameday',
        incidentStartedAt: at.toISOString(),
        overrideCooldown: false,
        trigger: { kind: 'schedule', source: plan.gameday.schedule },
      },
    };
  }
  if (!isAlarmEvent(event)) return { start: false, reason: 'not a CloudWatch Alarm State Change or game-day event' };

  const { alarmName, state, previousState } = event.detail;
  if (state.value !== 'ALARM') return { start: false, reason: `alarm ${alarmName} moved to ${state.value}, not ALARM` };
  if (previousState?.value === 'ALARM') return { start: false, reason: `alarm ${alarmName} was already in ALARM` };

  const candidates = [...plans.values()].filter((p) => p.trigger.alarms.includes(alarmName));
  if (candidates.length === 0) return { start: false, reason: `no plan names alarm ${alarmName}` };
  const plan = candidates.find((p) => p.accountId === event.account && p.regions.standby === event.region);
  if (!plan) {
    return {
      start: false,
      reason: `alarm ${alarmName} came from account ${event.account} in ${event.region}, not a plan's account and standby region`,
    };
  }
  const at = validDate(state.timestamp) ?? validDate(event.time);
  if (!at) return { start: false, reason: `alarm event for ${alarmName} has no valid time` };
  const alarmArn = event.resources[0] || alarmName;
  // CloudWatch reasons can be long and multi-line; the execution input accepts neither.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being replaced
  const why = (state.reason ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const reason = `alarm ${alarmName} entered ALARM${why ? `: ${why}` : ''}`.slice(0, 1000);
  return {
    start: true,
    plan,
    executionName: executionName(plan.name, 'alarm', windowStamp(at, plan.trigger.windowMinutes)),
    input: {
      plan: plan.name,
      mode: 'unplanned',
      dryRun: false,
      reason,
      requestedBy: `alarm:${alarmName}`.slice(0, 256),
      incidentStartedAt: at.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'alarm', source: alarmArn.slice(0, 512) },
    },
  };
};

export type TriggerResult =
  | {
      outcome: 'started' | 'duplicate';
      plan: string;
      executionName: string;
      executionArn?: string;
      /** Why the trigger could not check the plan's other runs first (Prepare checks them in any case). */
      unchecked?: string;
    }
  | { outcome: 'ignored' | 'blocked'; reason: string; plan?: string; executionName?: string };

/** Handles one event end to end: decide, check the plan is not busy or cooling down, start. */
export const runTrigger = async (
  event: unknown,
  deps: { plans: () => ReadonlyMap<string, Plan>; now: () => Date; executions: ExecutionStarter },
): Promise<TriggerResult> => {
  const decision = decideTrigger(event, deps.plans());
  if (!decision.start) return { outcome: 'ignored', reason: decision.reason };
  const { plan, executionName: name, input } = decision;
  const now = deps.now();
  // The rule Prepare applies again (it is the one that counts: the console and CLI start runs without the trigger).
  // A throttled or unavailable listing must not hold up a failover (a burst of alarm events throttles
  // ListExecutions first): start anyway; Prepare applies the rule to the run, and the name still deduplicates.
  let unchecked: string | undefined;
  const runs = await collectPlanRuns(deps.executions, plan, deps.plans(), now).then(
    (found) => found.runs,
    (error: unknown) => {
      if ((error as { retryable?: boolean } | null)?.retryable !== true) throw error;
      unchecked = `${(error as Error).name}: ${(error as Error).message}`;
      return [];
    },
  );
  const verdict = decideRun(
    // Our own name is not a blocker: starting it again is the duplicate Step Functions refuses for us.
    { name, dryRun: input.dryRun, overrideCooldown: false },
    runs,
    plan,
    now,
  );
  if (!verdict.proceed) {
    return { outcome: 'blocked', plan: plan.name, executionName: name, reason: verdict.reason };
  }
  const started = await deps.executions.start(name, input);
  return {
    outcome: started.outcome,
    plan: plan.name,
    executionName: name,
    ...(started.executionArn ? { executionArn: started.executionArn } : {}),
    ...(unchecked ? { unchecked } : {}),
  };
};
