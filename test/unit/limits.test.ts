import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  EARLY_TIMEOUT_MS,
  FENCE_TIMEOUT_MAX_SECONDS,
  FUNCTION_TIMEOUT_SECONDS,
  longestFailback,
  longestRun,
  MAX_RUN_SECONDS,
  REBUILD_CHECK_INTERVAL_SECONDS,
  REBUILD_MAX_CHECKS,
  TASK_BOUNDS,
  worstTaskSeconds,
} from '#core/limits.js';
import { parsePlan } from '#core/plan.js';
import { allStates } from '#lab/state-machine.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import { MINIMAL_PLAN, minimalPlan, withValue } from '../fixtures/bad-input.js';

interface AslRetry {
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface AslState {
  Type: string;
  TimeoutSeconds?: number;
  Retry?: AslRetry[];
}
const definition = parseYaml(readFileSync('statemachines/failover.asl.yaml', 'utf8'), { merge: true }) as {
  TimeoutSeconds: number;
  States: Record<string, AslState>;
};
// serverless.yml's CloudFormation tags (!Sub) are kept as their text: only the timeouts are read.
const serverless = parseYaml(readFileSync('serverless.yml', 'utf8'), {
  customTags: [{ tag: '!Sub', resolve: (text: string) => text }],
}) as { functions: Record<string, { timeout: number }> };

describe('the limits agree with what is deployed', () => {
  it("has the state machine's TimeoutSeconds as the longest run", () => {
    expect(MAX_RUN_SECONDS).toBe(definition.TimeoutSeconds);
  });

  it('has every Task of the definition with its TimeoutSeconds and Retry entries (ASL defaults applied)', () => {
    // Prepare: a retrier as the ASL defines it, defaults filled in (IntervalSeconds 1, MaxAttempts 3, BackoffRate 2)
    const tasks = Object.fromEntries(
      (allStates(definition as never) as [string, AslState][])
        .filter(([, s]) => s.Type === 'Task')
        .map(([name, s]) => [
          name,
          {
            timeoutSeconds: s.TimeoutSeconds,
            retry: (s.Retry ?? []).map((r) => ({
              intervalSeconds: r.IntervalSeconds ?? 1,
              maxAttempts: r.MaxAttempts ?? 3,
              backoffRate: r.BackoffRate ?? 2,
              ...(r.MaxDelaySeconds === undefined ? {} : { maxDelaySeconds: r.MaxDelaySeconds }),
            })),
          },
        ]),
    );

    // Assess
    expect(TASK_BOUNDS).toStrictEqual(tasks);
  });

  it("has the fence, notify and component functions' Lambda timeouts of serverless.yml", () => {
    expect(FUNCTION_TIMEOUT_SECONDS).toStrictEqual({
      fence: serverless.functions.fence?.timeout,
      notify: serverless.functions.notify?.timeout,
      component: serverless.functions.component?.timeout,
    });
  });

  it("leaves the fence at most the Fence function's timeout less middy's early timeout", () => {
    expect(FENCE_TIMEOUT_MAX_SECONDS).toBeLessThanOrEqual(FUNCTION_TIMEOUT_SECONDS.fence - EARLY_TIMEOUT_MS / 1000);
  });
});

describe('longestRun', () => {
  it('counts every attempt of a Task at its timeout and every wait between them, capped', () => {
    // CheckLag: 1 + 3 + 5 attempts of 30 s; Lambda waits 1 + 2 + 4; transient waits 2 + 4 + 8 + 16 + 30 (capped)
    expect(worstTaskSeconds('CheckLag')).toBe(9 * 30 + 7 + 60);
    // Promote: 1 + 3 + 8 attempts of 120 s; transient waits 2 + 4 + 8 + 16 + 30 × 4
    expect(worstTaskSeconds('Promote')).toBe(12 * 120 + 7 + 150);
  });

  it('adds the checks and waits the plan allows, and an approval wait only where the plan can ask', () => {
    // Prepare
    const plan = parsePlan(MINIMAL_PLAN, 'test');
    const asking = parsePlan(
      withValue(withValue(minimalPlan(), 'trigger.automatic', false), 'rpo.onExceeded', 'wait-for-approval'),
      'test',
    );

    // Act
    const run = longestRun(plan);
    const askingRun = longestRun(asking);

    // Assess
    const part = (field: string) => run.parts.find((p) => p.field === field)?.seconds;
    expect(part('rpo.maxLagChecks')).toBe(6 * worstTaskSeconds('CheckLag') + 5 * 10);
    expect(part('promotion.maxStatusChecks')).toBe(60 * (10 + worstTaskSeconds('PromotionStatus')));
    expect(part('dnsSync.maxStatusChecks')).toBe(30 * (5 + worstTaskSeconds('DnsStatus')));
    expect(run.parts.map((p) => p.field)).not.toContain('trigger.automatic');
    // Each approval: up to 6 failed notify invocations (25 s) and their waits, then the 14,700 s backstop.
    const approval = 6 * 25 + 7 + (1 + 2 + 4) + 14_700;
    expect(askingRun.seconds - run.seconds).toBe(2 * approval);
    expect(run.seconds).toBe(run.parts.reduce((sum, p) => sum + p.seconds, 0));
  });

  it('adds the Verify loop of a plan that verifies through a resolver: TTL, allowance, one more wait and check', () => {
    // Prepare
    const plan = parsePlan(MINIMAL_PLAN, 'test');
    const verifying = {
      ...plan,
      traffic: { kind: 'upsert' as const, verify: { allowanceSeconds: 90, queryTimeoutMs: 2000 } },
    };

    // Act
    const part = longestRun(verifying).parts.find((p) => p.field === 'traffic.verify.allowanceSeconds');

    // Assess
    expect(part?.seconds).toBe(
      plan.dns.ttl + 90 + plan.dnsSync.statusCheckIntervalSeconds + worstTaskSeconds('Verify'),
    );
    expect(longestRun(plan).parts.map((p) => p.field)).not.toContain('traffic.verify.allowanceSeconds');
  });

  it("adds an RDS or Aurora failback's rebuild loop to a planned run back that asks nobody and checks lag for 5 minutes", () => {
    // Prepare
    const rds = loadPlanCatalog('plans').get('feature-store');
    const aurora = loadPlanCatalog('plans').get('orders');

    // Act
    const failback = rds ? longestFailback(rds) : undefined;

    // Assess: Preserve and Rebuild at their worst, then every RebuildStatus check a run allows, a minute apart.
    const rebuild = failback?.parts.find((p) => p.field === 'failback rebuild')?.seconds;
    expect(rebuild).toBe(
      worstTaskSeconds('Preserve') +
        worstTaskSeconds('Rebuild') +
        REBUILD_MAX_CHECKS * (REBUILD_CHECK_INTERVAL_SECONDS + worstTaskSeconds('RebuildStatus')),
    );
    // 15 s apart, the lag is checked 20 times (5 minutes), not the plan's 4; no approval on the way back.
    expect(failback?.parts.find((p) => p.field === 'rpo.maxLagChecks')?.seconds).toBe(
      20 * worstTaskSeconds('CheckLag') + 19 * 15,
    );
    expect(failback?.parts.map((p) => p.field)).not.toContain('trigger.automatic');
    expect(failback?.seconds).toBeLessThan(MAX_RUN_SECONDS);
    // Aurora waits for the old primary's rejoin in the same loop.
    expect(aurora && longestFailback(aurora)?.parts.find((p) => p.field === 'failback rebuild')?.seconds).toBe(rebuild);
    expect(aurora && longestFailback(aurora)?.seconds).toBeLessThan(MAX_RUN_SECONDS);
    // A plan with components is never failed back (Prepare refuses it): no failback run to bound.
    const components = loadPlanCatalog('plans').get('ml-platform');
    expect(components?.components).toBeDefined();
    expect(components && longestFailback(components)).toBeUndefined();
  });

  it('fits every shipped plan inside the state machine timeout', () => {
    for (const plan of loadPlanCatalog('plans').values())
      expect(longestRun(plan).seconds).toBeLessThan(MAX_RUN_SECONDS);
  });
});
