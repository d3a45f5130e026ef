import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { APPROVAL_BACKSTOP_SECONDS, APPROVAL_TIMEOUT_MAX_MINUTES } from '#core/approval.js';
import { ERROR_CLASSES, RETRYABLE_ERROR_NAMES } from '#core/errors.js';
import { MAX_COMPONENTS_PER_STAGE } from '#core/plan-components.js';
import { allStates, loadDefinition } from '#lab/state-machine.js';

/** Errors named by the libraries the steps run on, not by dr-failover: middy's early timeout. */
const LIBRARY_ERROR_NAMES = ['TimeoutError'];
const STANDARD_LAMBDA_RETRY = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; JitterStrategy?: string };
type TaskState = {
  Type: 'Task';
  Resource: string;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  TimeoutSeconds?: number;
  Next?: string;
  Parameters?: { FunctionName?: { 'Fn::GetAtt'?: [string, string] } };
};

const definition = loadDefinition();
const states = Object.entries(definition.States);
/** Every Task, those inside the stage Map's ItemProcessor included. */
const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task') as [string, TaskState][];
/** Tasks inside a Map iteration: their failures are recorded on the item, and the Map's own Catch fails the run. */
const ITERATION_TASKS = ['ComponentAction'];
/** Tasks after traffic has moved whose failure is recorded, never failing the run: where their Catch goes. */
const RECORDED_AFTER_SUCCESS: Record<string, string> = {
  FindArtifacts: 'ArtifactFindingFailed',
  ArtifactFindingFailed: 'NotifySucceeded',
};
const serverless = parseYaml(readFileSync('serverless.yml', 'utf8').replace(/!Sub /g, ''), { strict: false }) as {
  functions: Record<string, unknown>;
};

describe('statemachines/failover.asl.yaml', () => {
  it('matches only States.*, Lambda.* or error names the code exports, in every Retry and Catch', () => {
    // Prepare
    const known = new Set([...Object.keys(ERROR_CLASSES), ...LIBRARY_ERROR_NAMES]);
    const names = tasks.flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));

    // Act
    const unknown = names.filter((n) => !n.startsWith('States.') && !n.startsWith('Lambda.') && !known.has(n));

    // Assess
    expect(names.length).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });

  it('never retries a terminal error, and never retries States.ALL', () => {
    const retryable = new Set<string>([...RETRYABLE_ERROR_NAMES, ...LIBRARY_ERROR_NAMES]);
    for (const [name, state] of tasks) {
      for (const retrier of state.Retry ?? []) {
        for (const error of retrier.ErrorEquals) {
          const allowed = error.startsWith('Lambda.') || retryable.has(error);
          expect(allowed, `${name} retries ${error}`).toBe(true);
        }
      }
    }
  });

  it('gives every Task the standard Lambda retry set, a jittered backoff, a TimeoutSeconds and a Catch on States.ALL', () => {
    for (const [name, state] of tasks) {
      const lambdaRetry = state.Retry?.find((r) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect(lambdaRetry?.ErrorEquals, name).toEqual(expect.arrayContaining(STANDARD_LAMBDA_RETRY));
      for (const r of state.Retry ?? []) {
        expect(r.BackoffRate ?? 1, `${name} backs off`).toBeGreaterThan(1);
        expect(r.JitterStrategy, `${name} jitters`).toBe('FULL');
      }
      expect(state.TimeoutSeconds, `${name} TimeoutSeconds`).toBeGreaterThan(0);
      expect(state.Catch?.at(-1)?.ErrorEquals, `${name} catches all`).toEqual(['States.ALL']);
    }
  });

  it('sends every failure catch of a mutating or reading step to NotifyFailed, and notification failures onward', () => {
    for (const [name, state] of tasks) {
      const last = state.Catch?.at(-1)?.Next;
      if (name.startsWith('Notify')) {
        expect(['RebuildNeeded?', 'Succeeded', 'Failed', 'Aborted'], name).toContain(last);
      } else if (ITERATION_TASKS.includes(name)) {
        expect(last, name).toBe('ComponentEnded');
      } else if (name in RECORDED_AFTER_SUCCESS) {
        // The recorded failure goes on to the success notification: the run already moved traffic.
        expect(last, name).toBe(RECORDED_AFTER_SUCCESS[name]);
        expect(state.Next, name).toBe('NotifySucceeded');
      } else {
        expect(last, name).toBe('NotifyFailed');
      }
    }
  });

  it('names a deployed function in every Task, with a Task timeout above the function timeout', () => {
    for (const [name, state] of tasks) {
      const logicalId = state.Parameters?.FunctionName?.['Fn::GetAtt']?.[0] ?? '';
      const fn = logicalId.replace(/LambdaFunction$/, '');
      const key = fn.charAt(0).toLowerCase() + fn.slice(1);
      const deployed = serverless.functions[key] as { timeout?: number } | undefined;
      expect(deployed, `${name} → ${logicalId}`).toBeDefined();
      if (!state.Resource.endsWith('.waitForTaskToken')) {
        expect(state.TimeoutSeconds ?? 0, `${name} outlives ${key}`).toBeGreaterThan(deployed?.timeout ?? 0);
      }
    }
  });

  it('retries a throttled or failed-in-transit publish in every Task that publishes a notification', () => {
    // Prepare: an approval request is a notification too; losing it to one throttled call would fail the run.
    const publishing = tasks.filter(
      ([, s]) => s.Parameters?.FunctionName?.['Fn::GetAtt']?.[0] === 'NotifyLambdaFunction',
    );

    // Assess
    expect(publishing.map(([n]) => n)).toEqual(expect.arrayContaining(['ApproveFailover', 'ApproveLagExceeded']));
    for (const [name, state] of publishing) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(['ThrottledError', 'ServiceUnavailableError']));
    }
  });

  it("gives approval states a backstop above every plan's approval deadline, and aborts when none is given", () => {
    const approvals = tasks.filter(([, s]) => s.Resource.endsWith('.waitForTaskToken'));
    expect(approvals.map(([n]) => n)).toEqual(['ApproveFailover', 'ApproveLagExceeded']);
    for (const [name, s] of approvals) {
      expect(s.TimeoutSeconds, name).toBe(APPROVAL_BACKSTOP_SECONDS);
      expect(s.TimeoutSeconds ?? 0, name).toBeGreaterThan(APPROVAL_TIMEOUT_MAX_MINUTES * 60);
      expect(s.Catch?.[0], name).toEqual({
        ErrorEquals: ['ApprovalDeniedError', 'ApprovalTimedOutError', 'States.Timeout'],
        ResultPath: '$.error',
        Next: 'NotifyAborted',
      });
    }
  });

  it('has no dangling transitions and reaches every state', () => {
    const names = new Set(Object.keys(definition.States));
    const targets = new Set<string>([definition.StartAt]);
    for (const [, s] of states) {
      const st = s as { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };
      for (const t of [
        st.Next,
        st.Default,
        ...(st.Choices ?? []).map((c) => c.Next),
        ...(st.Catch ?? []).map((c) => c.Next),
      ]) {
        if (t) {
          expect(names.has(t), `transition to ${t}`).toBe(true);
          targets.add(t);
        }
      }
    }
    expect([...names].filter((n) => !targets.has(n))).toEqual([]);
  });

  it('runs a stage in a Map whose iteration records its own failure, and whose own failure goes to NotifyFailed', () => {
    // Prepare
    const map = definition.States.RunComponentStage as {
      Type: string;
      ItemsPath?: string;
      MaxConcurrency?: number;
      ItemProcessor?: { StartAt: string; States: Record<string, { Type: string; Next?: string; End?: boolean }> };
      Catch?: { ErrorEquals: string[]; Next: string }[];
      Next?: string;
    };

    // Assess
    expect(map.Type).toBe('Map');
    expect(map.ItemsPath).toBe('$.componentRun.items');
    expect(map.MaxConcurrency).toBe(MAX_COMPONENTS_PER_STAGE);
    expect(map.Catch?.at(-1)).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailed' });
    expect(map.Next).toBe('NextComponentStage');
    const inner = map.ItemProcessor?.States ?? {};
    expect(Object.keys(inner).sort()).toEqual([
      'ComponentAction',
      'ComponentEnded',
      'ComponentSettled?',
      'WaitForComponent',
    ]);
    expect(inner.ComponentEnded?.Type).toBe('Succeed');
  });
});
