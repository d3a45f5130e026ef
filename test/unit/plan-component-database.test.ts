import { describe, expect, it } from 'vitest';
import { PlanValidationError } from '#core/errors.js';
import { type PlanInput, parsePlan } from '#core/plan.js';
import { MINIMAL_PLAN } from '../fixtures/bad-input.js';

const ACCOUNT = MINIMAL_PLAN.accountId;
const { primary: PRIMARY, standby: STANDBY } = MINIMAL_PLAN.regions;

/** The feature store's metadata on RDS, with its own record, beside the minimal plan's Aurora database. */
const FEATURE_DB = {
  kind: 'database',
  name: 'feature-metadata',
  database: {
    kind: 'rds-instance',
    replicaInstanceArn: `arn:aws:rds:${STANDBY}:${ACCOUNT}:db:features-replica`,
    sourceInstanceArn: `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:features`,
    fenceParameterGroupName: 'features-pg',
  },
  dns: {
    kind: 'route53',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    zoneName: 'orders.example.internal',
    recordName: 'features-db.orders.example.internal',
    ttl: 30,
  },
};
const PG_DB = {
  kind: 'database',
  name: 'registry-metadata',
  database: {
    kind: 'postgres',
    primary: { host: 'pg-a.internal', credentials: { env: 'PG_A' } },
    standby: { host: 'pg-b.internal', credentials: { env: 'PG_B' } },
  },
};

const parse = (components: unknown) => parsePlan({ ...structuredClone(MINIMAL_PLAN), components } as PlanInput, 'test');
/** The issues a plan with these components is refused for, as `path: message`. */
const refusal = (components: unknown): string[] => {
  try {
    parse(components);
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
};
const featureDb = (change: (c: typeof FEATURE_DB) => unknown) => change(structuredClone(FEATURE_DB));

describe('a database as a platform component', () => {
  it('accepts an RDS and a PostgreSQL component database, polled 30 times 10 s apart by default', () => {
    // Act
    const plan = parse([FEATURE_DB, PG_DB]);

    // Assess
    expect(plan.components?.map((c) => [c.name, c.kind, c.stage])).toEqual([
      ['feature-metadata', 'database', 1],
      ['registry-metadata', 'database', 1],
    ]);
    expect(plan.components?.[0]).toMatchObject({ maxChecks: 30, checkIntervalSeconds: 10 });
    expect(plan.components?.[1]).toMatchObject({ database: { fence: { method: 'read-only', timeoutSeconds: 5 } } });
  });

  it("refuses a component naming the plan's main database, or its record", () => {
    // Prepare: the minimal plan's own Aurora global database, and its record
    const main = {
      ...FEATURE_DB,
      database: structuredClone(MINIMAL_PLAN.database),
      dns: { ...FEATURE_DB.dns, recordName: 'DB.orders.example.internal.' },
    };

    // Assess
    expect(refusal([main])).toEqual([
      "components.0.dns.recordName: must differ from the plan's dns.recordName",
      "components.0.database: names global-cluster:orders-global, which is the plan's main database",
      `components.0.database: names arn:aws:rds:${STANDBY}:${ACCOUNT}:cluster:orders-eu, which is the plan's main database`,
      `components.0.database: names arn:aws:rds:${PRIMARY}:${ACCOUNT}:cluster:orders-us, which is the plan's main database`,
    ]);
  });

  it('refuses two components naming one database (the same PostgreSQL server by another spelling) or one record', () => {
    // Prepare
    const again = { ...structuredClone(PG_DB), name: 'again' };
    again.database.primary.host = 'pg-c.internal';
    again.database.standby.host = 'PG-B.internal.';
    const sameRecord = featureDb((c) => ({
      ...c,
      name: 'other-db',
      database: {
        ...c.database,
        replicaInstanceArn: `arn:aws:rds:${STANDBY}:${ACCOUNT}:db:other-replica`,
        sourceInstanceArn: `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:other`,
      },
    }));

    // Assess
    expect(refusal([PG_DB, again])).toEqual([
      'components.1.database: names postgres://pg-b.internal:5432, which component registry-metadata already names',
    ]);
    expect(refusal([FEATURE_DB, sameRecord])).toEqual([
      "components.1.dns.recordName: is component feature-metadata's record already",
    ]);
  });

  it('refuses resources in the wrong region or account, each named', () => {
    const swapped = featureDb((c) => ({
      ...c,
      database: {
        ...c.database,
        replicaInstanceArn: `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:features-replica`,
        sourceInstanceArn: `arn:aws:rds:${PRIMARY}:999988887777:db:features`,
      },
    }));
    expect(refusal([swapped])).toEqual([
      `components.0.database.replicaInstanceArn: must be in region ${STANDBY} (the standby), not ${PRIMARY}`,
      `components.0.database.sourceInstanceArn: must belong to account ${ACCOUNT}, not 999988887777`,
    ]);
    const secret = structuredClone(PG_DB);
    (secret.database.primary as { credentials: unknown }).credentials = {
      secretsManager: `arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:pg-a-AbCdEf`,
    };
    expect(refusal([secret])).toEqual([
      `components.0.database.primary.credentials.secretsManager: must be in region ${STANDBY} (the standby), not ${PRIMARY}`,
    ]);
  });

  it('refuses what the component function cannot do: an A record for an RDS endpoint, a VPC, a fence past its timeout', () => {
    const aRecord = featureDb((c) => ({ ...c, dns: { ...c.dns, recordType: 'A' } }));
    expect(refusal([aRecord])).toEqual([
      'components.0.dns.recordType: must be CNAME: the DNS target is a host name (rds-instance endpoint), not an IPv4 address',
    ]);
    const inVpc = structuredClone(PG_DB) as Record<string, unknown> & { database: Record<string, unknown> };
    inVpc.database.vpc = { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] };
    inVpc.database.fence = { timeoutSeconds: 30 };
    expect(refusal([inVpc])).toEqual([
      'components.0.database.vpc: is not supported for a component database yet: the component function runs outside any VPC',
      "components.0.database.fence.timeoutSeconds: must be at most 20 for a component database: its fence and promotion run in the component function's timeout",
    ]);
  });

  it('refuses a component database polled for longer than a run may last, naming its maxChecks', () => {
    expect(refusal([{ ...FEATURE_DB, maxChecks: 120, checkIntervalSeconds: 300 }])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^components\.0\.maxChecks: allows \d+ s of a run/)]),
    );
  });
});
