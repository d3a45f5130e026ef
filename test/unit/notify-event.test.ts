import { describe, expect, it } from 'vitest';
import { approvalTimeoutCause } from '#core/approval.js';
import { InvalidInputError } from '#core/errors.js';
import { parseExecutionInput } from '#core/input.js';
import { measureRun } from '#core/measures.js';
import { causeMessage, nextStepsFor } from '#core/next-steps.js';
import type { FailoverState } from '#core/state.js';
import { buildEvent } from '#core/steps/notify.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const plan = loadPlanFile('plans/orders.yml');
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:orders-alarm-20261125T0315Z';
const NOW = new Date('2026-11-25T03:20:00.000Z');
const TOKEN = 'AAAAKgAAAAIAAAAAAAAAAToken';

const input = parseExecutionInput({
  plan: 'orders',
  mode: 'unplanned',
  reason: 'alarm orders-db-primary-unhealthy entered ALARM',
  requestedBy: 'alarm:orders-db-primary-unhealthy',
  incidentStartedAt: '2026-11-25T03:15:00Z',
  trigger: { kind: 'alarm', source: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy' },
});

const entry = (step: FailoverState['timeline'][number]['step'], endedAt: string) => ({
  step,
  startedAt: endedAt,
  endedAt,
  outcome: `${step} done`,
});

/** A run that got through Verify: promoted 03:17, DNS in sync, verified 03:18:30. */
const succeeded = (): FailoverState => ({
  input,
  plan,
  run: { executionId: EXECUTION, startedAt: '2026-11-25T03:15:05Z', approvalRequired: false },
  timeline: [
    entry('Prepare', '2026-11-25T03:15:06Z'),
    entry('CheckLag', '2026-11-25T03:15:10Z'),
    entry('Promote', '2026-11-25T03:15:20Z'),
    entry('PromotionStatus', '2026-11-25T03:17:00Z'),
    entry('UpdateDns', '2026-11-25T03:17:05Z'),
    entry('DnsStatus', '2026-11-25T03:18:00Z'),
    entry('Verify', '2026-11-25T03:18:30Z'),
  ],
  lag: {
    reading: {
      status: 'known',
      seconds: 0.4,
      observedAt: '2026-11-25T03:15:10Z',
      source: 'cloudwatch:AuroraGlobalDBRPOLag',
    },
    checks: 1,
    decision: 'within-rpo',
    reason: 'lag 0.4 s within RPO 30 s',
  },
  promotion: { state: 'writable', detail: 'writer', checks: 9, writableAt: '2026-11-25T03:17:00Z' },
  dns: {
    recordName: 'db.orders.example.internal',
    target: 'orders-eu.cluster-abc.eu-west-1.rds.amazonaws.com',
    ttl: 30,
    status: 'insync',
    checks: 3,
  },
});

describe('buildEvent', () => {
  it.each([
    ['NotifyStarted', 'Failover Started'],
    ['NotifySucceeded', 'Failover Succeeded'],
    ['NotifyFailed', 'Failover Failed'],
    ['NotifyAborted', 'Failover Aborted'],
    ['ApproveFailover', 'Approval Required'],
    ['ApproveLagExceeded', 'Approval Required'],
  ])('turns step %s into a %s event', (step, type) => {
    // Act
    const event = buildEvent(step, EXECUTION, succeeded(), NOW);

    // Assess
    expect(event).toMatchObject({
      type,
      plan: 'orders',
      executionId: EXECUTION,
      mode: 'unplanned',
      dryRun: false,
      requestedBy: 'alarm:orders-db-primary-unhealthy',
      reason: 'alarm orders-db-primary-unhealthy entered ALARM',
      occurredAt: NOW.toISOString(),
    });
  });

  it('throws InvalidInputError naming step for a step that has no notification', () => {
    // Act
    const attempt = () => buildEvent('Promote', EXECUTION, succeeded(), NOW);

    // Assess
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(/^step: unknown notification step Promote$/);
  });

  it('says where the run goes and why when it starts', () => {
    // Act
    const event = buildEvent('NotifyStarted', EXECUTION, succeeded(), NOW);

    // Assess
    expect(event.summary).toBe(
      'Started unplanned failover of orders (us-east-1 → eu-west-1): alarm orders-db-primary-unhealthy entered ALARM',
    );
    expect(event.detail).toMatchObject({ regions: plan.regions, trigger: input.trigger });
  });

  it('carries the measured RTO and RPO when the run succeeded', () => {
    // Act
    const event = buildEvent('NotifySucceeded', EXECUTION, succeeded(), NOW);

    // Assess
    expect(event.summary).toBe(
      'unplanned failover of orders (us-east-1 → eu-west-1) succeeded: db.orders.example.internal → orders-eu.cluster-abc.eu-west-1.rds.amazonaws.com, RTO 210 s (target 300 s)',
    );
    expect(event.detail.measures).toEqual({
      rtoSeconds: 210,
      rtoTargetSeconds: 300,
      rtoMet: true,
      promotionSeconds: 120,
      rpo: { status: 'known', seconds: 0.4, source: 'cloudwatch:AuroraGlobalDBRPOLag', limitSeconds: 30 },
    });
  });

  it('carries the error name, the message parsed from the Lambda Cause and the next steps when the run failed', () => {
    // Prepare: the orders plan as it was with the record UPSERT (the error is Route 53's).
    const state: FailoverState = {
      ...succeeded(),
      plan: { ...plan, traffic: { kind: 'upsert' } },
      timeline: succeeded().timeline.slice(0, 5),
      dns: undefined,
      error: {
        Error: 'DnsChangeFailedError',
        Cause: JSON.stringify({
          errorType: 'DnsChangeFailedError',
          errorMessage: 'ChangeResourceRecordSets Z0123 failed: AccessDenied',
          trace: ['DnsChangeFailedError: ...'],
        }),
      },
    };

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

    // Assess
    expect(event.type).toBe('Failover Failed');
    expect(event.summary).toBe(
      'FAILED unplanned failover of orders (us-east-1 → eu-west-1): DnsChangeFailedError: ChangeResourceRecordSets Z0123 failed: AccessDenied',
    );
    expect(event.detail).toMatchObject({
      error: 'DnsChangeFailedError',
      message: 'ChangeResourceRecordSets Z0123 failed: AccessDenied',
      lastCompletedStep: 'UpdateDns',
      promoted: true,
      dnsSwitched: false,
      nextSteps: nextStepsFor('DnsChangeFailedError'),
    });
    expect(event.detail.nextSteps).toContain('IS promoted');
  });

  it('gives generic next steps for an error it has no advice for, before anything was promoted', () => {
    // Prepare
    const { promotion: _promotion, dns: _dns, ...beforePromotion } = succeeded();
    const state = { ...beforePromotion, error: { Error: 'Lambda.Unknown', Cause: 'The Lambda function timed out' } };

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

    // Assess
    expect(event.detail).toMatchObject({
      message: 'The Lambda function timed out',
      nextSteps: nextStepsFor(undefined),
    });
  });

  it('says the failover is done but unchecked when a step crashed or timed out after DNS was in sync', () => {
    // Prepare: Verify's function timed out; the standby is writable and the record change in sync.
    for (const error of ['Lambda.Unknown', 'States.Timeout']) {
      const state = { ...succeeded(), error: { Error: error, Cause: 'timed out' } };

      // Act
      const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

      // Assess
      expect(event.detail.nextSteps, error).toMatch(/IS promoted and writable and the DNS change is in sync/);
      expect(event.detail.stateOfTheWorld, error).toEqual(
        expect.arrayContaining([expect.stringMatching(/^DNS: db\.orders\.example\.internal → .* is in sync\.$/)]),
      );
    }
  });

  it('says the standby is promoted but DNS not switched when a transient DNS error outlasted its retries', () => {
    // Prepare: UpdateDns never got an answer from the DNS service; the run stopped after PromotionStatus.
    const base = succeeded();
    const { dns: _dns, ...promotedOnly } = base;
    const state = {
      ...promotedOnly,
      timeline: base.timeline.slice(0, 4),
      error: {
        Error: 'ServiceUnavailableError',
        Cause: JSON.stringify({ errorMessage: 'UPSERT db.orders.example.internal: DNS control endpoint unreachable' }),
      },
    };

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

    // Assess
    expect(event.detail).toMatchObject({
      error: 'ServiceUnavailableError',
      lastCompletedStep: 'PromotionStatus',
      promoted: true,
      dnsSwitched: false,
      nextSteps: nextStepsFor('ServiceUnavailableError', { promoted: true, dnsSwitched: false }),
    });
    expect(event.detail.nextSteps).toMatch(
      /IS promoted and writable, but the DNS record still points at the old primary/,
    );
    expect(event.detail.nextSteps).not.toBe(nextStepsFor(undefined));
  });

  it.each([
    ['at CheckLag, before anything changed', false, false, /^Nothing was changed\./],
    [
      'at Promote, after this run fenced the old primary',
      true,
      false,
      /^Nothing was promoted .*had already fenced the old primary/,
    ],
    [
      'at PromotionStatus, after Promote was accepted',
      true,
      true,
      /^A promotion of the standby WAS requested and may complete/,
    ],
  ])(
    'tells the truth about the old primary when a run is refused as ambiguous %s',
    (_when, fenced, requested, says) => {
      // Prepare: the run got as far as CheckLag (and Fence, and Promote); the pair then showed no single writer.
      const { dns: _dns, promotion: _promotion, ...before } = succeeded();
      const promote = {
        outcome: 'started' as const,
        detail: 'PromoteReadReplica accepted',
        at: '2026-11-25T03:15:20Z',
      };
      const state = {
        ...before,
        timeline: before.timeline.slice(0, requested ? 4 : fenced ? 3 : 2),
        ...(fenced ? { fence: { fenced: true, method: 'read-only-parameter', detail: 'set read-only' } } : {}),
        ...(requested ? { promote } : {}),
        error: {
          Error: 'AmbiguousTopologyError',
          Cause: JSON.stringify({
            errorMessage: 'run refused, this step changed nothing: the replica is fenced read-only',
          }),
        },
      };

      // Act
      const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

      // Assess
      expect(event.detail).toMatchObject({ error: 'AmbiguousTopologyError', promoted: false, dnsSwitched: false });
      expect(event.detail.nextSteps).toMatch(says);
      expect(event.detail.nextSteps).not.toMatch(requested ? /Nothing was/ : /WAS requested/);
    },
  );

  it('explains an abort with the lag reason when there is no error message', () => {
    // Prepare
    const base = succeeded();
    const state: FailoverState = {
      ...base,
      lag: {
        ...(base.lag as NonNullable<FailoverState['lag']>),
        decision: 'exceeded',
        reason: 'lag 45 s exceeds RPO 30 s',
      },
      error: { Error: 'ReplicationLagExceededError' },
    };

    // Act
    const event = buildEvent('NotifyAborted', EXECUTION, state, NOW);

    // Assess
    expect(event.summary).toBe(
      'Aborted unplanned failover of orders (us-east-1 → eu-west-1): lag 45 s exceeds RPO 30 s',
    );
    expect(event.detail).toMatchObject({
      error: 'ReplicationLagExceededError',
      nextSteps: nextStepsFor('ReplicationLagExceededError'),
    });
  });

  it('says what is proposed, the measured lag, the deadline and how to approve or deny when approval is required', () => {
    // Prepare
    const deadline = new Date('2026-11-25T03:50:00.000Z');
    const state: FailoverState = {
      ...succeeded(),
      lag: {
        reading: {
          status: 'known',
          seconds: 120,
          observedAt: NOW.toISOString(),
          source: 'cloudwatch:AuroraGlobalDBRPOLag',
        },
        checks: 6,
        decision: 'exceeded',
        reason: 'lag 120 s exceeds RPO 30 s',
      },
    };

    // Act
    const event = buildEvent('ApproveLagExceeded', EXECUTION, state, NOW, TOKEN, { deadline, timeoutMinutes: 30 });

    // Assess
    expect(event.type).toBe('Approval Required');
    expect(event.summary).toBe(
      'Approval required by 2026-11-25T03:50:00.000Z for unplanned failover of orders (us-east-1 → eu-west-1): lag 120 s exceeds RPO 30 s',
    );
    expect(event.detail).toMatchObject({
      proposed:
        'unplanned failover to eu-west-1: fence the old primary, promote the standby and point db.orders.example.internal at it',
      why: expect.stringContaining('rpo.onExceeded: wait-for-approval'),
      measuredLag: 'lag 120 s exceeds RPO 30 s',
      deadline: '2026-11-25T03:50:00.000Z',
      timeoutMinutes: 30,
      ifNoAnswer: 'at 2026-11-25T03:50:00.000Z the run aborts (ApprovalTimedOutError), notified; nothing is changed',
      approve: `npx dr-failover approve '${TOKEN}'`,
      deny: `npx dr-failover deny '${TOKEN}' --reason "..."`,
      awsApprove: expect.stringContaining(`send-task-success --task-token '${TOKEN}'`),
      awsDeny: expect.stringContaining(`send-task-failure --task-token '${TOKEN}' --error ApprovalDeniedError`),
    });
    expect(event.detail.deadlineWarning).toBeUndefined();
  });

  it('says lag is not measured yet when a non-automatic plan asks before any lag check', () => {
    // Prepare
    const { lag: _lag, ...state } = succeeded();

    // Act
    const event = buildEvent('ApproveFailover', EXECUTION, state, NOW, TOKEN, {
      deadline: new Date('2026-11-25T04:20:00Z'),
      timeoutMinutes: 60,
    });

    // Assess
    expect(event.detail.why).toMatch(/trigger.automatic: false/);
    expect(event.detail.measuredLag).toMatch(/^not measured yet/);
  });

  it('warns, with the deadline that really applies, when the plan timer could not be armed', () => {
    // Act
    const event = buildEvent('ApproveFailover', EXECUTION, succeeded(), NOW, TOKEN, {
      deadline: new Date('2026-11-25T07:25:00Z'),
      timeoutMinutes: 30,
      timerError: 'AwsRequestFailedError: CreateSchedule failed: AccessDeniedException',
    });

    // Assess
    expect(event.detail.deadline).toBe('2026-11-25T07:25:00.000Z');
    expect(event.detail.deadlineWarning).toBe(
      "the plan's 30-minute timer could not be armed (AwsRequestFailedError: CreateSchedule failed: AccessDeniedException); the run waits until the deadline above instead",
    );
  });

  it('says who was asked and when the request expired when a run aborts for want of an answer', () => {
    // Prepare
    const cause = approvalTimeoutCause({
      plan: 'orders',
      step: 'ApproveLagExceeded',
      askedAt: new Date('2026-11-25T03:20:00Z'),
      deadline: new Date('2026-11-25T03:50:00Z'),
      timeoutMinutes: 30,
      asked: ['event bus dr-failover', 'SNS topic arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall'],
    });
    const state: FailoverState = {
      ...succeeded(),
      error: { Error: 'ApprovalTimedOutError', Cause: JSON.stringify(cause) },
    };

    // Act
    const event = buildEvent('NotifyAborted', EXECUTION, state, NOW);

    // Assess
    expect(event.summary).toBe(
      'Aborted unplanned failover of orders (us-east-1 → eu-west-1): Nobody answered the approval request for plan orders within 30 min: asked event bus dr-failover and SNS topic arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall at 2026-11-25T03:20:00.000Z, expired at 2026-11-25T03:50:00.000Z. Nothing was changed.',
    );
    expect(event.detail).toMatchObject({
      error: 'ApprovalTimedOutError',
      approval: { askedAt: '2026-11-25T03:20:00.000Z', deadline: '2026-11-25T03:50:00.000Z', timeoutMinutes: 30 },
      nextSteps: nextStepsFor('ApprovalTimedOutError'),
    });
    expect(event.detail.nextSteps).toMatch(/Nothing was changed/);
  });

  it('offers no commands when the approval request has no task token', () => {
    // Act
    const event = buildEvent('ApproveFailover', EXECUTION, succeeded(), NOW);

    // Assess
    expect(event.detail.approve).toBeUndefined();
    expect(event.detail.awsApprove).toBeUndefined();
  });

  it('builds an event for a run that failed in Prepare from its raw input', () => {
    // Prepare: what the state machine holds when Prepare refused the input: the raw input plus the Catch's error.
    const raw = {
      plan: 'orders',
      mode: 'planned',
      dryRun: true,
      reason: 'quarterly drill',
      requestedBy: 'bob',
      bogus: 1,
      error: {
        Error: 'InvalidInputError',
        Cause: JSON.stringify({ errorType: 'InvalidInputError', errorMessage: 'bogus: unknown field' }),
      },
    } as unknown as Partial<FailoverState>;

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, raw, NOW);

    // Assess
    expect(event).toMatchObject({
      type: 'Failover Failed',
      plan: 'orders',
      mode: 'planned',
      dryRun: true,
      reason: 'quarterly drill',
      // Who asked is said even when the input was refused, like the reason.
      requestedBy: 'bob',
      summary: 'FAILED dry-run planned failover of orders: InvalidInputError: bogus: unknown field',
    });
    expect(event.detail).toMatchObject({
      lastCompletedStep: 'none',
      promoted: false,
      dnsSwitched: false,
      measures: {},
    });
  });

  it('builds an event for a run whose raw input is not even an object', () => {
    // Prepare
    const state = { error: { Error: 'InvalidInputError', Cause: '(root): must be a JSON object' } };

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, state, NOW);

    // Assess
    expect(event).toMatchObject({ plan: 'unknown', mode: 'unplanned', dryRun: false, reason: '' });
    expect(event.summary).toBe(
      'FAILED unplanned failover of unknown: InvalidInputError: (root): must be a JSON object',
    );
  });
});

describe('causeMessage', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['a Lambda error Cause', '{"errorType":"X","errorMessage":"lag 45 s","trace":[]}', 'lag 45 s'],
    ['plain text', 'The Lambda function timed out', 'The Lambda function timed out'],
    ['JSON without errorMessage', '{"foo":1}', '{"foo":1}'],
    ['JSON whose errorMessage is not a string', '{"errorMessage":42}', '{"errorMessage":42}'],
    ['a JSON string', '"quoted"', '"quoted"'],
    ['nothing', undefined, undefined],
  ])('returns the message of %s', (_what, cause, expected) => {
    // Act
    const message = causeMessage(cause);

    // Assess
    expect(message).toBe(expected);
  });
});

describe('measureRun', () => {
  it('measures RTO to now while the run has not verified yet', () => {
    // Prepare
    const state = { ...succeeded(), timeline: succeeded().timeline.slice(0, 3), promotion: undefined };

    // Act
    const measures = measureRun(state, NOW);

    // Assess
    expect(measures).toMatchObject({ rtoSeconds: 300, rtoMet: true, promotionSeconds: undefined });
  });

  it('marks the RTO missed when the run took longer than the target', () => {
    // Act
    const measures = measureRun(succeeded(), new Date('2026-11-25T04:00:00Z'));

    // Assess: Verify ended at 03:18:30, so the late clock does not change the RTO.
    expect(measures.rtoSeconds).toBe(210);

    // Act
    const late = measureRun({ ...succeeded(), timeline: [] }, new Date('2026-11-25T03:20:01Z'));

    // Assess
    expect(late).toMatchObject({ rtoSeconds: 301, rtoMet: false });
  });

  it('reports an unknown RPO as unknown, never as zero', () => {
    // Prepare
    const state = {
      ...succeeded(),
      lag: {
        reading: { status: 'unknown' as const, observedAt: '2026-11-25T03:15:10Z', source: 'cloudwatch:ReplicaLag' },
        checks: 6,
        decision: 'exceeded' as const,
        reason: 'lag unknown',
      },
    };

    // Act
    const measures = measureRun(state, NOW);

    // Assess
    expect(measures.rpo).toEqual({ status: 'unknown', source: 'cloudwatch:ReplicaLag', limitSeconds: 30 });
  });

  it('measures nothing without a plan', () => {
    // Act
    const measures = measureRun({ input }, NOW);

    // Assess
    expect(measures).toEqual({});
  });
});
