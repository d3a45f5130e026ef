import { describe, expect, it } from 'vitest';
import { type NodeView, observedWriter, orientPlan } from '#core/direction.js';
import { AmbiguousTopologyError, InvalidInputError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { healthCheckOrders } from '../fixtures/failover-records.js';
import { P, pairPlan, S } from '../fixtures/pair-plan.js';

const writer = (host: string): NodeView => ({ host, reachable: true, inRecovery: false });
const standby = (host: string, upstreamHost?: string): NodeView => ({
  host,
  reachable: true,
  inRecovery: true,
  ...(upstreamHost ? { upstreamHost } : {}),
});
const dark = (host: string): NodeView => ({ host, reachable: false });

const postgresPlan = (writerAddress?: string): Plan =>
  pairPlan('ledger', writerAddress ? { database: { writerAddress } } : {});

const fenced = (host: string): NodeView => ({ host, reachable: true, inRecovery: false, readOnly: true });

describe('observedWriter', () => {
  it.each([
    ['the primary writes and the standby follows it', { primary: writer(P), standby: standby(S, P) }, 'primary'],
    [
      'the pair rebuilt the other way round: the standby writes, the old primary follows it',
      { primary: standby(P, S), standby: writer(S) },
      'standby',
    ],
    ['the primary is dark and the standby still follows it', { primary: dark(P), standby: standby(S, P) }, 'primary'],
    [
      'the primary is dark and the standby cannot say whom it follows',
      { primary: dark(P), standby: standby(S) },
      'primary',
    ],
    ['a re-run after a promotion, the old primary dark', { primary: dark(P), standby: writer(S) }, 'primary'],
    ['a re-run after a promotion, the old primary back fenced', { primary: fenced(P), standby: writer(S) }, 'primary'],
    ['the primary writes and the standby is dark', { primary: writer(P), standby: dark(S) }, 'primary'],
    ['neither answers (the plan as written)', { primary: dark(P), standby: dark(S) }, 'primary'],
    [
      'a standby reaching its writing primary by another address (as written, as before)',
      { primary: writer(P), standby: standby(S, '10.2.0.1') },
      'primary',
    ],
  ] as const)('says %s', (_what, views, expected) => {
    // Act
    const direction = observedWriter(views);

    // Assess
    expect(direction.writer).toBe(expected);
    expect(direction.observed).toContain(`primary ${P}`);
  });

  it.each([
    ['two writers', { primary: writer(P), standby: writer(S) }, /two writers \(split brain\)/],
    ['two standbys', { primary: standby(P, S), standby: standby(S, P) }, /no writer: both nodes are standbys/],
    [
      'an old primary following a third server',
      { primary: standby(P, '10.2.0.1'), standby: writer(S) },
      /primary replicates from 10\.2\.0\.1, not from the standby/,
    ],
  ] as const)('refuses %s with AmbiguousTopologyError, saying what it saw', (_what, views, why) => {
    // Act
    const act = () => observedWriter(views);

    // Assess
    expect(act).toThrow(AmbiguousTopologyError);
    expect(act).toThrow(why);
    expect(act).toThrow(/Make one node the writer/);
  });
});

describe("observedWriter from the stack of the plan's primary region (home: primary)", () => {
  it.each([
    ['the pair rebuilt the other way round', { primary: standby(P, S), standby: writer(S) }, 'standby', false],
    [
      'the next incident: the writer (plan standby) dark',
      { primary: standby(P, S), standby: dark(S) },
      'standby',
      true,
    ],
    ['a re-run after the writer was fenced', { primary: standby(P), standby: fenced(S) }, 'standby', true],
    ['the plan as written, standby following', { primary: writer(P), standby: standby(S, P) }, 'primary', false],
    ['the primary writes, the standby dark', { primary: writer(P), standby: dark(S) }, 'primary', false],
    ['an old primary fenced, not rebuilt', { primary: fenced(P), standby: writer(S) }, 'primary', false],
    ['an old primary fenced, the writer dark', { primary: fenced(P), standby: dark(S) }, 'primary', false],
    ['the primary dark', { primary: dark(P), standby: writer(S) }, 'primary', false],
  ] as const)('says %s', (_what, views, expected, silent) => {
    // Act
    const direction = observedWriter(views, 'primary');

    // Assess
    expect(direction.writer).toBe(expected);
    expect(direction.writerSilent === true).toBe(silent);
  });

  it('refuses an old primary following a third server even with the writer dark', () => {
    expect(() => observedWriter({ primary: standby(P, '10.2.0.1'), standby: dark(S) }, 'primary')).toThrow(
      /primary replicates from 10\.2\.0\.1, not from the standby/,
    );
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

  it("pages through the topic of the plan's topic's name in the region that runs it, and keeps the bus", () => {
    // Prepare: a plan names its topic (and a bus by ARN) in its standby region, the only region the schema allows.
    const written = postgresPlan();
    const plan = {
      ...written,
      notify: {
        eventBus: 'arn:aws:events:eu-west-1:111122223333:event-bus/partner/ops',
        snsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall',
      },
    };

    // Act
    const back = orientPlan(plan, 'standby');

    // Assess: run by the stack in us-east-1, which creates a topic of that name there (infra/notifications.ts).
    expect(back.notify).toEqual({
      eventBus: 'arn:aws:events:eu-west-1:111122223333:event-bus/partner/ops',
      snsTopicArn: 'arn:aws:sns:us-east-1:111122223333:dr-failover-oncall',
    });
    expect(orientPlan(back, 'standby').notify).toEqual(plan.notify);
    expect(orientPlan(written, 'standby').notify).toEqual(written.notify);
  });

  it('turns an Aurora plan round: the clusters, the regions, the routing controls and the topic', () => {
    // Prepare
    const plan = loadPlanFile('plans/orders.yml');

    // Act
    const back = orientPlan(plan, 'standby');

    // Assess
    expect(back.regions).toEqual({ primary: 'eu-west-1', standby: 'us-east-1' });
    expect(back.database).toEqual({
      kind: 'aurora-global',
      globalClusterIdentifier: 'orders-global',
      primaryClusterArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
      targetClusterArn: 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
      // The old primary's key stays: it is what the way back copies Aurora's snapshot of orders-us with.
      preserveKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    });
    const controls = (p: Plan) => (p.traffic.kind === 'routing-control' ? p.traffic.routingControls : undefined);
    expect(controls(back)).toEqual({ primary: controls(plan)?.standby, standby: controls(plan)?.primary });
    expect(back.notify.snsTopicArn).toBe('arn:aws:sns:us-east-1:111122223333:dr-failover-oncall');
    expect(orientPlan(back, 'standby')).toEqual(plan);
  });

  it("runs Verify turned round in the primary region's VPC (traffic.verify.wayBackVpc), and back again", () => {
    // Prepare
    const plan = loadPlanFile('plans/orders.yml');

    // Act
    const back = orientPlan(plan, 'standby');

    // Assess
    expect(back.traffic.verify?.vpc).toEqual(plan.traffic.verify?.wayBackVpc);
    expect(back.traffic.verify?.wayBackVpc).toEqual(plan.traffic.verify?.vpc);
    expect(back.traffic.verify?.vpc?.vpcId).toBe('vpc-0f1e2d3c4b5a69781');
  });

  it("connects turned round from the primary region's VPC (database.wayBackVpc), and back again", () => {
    // Prepare
    const vpc = { subnetIds: ['subnet-0a0a0a0a0a0a0a0a0'], securityGroupIds: ['sg-0a0a0a0a0a0a0a0a0'] };
    const wayBackVpc = { subnetIds: ['subnet-0b0b0b0b0b0b0b0b0'], securityGroupIds: ['sg-0b0b0b0b0b0b0b0b0'] };
    const written = postgresPlan();
    const plan = { ...written, database: { ...written.database, vpc, wayBackVpc } } as Plan;
    const onlyVpc = { ...written, database: { ...written.database, vpc } } as Plan;

    // Act
    const back = orientPlan(plan, 'standby');
    const backWithout = orientPlan(onlyVpc, 'standby');

    // Assess
    expect(back.database).toMatchObject({ vpc: wayBackVpc, wayBackVpc: vpc });
    expect(orientPlan(back, 'standby').database).toEqual(plan.database);
    // No VPC named for the primary region: the run there has none (packaging refuses such a stack: infra/wiring.ts).
    expect(backWithout.database).not.toHaveProperty('vpc');
    expect(backWithout.database).toMatchObject({ wayBackVpc: vpc });
  });

  it('reads a secret named by name in the standby region still (a partial ARN there), and an ARN as it is', () => {
    // Prepare: the plan's secrets are in its standby region, eu-west-1; turned round, the stack in us-east-1 reads them.
    const written = postgresPlan();
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/ledger-standby-AbC123';
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const db = written.database as Extract<Plan['database'], { kind: 'postgres' }>;
    const plan = {
      ...written,
      database: {
        ...db,
        primary: { ...db.primary, credentials: { secretsManager: 'dr/ledger-primary', kmsKeyArn: key } },
        standby: { ...db.standby, credentials: { secretsManager: arn } },
      },
    } as Plan;

    // Act
    const back = orientPlan(plan, 'standby');

    // Assess
    expect(back.database).toMatchObject({
      primary: { host: S, credentials: { secretsManager: arn } },
      standby: {
        host: P,
        credentials: {
          secretsManager: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/ledger-primary',
          kmsKeyArn: key,
        },
      },
    });
    // Turned round twice: the same secrets, now both by ARN, in eu-west-1.
    expect(orientPlan(back, 'standby').database).toMatchObject({
      primary: {
        credentials: { secretsManager: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/ledger-primary' },
      },
      standby: { credentials: { secretsManager: arn } },
    });
    // A name ending like a complete ARN's suffix would be misread as one: it stays a name.
    const suffixLike = {
      ...plan,
      database: {
        ...plan.database,
        primary: { ...db.primary, credentials: { secretsManager: 'dr/ledger-pg-AbC123' } },
      },
    } as Plan;
    expect(orientPlan(suffixLike, 'standby').database).toMatchObject({
      standby: { credentials: { secretsManager: 'dr/ledger-pg-AbC123' } },
    });
    // An env or file reference is the drill's, read where it runs: unchanged.
    expect(orientPlan(written, 'standby').database).toMatchObject({ primary: { credentials: { env: 'PGPASS' } } });
  });

  it('refuses to turn round an Aurora plan whose traffic moves by a take-over health check (InvalidInputError)', () => {
    // Act / Assess
    expect(() => orientPlan(healthCheckOrders(), 'standby')).toThrow(InvalidInputError);
  });
});
