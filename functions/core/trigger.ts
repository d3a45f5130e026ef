import * as z from 'zod';
import { alarmArn } from './arn.js';
import { orientPlan } from './direction.js';
import { type ExecutionInput, implausibleIncidentStart, MAX_INCIDENT_AGE_SECONDS } from './input.js';
import type { Plan } from './plan.js';
import type { ExecutionStarter } from './ports.js';
import { collectPlanRuns, decideRun } from './runs.js';
import { toCleanText } from './text.js';
import { functionsToWarm, type Warmer } from './warm-up.js';

/** The EventBridge event for a CloudWatch alarm state change (the fields dr-failover reads; `alarmStateChange` checks them). */
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

/**
 * What the trigger reads of an alarm state change, checked. The fields it decides on must be there; those it can do
 * without (the alarm ARN, the reason, the times, the previous state) are dropped when they are not what AWS documents,
 * so an odd event is started or declined, never a crash.
 */
const alarmStateChange = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  account: z.string(),
  region: z.string(),
  time: z.string().optional().catch(undefined),
  resources: z.array(z.unknown()).catch([]),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({
      value: z.string(),
      reason: z.string().optional().catch(undefined),
      timestamp: z.string().optional().catch(undefined),
    }),
    previousState: z.object({ value: z.unknown() }).optional().catch(undefined),
  }),
});
type AlarmStateChange = z.infer<typeof alarmStateChange>;

const isGamedayEvent = (event: unknown): event is GamedayEvent => {
  const e = event as Partial<GamedayEvent> | null;
  return e?.kind === 'gameday' && typeof e.plan === 'string' && typeof e.time === 'string';
};

const validDate = (value: string | undefined): Date | undefined => {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/**
 * How much later than the trigger Prepare may read its clock: after StartExecution, a Lambda invocation and, at
 * worst, its retries (8 attempts of at most 30 s, and their backoff: under 5 minutes). The trigger starts a run only
 * if Prepare would still accept its incident start then.
 */
const PREPARE_DELAY_SECONDS = 900;

/**
 * When the incident started, as the trigger can stand behind it: the event's time, but never later than the trigger
 * heard of it (a clock ahead of ours beyond Prepare's skew allowance would have the run refused), and refused when it
 * is older than Prepare accepts: such an event was replayed or retried all day, and starts no failover.
 */
const incidentStart = (at: Date, now: Date, what: string): { at: Date } | { stale: string } => {
  const start = at.getTime() > now.getTime() ? now : at;
  if (implausibleIncidentStart(start, new Date(now.getTime() + PREPARE_DELAY_SECONDS * 1000))) {
    return {
      stale:
        `${what} is from ${start.toISOString()}, too old for Prepare (${MAX_INCIDENT_AGE_SECONDS / 3600} h, less ` +
        `${PREPARE_DELAY_SECONDS / 60} min for it to run) at ${now.toISOString()}: a replayed or stale event starts no failover`,
    };
  }
  return { at: start };
};

const gamedayDecision = (event: GamedayEvent, plans: ReadonlyMap<string, Plan>, now: Date): TriggerDecision => {
  const plan = plans.get(event.plan);
  if (!plan?.gameday) return { start: false, reason: `no game day is planned for plan ${event.plan}` };
  const time = validDate(event.time);
  if (!time) return { start: false, reason: `game-day event has no valid time (${event.time})` };
  const incident = incidentStart(time, now, `game-day event for plan ${plan.name}`);
  if ('stale' in incident) return { start: false, reason: incident.stale };
  return {
    start: true,
    plan,
    executionName: executionName(plan.name, 'gameday', windowStamp(incident.at, 1)),
    input: {
      plan: plan.name,
      mode: plan.gameday.mode,
      dryRun: plan.gameday.dryRun,
      reason: `scheduled game day (${plan.gameday.schedule})`,
      requestedBy: 'schedule:gameday',
      incidentStartedAt: incident.at.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'schedule', source: plan.gameday.schedule },
    },
  };
};

/** The plan an alarm going into ALARM belongs to, or why it starts nothing. */
const planOfAlarm = (event: AlarmStateChange, plans: ReadonlyMap<string, Plan>): Plan | string => {
  const { alarmName, state, previousState } = event.detail;
  if (state.value !== 'ALARM') return `alarm ${alarmName} moved to ${state.value}, not ALARM`;
  if (previousState?.value === 'ALARM') return `alarm ${alarmName} was already in ALARM`;
  // A plan's wayBackAlarms start the plan turned round, from the stack of its primary region (core/direction.ts).
  const candidates = [...plans.values()]
    .flatMap((p) => (p.trigger.wayBackAlarms.includes(alarmName) ? [p, orientPlan(p, 'standby')] : [p]))
    .filter((p) => p.trigger.alarms.includes(alarmName));
  if (candidates.length === 0) return `no plan names alarm ${alarmName}`;
  const plan = candidates.find((p) => p.accountId === event.account && p.regions.standby === event.region);
  return (
    plan ??
    `alarm ${alarmName} came from account ${event.account} in ${event.region}, not a plan's account and standby region`
  );
};

const alarmDecision = (event: AlarmStateChange, plans: ReadonlyMap<string, Plan>, now: Date): TriggerDecision => {
  const plan = planOfAlarm(event, plans);
  if (typeof plan === 'string') return { start: false, reason: plan };
  const { alarmName, state } = event.detail;
  const time = validDate(state.timestamp) ?? validDate(event.time);
  if (!time) return { start: false, reason: `alarm event for ${alarmName} has no valid time` };
  const incident = incidentStart(time, now, `alarm event for ${alarmName}`);
  if ('stale' in incident) return { start: false, reason: incident.stale };
  // The event names the alarm's ARN (its rule matches on it); the plan says what it is in any case.
  const named = event.resources.find((r): r is string => typeof r === 'string') ?? '';
  const source = toCleanText(named, 512) || alarmArn(plan, alarmName);
  // CloudWatch reasons can be long and multi-line, and say anything; the execution input accepts neither.
  const why = toCleanText(state.reason ?? '', 1000);
  return {
    start: true,
    plan,
    executionName: executionName(plan.name, 'alarm', windowStamp(incident.at, plan.trigger.windowMinutes)),
    input: {
      plan: plan.name,
      mode: 'unplanned',
      dryRun: false,
      reason: toCleanText(`alarm ${alarmName} entered ALARM${why ? `: ${why}` : ''}`, 1000),
      requestedBy: toCleanText(`alarm:${alarmName}`, 256),
      incidentStartedAt: incident.at.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'alarm', source },
    },
  };
};

/**
 * Decides whether an event starts a run, and with which name and input: one that Prepare, reading the same plans and
 * clock, accepts. Pure.
 */
export const decideTrigger = (event: unknown, plans: ReadonlyMap<string, Plan>, now: Date): TriggerDecision => {
  if (isGamedayEvent(event)) return gamedayDecision(event, plans, now);
  const alarm = alarmStateChange.safeParse(event);
  if (!alarm.success) return { start: false, reason: 'not a CloudWatch Alarm State Change or game-day event' };
  return alarmDecision(alarm.data, plans, now);
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
  deps: {
    plans: () => ReadonlyMap<string, Plan>;
    now: () => Date;
    executions: ExecutionStarter;
    /** Warms Prepare and the run's functions while the run starts (core/warm-up.ts). */
    warmer?: () => Promise<Warmer>;
  },
): Promise<TriggerResult> => {
  const now = deps.now();
  const decision = decideTrigger(event, deps.plans(), now);
  if (!decision.start) return { outcome: 'ignored', reason: decision.reason };
  const { plan, executionName: name, input } = decision;
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
  // Sent with StartExecution, not before it: Prepare's own cold start overlaps with the start call.
  const [started] = await Promise.all([
    deps.executions.start(name, input),
    deps
      .warmer?.()
      .then((w) => w.warm(functionsToWarm(plan, true)))
      .catch(() => undefined),
  ]);
  return {
    outcome: started.outcome,
    plan: plan.name,
    executionName: name,
    ...(started.executionArn ? { executionArn: started.executionArn } : {}),
    ...(unchecked ? { unchecked } : {}),
  };
};
