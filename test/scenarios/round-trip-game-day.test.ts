/**
 * A round-trip game day's way back on the simulated AWS world: the real Failover Succeeded notification step arms
 * it through the real Scheduler adapter on the emulated EventBridge Scheduler (test/statemachine/support.ts), whose
 * one-time schedule fires at its time and starts the failback on the emulated Step Functions of the primary region
 * (test/aws-world/sfn.ts, StartExecution's name idempotency), on the virtual clock.
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SchedulerReturn } from '#adapters/way-back/scheduler.js';
import { parseExecutionInput } from '#core/input.js';
import type { FailoverEvent } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { notify } from '#core/steps/notify.js';
import { virtualClock } from '../aws-world/clock.js';
import { StepFunctionsWorld } from '../aws-world/sfn.js';
import { gameDayPlan } from '../fixtures/game-day-plan.js';
import { ALL_MOCKS, schedulerWorld } from '../statemachine/support.js';

const GROUP = 'dr-failover-prod-way-back';
const OUT = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:ledger-gameday-20261202T1500Z';
const BACK_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:dr-failover-prod';

const ledger = gameDayPlan();

/** The way out, through Verify: the standby promoted and traffic on it. */
const wayOut = (): FailoverState => ({
  input: parseExecutionInput({
    plan: 'ledger',
    mode: 'planned',
    dryRun: false,
    reason: 'scheduled game day (cron(0 15 ? * WED#1 *))',
    requestedBy: 'schedule:gameday',
    incidentStartedAt: '2026-12-02T15:00:00Z',
    trigger: { kind: 'schedule', source: 'cron(0 15 ? * WED#1 *)' },
  }),
  plan: ledger,
  run: { executionId: OUT, startedAt: '2026-12-02T15:00:01Z', approvalRequired: false },
  timeline: [
    { step: 'Verify', startedAt: '2026-12-02T15:03:19.100Z', endedAt: '2026-12-02T15:03:19.400Z', outcome: 'verified' },
  ],
  promotion: { state: 'writable', detail: 'promoted', checks: 1, writableAt: '2026-12-02T15:02:00Z' },
  dns: { recordName: 'db.x.internal', target: '10.1.1.10', ttl: 1, status: 'insync', checks: 1 },
});

afterEach(() => {
  vi.useRealTimers();
  for (const m of ALL_MOCKS) m.reset();
});

describe('a round-trip game day on the simulated world', () => {
  it('arms one way back however often the success is notified, and starts one failback when it fires', async () => {
    // Prepare
    const clock = virtualClock(new Date('2026-12-02T15:03:20.000Z'));
    const stepFunctions = new StepFunctionsWorld(clock, BACK_MACHINE, 0);
    const scheduler = schedulerWorld({ groups: [GROUP] });
    const published: FailoverEvent[] = [];
    const deps = {
      now: () => new Date(),
      notifier: async () => ({ publish: async (e: FailoverEvent) => void published.push(e) }),
      approvalTimer: async () => {
        throw new Error('no approval in this run');
      },
      returnScheduler: async () =>
        new SchedulerReturn({
          groupName: GROUP,
          roleArn: 'arn:aws:iam::111122223333:role/way-back',
          region: 'us-east-1',
        }),
    };
    const client = new SFNClient({ region: 'us-east-1' });

    // Act: the success is notified, and notified again (a retried Task)
    await notify({ step: 'NotifySucceeded', executionId: OUT, state: wayOut() }, deps);
    clock.advance(2_000);
    await notify({ step: 'NotifySucceeded', executionId: OUT, state: wayOut() }, deps);

    // Assess: one schedule, both notifications say when the way back starts
    expect(scheduler.schedules).toHaveLength(1);
    expect(published.map((e) => e.detail.wayBack)).toEqual([
      expect.objectContaining({ at: '2026-12-02T15:33:20.000Z', alreadyArmed: false }),
      expect.objectContaining({ at: '2026-12-02T15:33:20.000Z', alreadyArmed: true }),
    ]);

    // Act: the minute before, nothing; at its time, the failback starts in the primary region
    await scheduler.startDue(new Date('2026-12-02T15:33:19.000Z'), client);
    const before = stepFunctions.executions().length;
    await scheduler.startDue(new Date('2026-12-02T15:33:20.000Z'), client);

    // Assess
    expect(before).toBe(0);
    const started = stepFunctions.executions();
    expect(started.map((e) => [e.executionArn, e.status])).toEqual([
      [`${BACK_MACHINE.replace(':stateMachine:', ':execution:')}:ledger-failback-20261202T1500Z`, 'RUNNING'],
    ]);
    expect(parseExecutionInput(JSON.parse(started[0]?.input ?? '{}'))).toMatchObject({
      plan: 'ledger',
      mode: 'planned',
      dryRun: false,
      trigger: { kind: 'failback', source: 'gameday:ledger-gameday-20261202T1500Z' },
    });
    // A one-time schedule deletes itself after it ran
    expect(scheduler.schedules).toHaveLength(0);

    // Act: Scheduler delivers at least once: the same StartExecution again, while running and after the end
    const again = () =>
      client.send(
        new StartExecutionCommand({
          stateMachineArn: BACK_MACHINE,
          name: 'ledger-failback-20261202T1500Z',
          input: started[0]?.input,
        }),
      );
    const whileRunning = await again();
    stepFunctions.end('ledger-failback-20261202T1500Z', 'SUCCEEDED');
    const afterEnd = again();

    // Assess: never a second failback
    expect(whileRunning.executionArn).toBe(started[0]?.executionArn);
    await expect(afterEnd).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(stepFunctions.executions()).toHaveLength(1);
  });
});
