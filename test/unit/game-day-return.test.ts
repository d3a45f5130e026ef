import { describe, expect, it } from 'vitest';
import { formatMessage } from '#adapters/notify/format.js';
import { gameDayReturn } from '#core/game-day-return.js';
import { parseExecutionInput } from '#core/input.js';
import type { Plan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { buildEvent } from '#core/steps/notify.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { gameDayPlan } from '../fixtures/game-day-plan.js';

const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:ledger-gameday-20261202T1500Z';
const NOW = new Date('2026-12-02T15:10:00.000Z');

const ledger: Plan = gameDayPlan({ roundTrip: false });

const gameDay = (dryRun = false) =>
  parseExecutionInput({
    plan: 'ledger',
    mode: 'planned',
    dryRun,
    reason: 'scheduled game day (cron(0 15 ? * WED#1 *))',
    requestedBy: 'schedule:gameday',
    incidentStartedAt: '2026-12-02T15:00:00Z',
    trigger: { kind: 'schedule', source: 'cron(0 15 ? * WED#1 *)' },
  });

const FENCED = { fenced: true, method: 'read-only', detail: 'old primary set read-only', finalLsn: '0/3000060' };
const PROMOTE = { outcome: 'started' as const, detail: 'pg_promote', at: '2026-12-02T15:00:05Z' };
const WRITABLE = { state: 'writable' as const, detail: 'promoted', checks: 1, writableAt: '2026-12-02T15:00:06Z' };
const DNS = { recordName: 'db.x.internal', target: '10.1.1.10', ttl: 1, checks: 1 };

/** A real game day's state, as far as the run got. */
const stateOf = (over: Partial<FailoverState>, plan: Plan = ledger): Partial<FailoverState> => ({
  input: gameDay(),
  plan,
  run: { executionId: EXECUTION, startedAt: '2026-12-02T15:00:01Z', approvalRequired: false },
  timeline: [],
  ...over,
});

describe('the way back from a game day that failed midway', () => {
  it.each([
    [
      'nothing was changed',
      {},
      /^Game day, not an incident: return the world\. Nothing to return: nothing was promoted or fenced; the primary in us-east-1 is the writer\.$/,
    ],
    [
      'the fence made the primary read-only and nothing was promoted',
      { fence: FENCED, error: { Error: 'ResourceBusyError' } },
      /Nothing was promoted; the primary in us-east-1 is still the writer but the fence made it refuse writes: lift the fence on the primary: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf\(\); \(as a superuser, on 10\.0\.1\.10\)\. No failback: there is nothing to come back from\.$/,
    ],
    [
      'a planned fence that failed without a result',
      { error: { Error: 'FenceFailedError', Cause: '{"errorMessage":"sessions left"}' } },
      /the fence may have left it refusing writes \(the old primary line says\): lift the fence on the primary/,
    ],
    [
      'a promotion asked for and not confirmed',
      { fence: FENCED, promote: PROMOTE },
      /A promotion of the standby in eu-west-1 was requested and may still complete: start nothing until it settles\. If it completes, .*dr-failover failback --plan ledger.* If the standby stays in recovery, lift the fence/,
    ],
    [
      'the standby promoted, traffic not moved',
      {
        fence: FENCED,
        promote: PROMOTE,
        promotion: WRITABLE,
        dns: { ...DNS, changeId: 'c1', status: 'pending' as const },
      },
      /The standby in eu-west-1 IS the writer: never promote or unfence the old primary\. Traffic does not follow it yet: first finish the way out \(re-run ledger: .*\), so clients reach the one writer\. Then rebuild the old primary in us-east-1 as the new writer's standby .*dr-failover failback --plan ledger --reason "return after the game day"\. It refuses, changing nothing, until it observes the pair rebuilt the other way round and caught up\.$/,
    ],
    [
      'the standby promoted and traffic moved (Verify failed)',
      { fence: FENCED, promote: PROMOTE, promotion: WRITABLE, dns: { ...DNS, status: 'insync' as const } },
      /IS the writer: never promote or unfence the old primary\. Traffic follows it\. Then rebuild the old primary/,
    ],
  ])('says what returns the world when %s', (_what, over, expected) => {
    // Act
    const advice = gameDayReturn(stateOf(over), ledger);

    // Assess
    expect(advice).toMatch(expected);
  });

  it('names the fence parameter group of an RDS plan, and nothing to lift after an Aurora switchover that did not happen', () => {
    // Prepare
    const rds = loadPlanFile('plans/feature-store.yml');
    const aurora = loadPlanFile('plans/orders.yml');
    const group = rds.database.kind === 'rds-instance' ? rds.database.fenceParameterGroupName : undefined;

    // Act
    const rdsAdvice = gameDayReturn(stateOf({ fence: FENCED }, rds), rds);
    const auroraAdvice = gameDayReturn(
      stateOf({ fence: { fenced: false, method: 'switchover', detail: 'by promotion', byPromotion: true } }, aurora),
      aurora,
    );

    // Assess
    expect(rdsAdvice).toContain(`set default_transaction_read_only back to 0 in DB parameter group ${group}`);
    expect(auroraAdvice).toContain('Nothing to return: nothing was promoted or fenced');
  });

  it.each([
    ['a dry game day', { input: gameDay(true) }],
    ['an incident', { input: { ...gameDay(), trigger: { kind: 'alarm' as const, source: 'x' } } }],
    ['a run started by hand', { input: { ...gameDay(), trigger: undefined } }],
  ])('proposes nothing for %s', (_what, over) => {
    // Act
    const advice = gameDayReturn(stateOf({ promotion: WRITABLE, ...over }), ledger);

    // Assess
    expect(advice).toBeUndefined();
  });

  it('puts the return in the Failover Failed notification of a game day, and in no other', () => {
    // Prepare
    const failedGameDay = stateOf({ fence: FENCED, error: { Error: 'PromotionFailedError' } }) as FailoverState;
    const failedIncident = { ...failedGameDay, input: { ...gameDay(), trigger: undefined } };

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, failedGameDay, NOW);
    const other = buildEvent('NotifyFailed', EXECUTION, failedIncident, NOW);

    // Assess
    expect(formatMessage(event)).toContain(
      `\n\nReturn the world (game day):\n  ${gameDayReturn(failedGameDay, ledger)}`,
    );
    expect(formatMessage(other)).not.toContain('Return the world');
    expect(event.detail.returnPath).toBe(gameDayReturn(failedGameDay, ledger));
    expect(event.detail.returnPath).toMatch(/^Game day, not an incident: return the world\. Nothing was promoted/);
    expect(other.detail.returnPath).toBeUndefined();
  });
});
