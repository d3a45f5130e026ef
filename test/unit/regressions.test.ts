import { describe, expect, it } from 'vitest';
import { InvalidInputError, PlanValidationError } from '#core/errors.js';
import { parseExecutionInput } from '#core/input.js';
import { type PlanInput, parsePlan } from '#core/plan.js';
import { collectPlanRuns } from '#core/runs.js';
import { decideTrigger } from '#core/trigger.js';
import { redactingReplacer } from '#lib/logger.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const orders = loadPlanFile('plans/orders.yml');
const raw = () => JSON.parse(JSON.stringify(orders)) as Record<string, Record<string, unknown>>;
const issuesOf = (doc: unknown) => {
  try {
    parsePlan(doc, 't');
  } catch (e) {
    if (e instanceof PlanValidationError) return e.issues.map((i) => i.path);
    throw e;
  }
  return [];
};
const alarm = (alarmName: string, reason: string) => ({
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  account: '111122223333',
  region: 'eu-west-1',
  time: '2026-11-25T03:17:12Z',
  resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${alarmName}`],
  detail: {
    alarmName,
    state: { value: 'ALARM', reason, timestamp: '2026-11-25T03:17:12.000+0000' },
    previousState: { value: 'OK' },
  },
});

describe('regressions found in review', () => {
  // Was a bug: formatIssues reports an unknown key at its parent's path ('trigger'), not at the key's own dotted path.
  it('names an unknown plan field by its dotted path', () => {
    const doc = raw();
    (doc.trigger as Record<string, unknown>).alarm = ['x'];
    expect(issuesOf(doc)).toContain('trigger.alarm');
  });
  // Was a bug: dnsConfig is a plain z.union: a missing/mistyped field of the dns section is reported as just 'dns'.
  it.each([
    ['dns.ttl', undefined],
    ['dns.recordType', 'AAAA'],
    ['dns.kind', 'azure'],
  ])('names %s in the dns section', (field, value) => {
    const doc = raw();
    const key = field.split('.')[1] as string;
    if (value === undefined) delete doc.dns?.[key];
    else (doc.dns as Record<string, unknown>)[key] = value;
    expect(issuesOf(doc)).toContain(field);
  });
  // Was a bug: parseExecutionInput names an unknown key inside `trigger` without its parent path.
  it('throws InvalidInputError naming trigger.extra for an unknown field inside trigger', () => {
    const attempt = () =>
      parseExecutionInput({
        plan: 'orders',
        mode: 'planned',
        reason: 'r',
        requestedBy: 'me',
        incidentStartedAt: '2026-11-25T03:12:00Z',
        trigger: { kind: 'manual', source: 'cli', extra: 1 },
      });
    expect(attempt).toThrow(InvalidInputError);
    try {
      attempt();
    } catch (e) {
      expect((e as InvalidInputError).field).toBe('trigger.extra');
    }
  });
  // Was a bug: the run rule matched by name prefix, so plan 'orders' was blocked by a run of plan 'orders-archive'.
  it('does not count a RUNNING execution of plan orders-archive as a run of plan orders', async () => {
    const archive = parsePlan({ ...(raw() as unknown as PlanInput), name: 'orders-archive' }, 't');
    const name = 'orders-archive-alarm-20261125T0300Z';
    const { runs } = await collectPlanRuns(
      {
        recentExecutions: async () => [{ name, status: 'RUNNING', startDate: new Date('2026-11-25T03:00:00Z') }],
        describeExecution: async () => ({ input: { plan: 'orders-archive' } }),
      },
      orders,
      new Map([
        ['orders', orders],
        ['orders-archive', archive],
      ]),
      new Date('2026-11-25T03:18:00Z'),
    );
    expect(runs).toEqual([]);
  });
  // Was a bug: decideTrigger can build an input that Prepare refuses, so a real alarm never fails over.
  it.each([
    ['a 255-character alarm name and a long reason', 'a'.repeat(255), 'r'.repeat(900)],
    ['a reason with a newline', 'orders-db-primary-unhealthy', 'Threshold Crossed:\n3 datapoints'],
  ])('builds an input Prepare accepts for %s', (_w, alarmName, reason) => {
    const doc = raw() as unknown as PlanInput;
    const plan = parsePlan({ ...doc, trigger: { ...doc.trigger, alarms: [alarmName] } }, 't');
    const d = decideTrigger(alarm(alarmName, reason), new Map([['orders', plan]]), new Date('2026-11-25T03:18:00Z'));
    if (!d.start) throw new Error(d.reason);
    expect(() => parseExecutionInput(JSON.parse(JSON.stringify(d.input)))).not.toThrow();
  });
  // Was a bug: redactingReplacer only masks primitives under sensitive keys: an object or array under one leaks.
  it('masks an object or array held under a sensitive key', () => {
    const out = JSON.stringify({ secret: { SecretString: 'hunter2' }, token: ['hunter2'] }, redactingReplacer);
    expect(out).not.toContain('hunter2');
  });
});
