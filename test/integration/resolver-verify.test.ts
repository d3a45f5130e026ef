/**
 * Verify on the data plane through a real resolver query: the drill's DNS server (lab/dns-server.ts) on loopback
 * serves the record as a failover pair, answering the old member first (as a resolver with the old answer still
 * cached, or a health check not yet turned, does) and the standby after.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trafficFor } from '#adapters/traffic/index.js';
import { ResolverRecords } from '#adapters/traffic/resolver.js';
import { DnsVerificationFailedError, ServiceUnavailableError } from '#core/errors.js';
import { type Plan, parsePlan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { verify } from '#core/steps/dns-steps.js';
import { type LocalDnsServer, startLocalDnsServer } from '#lab/dns-server.js';

const RECORD = 'db.drill.local.test';
const PRIMARY = '127.0.0.1';
const STANDBY = '127.0.0.2';
const SWITCHED_AT = '2026-12-07T10:00:00.000Z';
const TTL = 5;
const ALLOWANCE = 20;

const planFor = (nameserver: string, traffic?: Record<string, unknown>): Plan =>
  parsePlan(
    {
      name: 'drill',
      accountId: '000000000000',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: { alarms: ['drill-primary-unhealthy'] },
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: {
        kind: 'postgres',
        primary: { host: PRIMARY, port: 5432, credentials: { env: 'X' } },
        standby: { host: STANDBY, port: 5432, credentials: { env: 'X' } },
      },
      dns: { kind: 'local', controlEndpoint: '127.0.0.1:9', nameserver, recordName: RECORD, ttl: TTL },
      traffic: traffic ?? {
        kind: 'health-check',
        records: [RECORD],
        healthCheckId: 'd0d0d0d0-0000-4000-8000-00000000c0de',
        alarm: { name: 'drill-take-over', namespace: 'DrFailover/Drill', metricName: 'TakeOver' },
        verify: { resolvers: [nameserver], queryTimeoutMs: 1_000, allowanceSeconds: ALLOWANCE },
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test fixture',
  );

/** The state Verify receives after the switch went in sync at SWITCHED_AT. */
const switched = (plan: Plan): FailoverState =>
  ({
    input: {
      plan: plan.name,
      mode: 'unplanned',
      dryRun: false,
      requestedBy: 't',
      reason: 'test',
      incidentStartedAt: SWITCHED_AT,
      overrideCooldown: false,
    },
    plan,
    run: { executionId: 'exec-1', startedAt: SWITCHED_AT, approvalRequired: false },
    timeline: [],
    dns: { recordName: RECORD, target: STANDBY, ttl: TTL, status: 'insync', checks: 1, insyncAt: SWITCHED_AT },
  }) as FailoverState;

const at = (secondsAfterSwitch: number) => () => new Date(Date.parse(SWITCHED_AT) + secondsAfterSwitch * 1000);

describe('Verify through a resolver (real DNS queries to the drill DNS server)', () => {
  let server: LocalDnsServer;
  let primaryHealthy: boolean;

  beforeEach(async () => {
    primaryHealthy = true;
    server = await startLocalDnsServer();
    server.failover(RECORD, {
      primary: { address: PRIMARY, ttl: TTL },
      secondary: { address: STANDBY, ttl: TTL },
      primaryHealthy: () => primaryHealthy,
    });
  });

  afterEach(async () => {
    await server.stop();
  });

  it('resolves the member of the pair the server picks now, and nothing for an unknown name', async () => {
    // Prepare
    const records = new ResolverRecords({ resolvers: [server.nameserver], queryTimeoutMs: 1_000 });

    // Act
    const before = await records.resolve(RECORD);
    primaryHealthy = false;
    const after = await records.resolve(RECORD);
    const unknown = await records.resolve('nothing.drill.local.test');

    // Assess
    expect(before).toEqual([PRIMARY]);
    expect(after).toEqual([STANDBY]);
    expect(unknown).toEqual([]);
  });

  it('throws ServiceUnavailableError (retried) when the resolver does not answer', async () => {
    // Prepare: a loopback port nothing listens on
    const records = new ResolverRecords({ resolvers: ['127.0.0.1:9'], queryTimeoutMs: 300 });

    // Act / Assess
    await expect(records.resolve(RECORD)).rejects.toThrow(ServiceUnavailableError);
  });

  it('a stale answer within TTL + allowance is pending; once the pair turns, matched', async () => {
    // Prepare
    const plan = planFor(server.nameserver);
    const records = new ResolverRecords({ resolvers: [server.nameserver], queryTimeoutMs: 1_000 });
    const dns = async () => ({
      point: () => Promise.reject(new Error('not called')),
      changeStatus: () => Promise.reject(new Error('not called')),
      resolve: (name: string) => records.resolve(name),
    });

    // Act
    const first = await verify({ step: 'Verify', executionId: 'exec-1', state: switched(plan) }, { now: at(3), dns });
    primaryHealthy = false;
    const second = await verify(
      { step: 'Verify', executionId: 'exec-1', state: first },
      { now: at(TTL + ALLOWANCE - 1), dns },
    );

    // Assess
    expect(first.verify).toMatchObject({ answer: [PRIMARY], matches: false, status: 'pending', checks: 1 });
    expect(first.timeline.at(-1)?.outcome).toContain(`still answers ${PRIMARY}`);
    expect(second.verify).toMatchObject({ answer: [STANDBY], matches: true, status: 'matched', checks: 2 });
  });

  it('still stale at switch + TTL + allowance: DnsVerificationFailedError saying what it saw', async () => {
    // Prepare
    const plan = planFor(server.nameserver);
    const records = new ResolverRecords({ resolvers: [server.nameserver], queryTimeoutMs: 1_000 });
    const dns = async () => ({
      point: () => Promise.reject(new Error('not called')),
      changeStatus: () => Promise.reject(new Error('not called')),
      resolve: (name: string) => records.resolve(name),
    });
    const pending = await verify({ step: 'Verify', executionId: 'exec-1', state: switched(plan) }, { now: at(1), dns });

    // Act
    const late = verify({ step: 'Verify', executionId: 'exec-1', state: pending }, { now: at(TTL + ALLOWANCE), dns });

    // Assess
    await expect(late).rejects.toThrow(DnsVerificationFailedError);
    await expect(late).rejects.toThrow(
      `${RECORD} answers ${PRIMARY}, expected ${STANDBY} after 2 checks from ${SWITCHED_AT} to 2026-12-07T10:00:25.000Z (TTL 5 s + allowance 20 s)`,
    );
  });

  it('upsert without traffic.verify reads the authoritative answer: a wrong answer fails at once', async () => {
    // Prepare
    const plan = planFor(server.nameserver, { kind: 'upsert' });
    const records = new ResolverRecords({ resolvers: [server.nameserver], queryTimeoutMs: 1_000 });
    const dns = async () => ({
      point: () => Promise.reject(new Error('not called')),
      changeStatus: () => Promise.reject(new Error('not called')),
      resolve: (name: string) => records.resolve(name),
    });

    // Act / Assess
    await expect(
      verify({ step: 'Verify', executionId: 'exec-1', state: switched(plan) }, { now: at(1), dns }),
    ).rejects.toThrow(`${RECORD} answers ${PRIMARY}, expected ${STANDBY}`);
  });

  it('trafficFor: data-plane plans and upsert with traffic.verify resolve through the plan resolvers', async () => {
    // Prepare
    const healthCheck = planFor(server.nameserver);
    const upsert = planFor(server.nameserver, { kind: 'upsert', verify: { resolvers: [server.nameserver] } });

    // Act
    const viaSwitch = await (await trafficFor(healthCheck)).resolve(RECORD);
    const upsertSwitch = await trafficFor(upsert);
    const viaUpsert = await upsertSwitch.resolve(RECORD);

    // Assess
    expect(viaSwitch).toEqual([PRIMARY]);
    expect(viaUpsert).toEqual([PRIMARY]);
    // The change itself still goes through the plan's dns adapter (here a control endpoint nothing listens on).
    await expect(upsertSwitch.changeStatus('c-1')).rejects.toThrow(ServiceUnavailableError);
  });
});
