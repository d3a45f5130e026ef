import { describe, expect, it } from 'vitest';
import { type NodeView, observedWriter, orientPlan } from '#core/direction.js';
import { AmbiguousTopologyError, ConfigurationError } from '#core/errors.js';
import { type Plan, parsePlan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const P = '10.0.1.10';
const S = '10.1.1.10';
const writer = (host: string): NodeView => ({ host, reachable: true, inRecovery: false });
const standby = (host: string, upstreamHost?: string): NodeView => ({
  host,
  reachable: true,
  inRecovery: true,
  ...(upstreamHost ? { upstreamHost } : {}),
});
const dark = (host: string): NodeView => ({ host, reachable: false });

const postgresPlan = (writerAddress?: string): Plan =>
  parsePlan(
    {
      name: 'ledger',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: {},
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: {
        kind: 'postgres',
        primary: { host: P, credentials: { env: 'PGPASS' } },
        standby: { host: S, credentials: { env: 'PGPASS' } },
        ...(writerAddress ? { writerAddress } : {}),
      },
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.x.internal',
        ttl: 1,
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test',
  );

describe('observedWriter', () => {
  it.each([
    ['the primary writes and the standby follows it', { primary: writer(P), standby: standby(S, P) }, 'primary'],
    [
      'after a failover: the standby writes, the old primary follows it',
      { primary: standby(P, S), standby: writer(S) },
      'standby',
    ],
    ['the standby writes and the old primary is dark', { primary: dark(P), standby: writer(S) }, 'standby'],
    ['the primary is dark and the standby still follows it', { primary: dark(P), standby: standby(S, P) }, 'primary'],
    ['the primary writes and the standby is dark', { primary: writer(P), standby: dark(S) }, 'primary'],
  ] as const)('says %s', (_what, views, expected) => {
    // Act / Assess
    expect(observedWriter(views)).toBe(expected);
  });

  it.each([
    ['two writers', { primary: writer(P), standby: writer(S) }, /two writers \(split brain\)/],
    ['no writer', { primary: standby(P, S), standby: standby(S, P) }, /no writer/],
    ['both dark', { primary: dark(P), standby: dark(S) }, /no writer/],
    ['a standby following a third node', { primary: writer(P), standby: standby(S, '10.2.0.1') }, /does not replicate/],
    ['a standby following nobody and no writer', { primary: dark(P), standby: standby(S) }, /no writer/],
  ] as const)('refuses %s with AmbiguousTopologyError, saying what it saw', (_what, views, why) => {
    // Act
    const act = () => observedWriter(views);

    // Assess
    expect(act).toThrow(AmbiguousTopologyError);
    expect(act).toThrow(why);
    expect(act).toThrow(new RegExp(`primary ${P.replaceAll('.', '\\.')}`));
  });
});

describe('orientPlan', () => {
  it('leaves the plan as it is for a run from its primary', () => {
    // Prepare
    const plan = postgresPlan();

    // Act / Assess
    expect(orientPlan(plan, 'primary')).toBe(plan);
  });

  it('turns the pair and the regions round for a run from its standby, dropping the standby-side writer address', () => {
    // Prepare
    const plan = postgresPlan('10.1.1.99');

    // Act
    const back = orientPlan(plan, 'standby');

    // Assess
    expect(back.regions).toEqual({ primary: 'eu-west-1', standby: 'us-east-1' });
    expect(back.database).toMatchObject({ primary: { host: S }, standby: { host: P } });
    expect(back.database).not.toHaveProperty('writerAddress');
    expect(back.name).toBe(plan.name);
    expect(orientPlan(back, 'standby').database).toMatchObject({ primary: { host: P }, standby: { host: S } });
  });

  it('refuses a managed database kind with ConfigurationError', () => {
    // Act / Assess
    expect(() => orientPlan(loadPlanFile('plans/orders.yml'), 'standby')).toThrow(ConfigurationError);
  });
});
