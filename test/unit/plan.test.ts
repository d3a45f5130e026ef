import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PlanValidationError } from '#core/errors.js';
import { type Plan, parseArn, parsePlan } from '#core/plan.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import { BAD_PLANS, MINIMAL_PLAN, minimalPlan, withValue } from '../fixtures/bad-input.js';

const MINIMAL = MINIMAL_PLAN;
const minimal = minimalPlan;

const rejection = (fn: () => unknown): PlanValidationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlanValidationError) return error;
    throw error;
  }
  throw new Error('expected PlanValidationError, but the plan was accepted');
};

/**
 * Does an issue name the field? Zod reports an unknown key on its parent with the key in the message, so for
 * those the dotted path is the parent's path plus the quoted key.
 */
const namesField = (issue: { path: string; message: string }, field: string): boolean => {
  if (issue.path === field) return true;
  const dot = field.lastIndexOf('.');
  const parent = dot < 0 ? '' : field.slice(0, dot);
  const key = field.slice(dot + 1);
  return issue.path === parent && issue.message.includes(`Unrecognized key: "${key}"`);
};

describe('example plans', () => {
  it('loads plans/orders.yml as an Aurora Global Database plan with its own values', () => {
    // Act
    const plan = loadPlanFile('plans/orders.yml');

    // Assess
    expect(plan).toMatchObject({
      name: 'orders',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: { alarms: ['orders-db-primary-unhealthy', 'orders-api-writes-failing'], automatic: true },
      rpo: { maxLagSeconds: 30, maxLagChecks: 6, onExceeded: 'abort' },
      database: { kind: 'aurora-global', globalClusterIdentifier: 'orders-global' },
      dns: { kind: 'route53', recordName: 'db.orders.example.internal', recordType: 'CNAME', ttl: 30 },
      gameday: { dryRun: true, mode: 'planned' },
    });
  });

  it('loads plans/feature-store.yml as an RDS read-replica plan that asks a person first', () => {
    // Act
    const plan = loadPlanFile('plans/feature-store.yml');

    // Assess
    expect(plan).toMatchObject({
      name: 'feature-store',
      regions: { primary: 'us-west-2', standby: 'us-east-2' },
      trigger: { automatic: false, cooldownMinutes: 120, windowMinutes: 15 },
      rpo: { maxLagBytes: 268435456, onExceeded: 'wait-for-approval' },
      database: { kind: 'rds-instance' },
      dns: { kind: 'route53', recordType: 'CNAME' },
      dnsSync: { maxStatusChecks: 30, statusCheckIntervalSeconds: 5 },
    });
  });

  it('loads the plans folder as a catalogue keyed by plan name', () => {
    // Act
    const catalog = loadPlanCatalog('plans');

    // Assess
    expect([...catalog.keys()].sort()).toEqual(['feature-store', 'ml-platform', 'orders']);
  });
});

describe('parsePlan defaults', () => {
  it('fills in every default of a minimal plan', () => {
    // Act
    const plan: Plan = parsePlan(minimal(), 'test');

    // Assess
    expect(plan.trigger).toEqual({
      alarms: [],
      wayBackAlarms: [],
      automatic: true,
      windowMinutes: 15,
      cooldownMinutes: 60,
    });
    expect(plan.rpo).toEqual({
      maxLagSeconds: 30,
      maxLagChecks: 6,
      lagCheckIntervalSeconds: 10,
      onExceeded: 'abort',
    });
    expect(plan.promotion).toEqual({ maxStatusChecks: 60, statusCheckIntervalSeconds: 10 });
    expect(plan.dnsSync).toEqual({ maxStatusChecks: 30, statusCheckIntervalSeconds: 5 });
    expect(plan.approval).toEqual({ timeoutMinutes: 60 });
    expect(plan.dns).toMatchObject({ recordType: 'CNAME' });
    expect(plan.gameday).toBeUndefined();
    expect(plan.description).toBeUndefined();
  });

  it('defaults a game day to a planned dry run', () => {
    // Prepare
    const doc = withValue(minimal(), 'gameday', { schedule: 'rate(7 days)' });

    // Act
    const plan = parsePlan(doc, 'test');

    // Assess
    expect(plan.gameday).toEqual({ schedule: 'rate(7 days)', dryRun: true, mode: 'planned' });
  });

  it('defaults a self-managed PostgreSQL plan: port, database and a read-only fence', () => {
    // Prepare
    const doc = withValue(minimal(), 'database', {
      kind: 'postgres',
      primary: { host: 'pg-a.example.internal', credentials: { env: 'PG_PRIMARY' } },
      standby: { host: 'pg-b.example.internal', credentials: { secretsManager: 'orders/pg' } },
    });

    // Act
    const plan = parsePlan(doc, 'test');

    // Assess
    expect(plan.database).toEqual({
      kind: 'postgres',
      primary: { host: 'pg-a.example.internal', port: 5432, database: 'postgres', credentials: { env: 'PG_PRIMARY' } },
      standby: {
        host: 'pg-b.example.internal',
        port: 5432,
        database: 'postgres',
        credentials: { secretsManager: 'orders/pg' },
      },
      fence: { method: 'read-only', timeoutSeconds: 5 },
    });
  });

  it('accepts a record in another case and with a trailing dot', () => {
    // Prepare
    const doc = withValue(minimal(), 'dns.recordName', 'Db.Orders.Example.Internal.');

    // Act
    const plan = parsePlan(doc, 'test');

    // Assess
    expect(plan.dns.recordName).toBe('Db.Orders.Example.Internal.');
  });
});

describe('parsePlan rejections', () => {
  it.each(BAD_PLANS.map((r) => [r.what, r.field, r.build] as const))(
    'rejects %s naming the field',
    (_what, field, build) => {
      // Prepare
      const doc = build(minimal());

      // Act
      const error = rejection(() => parsePlan(doc, 'plans/test.yml'));

      // Assess
      expect(error.name).toBe('PlanValidationError');
      expect(error.message).toContain('invalid plan plans/test.yml');
      expect(error.issues.some((i) => namesField(i, field))).toBe(true);
    },
  );

  it.each([
    ['null', null],
    ['an array', [MINIMAL]],
    ['a string', 'name: orders'],
  ])('rejects %s as a plan document', (_what, doc) => {
    // Act
    const error = rejection(() => parsePlan(doc, 'test'));

    // Assess
    expect(error.issues).toEqual([{ path: '', message: expect.any(String) }]);
  });

  it('names every bad field of a plan at once', () => {
    // Prepare
    const doc = withValue(withValue(minimal(), 'dns.ttl', 100_000), 'rpo.onExceeded', 'shrug');

    // Act
    const error = rejection(() => parsePlan(doc, 'test'));

    // Assess
    expect(error.issues.map((i) => i.path).sort()).toEqual(['dns.ttl', 'rpo.onExceeded']);
  });

  it('names both the region and the account of an ARN that is wrong on both counts', () => {
    // Prepare
    const doc = withValue(minimal(), 'database.targetClusterArn', 'arn:aws:rds:us-east-1:999988887777:cluster:x');

    // Act
    const error = rejection(() => parsePlan(doc, 'test'));

    // Assess
    expect(error.issues).toEqual([
      { path: 'database.targetClusterArn', message: 'must be in region eu-west-1, not us-east-1' },
      { path: 'database.targetClusterArn', message: 'must belong to account 111122223333, not 999988887777' },
    ]);
  });

  it('rejects an RDS replica ARN outside the standby region', () => {
    // Prepare
    const doc = withValue(minimal(), 'database', {
      kind: 'rds-instance',
      replicaInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:replica',
      sourceInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:source',
    });

    // Act
    const error = rejection(() => parsePlan(doc, 'test'));

    // Assess
    expect(error.issues).toEqual([
      { path: 'database.replicaInstanceArn', message: 'must be in region eu-west-1, not us-east-1' },
    ]);
  });
});

describe('parseArn', () => {
  it('splits an ARN into its parts', () => {
    // Act
    const arn = parseArn('arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu');

    // Assess
    expect(arn).toEqual({
      partition: 'aws',
      service: 'rds',
      region: 'eu-west-1',
      account: '111122223333',
      resource: 'cluster:orders-eu',
    });
  });

  it.each(['', 'arn:aws:rds', 'arn:aws:rds:eu-west-1:1234:cluster:x', 'arn:azure:rds:eu-west-1:111122223333:x'])(
    'returns undefined for %j',
    (value) => {
      // Act
      const arn = parseArn(value);

      // Assess
      expect(arn).toBeUndefined();
    },
  );
});

describe('loadPlanCatalog', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dr-plans-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects two files that declare the same plan name, naming the second file and the name field', () => {
    // Prepare
    writeFileSync(join(dir, 'a.yml'), stringify(MINIMAL));
    writeFileSync(join(dir, 'b.yaml'), stringify({ ...MINIMAL, description: 'a copy' }));

    // Act
    const error = rejection(() => loadPlanCatalog(dir));

    // Assess
    expect(error.message).toContain(join(dir, 'b.yaml'));
    expect(error.issues).toEqual([{ path: 'name', message: 'duplicate plan name orders' }]);
  });

  it('rejects a folder with unreadable YAML, keeping the parser error as the cause', () => {
    // Prepare
    writeFileSync(join(dir, 'a.yml'), stringify(MINIMAL));
    writeFileSync(join(dir, 'broken.yml'), 'name: orders\nregions: { primary: us-east-1\n  standby: [\n');

    // Act
    const error = rejection(() => loadPlanCatalog(dir));

    // Assess
    expect(error.message).toContain(join(dir, 'broken.yml'));
    expect(error.issues).toEqual([{ path: '', message: expect.stringMatching(/^unreadable: /) }]);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects a plan file that does not exist', () => {
    // Act
    const error = rejection(() => loadPlanFile(join(dir, 'missing.yml')));

    // Assess
    expect(error.issues[0]?.message).toMatch(/^unreadable: .*ENOENT/);
  });

  it('fails the whole catalogue when one plan is invalid, naming the bad field', () => {
    // Prepare
    writeFileSync(join(dir, 'a.yml'), stringify(MINIMAL));
    writeFileSync(
      join(dir, 'b.yml'),
      stringify({ ...MINIMAL, name: 'payments', dns: { ...MINIMAL.dns, ttl: 100_000 } }),
    );

    // Act
    const error = rejection(() => loadPlanCatalog(dir));

    // Assess
    expect(error.issues.map((i) => i.path)).toContain('dns.ttl');
  });

  it('ignores files that are not YAML', () => {
    // Prepare
    writeFileSync(join(dir, 'a.yml'), stringify(MINIMAL));
    writeFileSync(join(dir, 'README.md'), '# not a plan');

    // Act
    const catalog = loadPlanCatalog(dir);

    // Assess
    expect([...catalog.keys()]).toEqual(['orders']);
  });
});
