/**
 * The virtual clock of the AWS world: `Date` is faked (timers stay real, so middy and the emulator behave as
 * deployed) and moves only when the state machine would spend time: a Wait state it passes, or the interval
 * before a Retry. The handlers, the world and CloudWatch's windows all read this one clock.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { vi } from 'vitest';
import type { Handlers } from '#lab/state-machine.js';

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** Fakes `Date` at `start`; call `vi.useRealTimers()` in afterEach. */
export const virtualClock = (start = new Date('2026-12-07T10:00:00.000Z')): Clock => {
  vi.useFakeTimers({ toFake: ['Date'], now: start });
  return { now: () => Date.now(), advance: (ms) => vi.setSystemTime(Date.now() + ms) };
};

type States = StateMachineDefinition['States'];
type AnyState = States[string] & {
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Seconds?: number;
  SecondsPath?: string;
  Retry?: RetryPolicy[];
};
interface RetryPolicy {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/** The Wait states passed on the way from Task `from` to Task `to`, through Choice, Pass and Wait states only. */
const waitsBetween = (states: States, from: string, to: string): string[] => {
  const visit = (name: string | undefined, waits: string[], seen: Set<string>): string[] | undefined => {
    if (name === to) return waits;
    const state = name === undefined ? undefined : (states[name] as AnyState | undefined);
    if (!name || !state || seen.has(name) || !['Choice', 'Pass', 'Wait'].includes(state.Type)) return undefined;
    const next = [...(state.Choices ?? []).map((c) => c.Next), state.Default, state.Next];
    for (const n of next) {
      const found = visit(n, state.Type === 'Wait' ? [...waits, name] : waits, new Set([...seen, name]));
      if (found) return found;
    }
    return undefined;
  };
  return visit((states[from] as AnyState | undefined)?.Next, [], new Set()) ?? [];
};

/** `$.a.b` read from the Task's input (the run state: Choice and Wait states do not change it). */
const atPath = (input: unknown, path: string): number =>
  Number(
    path
      .replace(/^\$\.?/, '')
      .split('.')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], input),
  );

const waitMs = (state: AnyState, input: unknown): number =>
  1000 * (state.Seconds ?? (state.SecondsPath ? atPath(input, state.SecondsPath) : 0));

/** The longest interval Step Functions may wait before retry `attempt` (1-based): full jitter draws below it. */
const retryMs = (policy: RetryPolicy, attempt: number): number => {
  const seconds = (policy.IntervalSeconds ?? 1) * (policy.BackoffRate ?? 2) ** (attempt - 1);
  return 1000 * Math.min(seconds, policy.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
};

/**
 * The top-level states and those of every Map's ItemProcessor (the component stage: ComponentAction, WaitForComponent),
 * by name: the definition keeps state names unique across them. A Map iteration's Tasks and Waits then count too;
 * the iterations of one Map run one after another here only when the stage has one component.
 */
const everyState = (states: States): States => {
  const inner = Object.values(states).flatMap((s) => {
    const processor = (s as { ItemProcessor?: { States?: States } }).ItemProcessor;
    return processor?.States ? Object.entries(everyState(processor.States)) : [];
  });
  return { ...states, ...Object.fromEntries(inner) };
};

/**
 * Wraps each handler so that, before a Task runs, the clock moves by what the definition makes the state machine
 * wait since the previous Task: its Wait states, or (after a failure of the same Task) the longest retry interval,
 * so the retries of a step last as long as they can on AWS.
 */
export const onVirtualTime = (definition: StateMachineDefinition, clock: Clock, handlers: Handlers): Handlers => {
  const states = everyState(definition.States);
  let previous: { step: string; error?: string } | undefined;
  const attempts = new Map<string, number>();
  const elapsed = (step: string, input: unknown): number => {
    if (previous?.error && previous.step === step) {
      const policies = (states[step] as AnyState).Retry ?? [];
      const error = previous.error;
      const index = policies.findIndex((p) => p.ErrorEquals.includes(error) || p.ErrorEquals.includes('States.ALL'));
      const policy = policies[index];
      if (!policy) return 0;
      const key = `${step}#${index}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      return retryMs(policy, attempt);
    }
    for (const key of attempts.keys()) if (key.startsWith(`${step}#`)) attempts.delete(key);
    if (!previous) return 0;
    return waitsBetween(states, previous.step, step).reduce(
      (ms, wait) => ms + waitMs(states[wait] as AnyState, input),
      0,
    );
  };
  return Object.fromEntries(
    Object.entries(handlers).map(([fn, handler]) => [
      fn,
      async (event: never, context) => {
        const { step, state } = event as { step: string; state: unknown };
        const ms = elapsed(step, state);
        clock.advance(ms);
        // The invocation starts after the wait: its time left is measured from now, not from before the wait.
        const remaining = context.getRemainingTimeInMillis() + ms;
        const started = Date.now();
        const timed = { ...context, getRemainingTimeInMillis: () => remaining - (Date.now() - started) };
        try {
          const result = await handler(event, timed);
          previous = { step };
          return result;
        } catch (error) {
          previous = { step, error: (error as Error).name };
          throw error;
        }
      },
    ]),
  );
};
