/**
 * The stack of a plan's primary region runs the plan's way back (`dr-failover failback`, a round-trip game day) with
 * the plan turned round: a self-managed PostgreSQL plan too, in the VPCs the plan names for that region.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PlanValidationError } from '#core/errors.js';
import type { FunctionName } from '#core/stack-names.js';
import type { Json } from '#infra/json.js';
import { roleLogicalId } from '#infra/roles.js';
import { databaseFunctions } from '#infra/vpc.js';
import { buildWiring } from '#infra/wiring.js';
import { REGISTRY_PLAN } from '../fixtures/registry-plan.js';

const dirs: string[] = [];
const plansDir = (files: Record<string, unknown>) => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-failover-way-back-'));
  dirs.push(dir);
  for (const [name, plan] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(plan));
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** eu-central-1 → eu-west-1, on private hosts; `wayBackVpc` in eu-central-1 unless told otherwise. */
const WAY_BACK_VPC = { subnetIds: ['subnet-0c0c0c0c0c0c0c0c1'], securityGroupIds: ['sg-0c0c0c0c0c0c0c0c2'] };
const registry = (database: Record<string, unknown> = { wayBackVpc: WAY_BACK_VPC }, extra = {}) => {
  const plan = parseYaml(REGISTRY_PLAN) as Record<string, Record<string, unknown>>;
  return { ...plan, database: { ...plan.database, ...database }, ...extra };
};
const vpcConfigs = (extensions: Record<string, Json>) =>
  Object.fromEntries(
    Object.entries(extensions).map(([id, e]) => [
      id,
      (e as { Properties: { VpcConfig: unknown } }).Properties.VpcConfig,
    ]),
  );
const logicalId = (fn: string) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`;
const statementsOf = (resources: Record<string, Json>, fn: FunctionName) => {
  const role = resources[roleLogicalId(fn)] as {
    Properties: { Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[] };
  };
  return role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
};
const errorOf = (work: () => unknown) => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error as Error;
  }
};

describe("a self-managed PostgreSQL plan's way back, in the stack of its primary region", () => {
  it('runs the functions that connect to the hosts in database.wayBackVpc there, and in database.vpc in the standby', () => {
    // Prepare
    const dir = plansDir({ 'model-registry.yml': registry() });

    // Act
    const back = buildWiring(dir, 'eu-central-1', 'dev');
    const out = buildWiring(dir, 'eu-west-1', 'dev');

    // Assess: the primary region's stack fails nothing over, and runs the way back where the plan says.
    expect(back.planNames).toEqual([]);
    const wayBack = { SubnetIds: WAY_BACK_VPC.subnetIds, SecurityGroupIds: WAY_BACK_VPC.securityGroupIds };
    expect(vpcConfigs(back.resources.extensions)).toEqual(
      Object.fromEntries(databaseFunctions().map((fn) => [logicalId(fn), wayBack])),
    );
    expect(vpcConfigs(out.resources.extensions)[logicalId('prepare')]).toEqual({
      SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'],
      SecurityGroupIds: ['sg-0a1b2c3d4e5f60720'],
    });
  });

  it('grants its functions the network interfaces of those subnets and the credentials in the standby region', () => {
    // Act
    const { Resources } = buildWiring(plansDir({ 'model-registry.yml': registry() }), 'eu-central-1', 'dev').resources;

    // Assess: every function that connects to the hosts.
    for (const fn of databaseFunctions()) {
      const statements = statementsOf(Resources, fn);
      const secrets = statements.find((s) => s.Action.includes('secretsmanager:GetSecretValue'));
      expect(secrets?.Resource, fn).toEqual([
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:model-registry/dr-failover-??????',
      ]);
      const create = statements.find((s) => s.Action.includes('ec2:CreateNetworkInterface'));
      expect(JSON.stringify(create?.Resource), fn).toContain('subnet/subnet-0c0c0c0c0c0c0c0c1');
      expect(JSON.stringify(create?.Resource), fn).not.toContain('subnet-0a1b2c3d4e5f60718');
    }
  });

  it("creates the plan's topic in the primary region, for the way back's pages", () => {
    // Act
    const { Resources } = buildWiring(plansDir({ 'model-registry.yml': registry() }), 'eu-central-1', 'dev').resources;

    // Assess
    const topics = Object.values(Resources).filter((r) => (r as { Type: string }).Type === 'AWS::SNS::Topic');
    expect(topics.map((t) => (t as { Properties: { TopicName: string } }).Properties.TopicName)).toContain(
      'dr-failover-oncall',
    );
  });

  it("checks the plan's readiness there too, with its alarm paging the plan's topic in that region", () => {
    // Act
    const back = buildWiring(plansDir({ 'model-registry.yml': registry() }), 'eu-central-1', 'dev');

    // Assess: the readiness function observes the pair and says which stack protects it (core/readiness/stack-side.ts).
    expect(back.readinessEvents).toEqual([
      {
        schedule: expect.objectContaining({
          name: expect.stringContaining('model-registry'),
          input: { kind: 'readiness', plan: 'model-registry' },
        }),
      },
    ]);
    const alarm = back.resources.Resources.ModelRegistryReadinessAlarm as { Properties: { AlarmActions: unknown[] } };
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'DrfailoveroncallTopic' }]);
    // No game day from this stack: the standby region's stack starts those.
    expect(back.triggerEvents).toEqual([]);
  });

  it('refuses to package that stack for a plan on private hosts without database.wayBackVpc, saying what to add', () => {
    // Prepare
    const dir = plansDir({ 'model-registry.yml': registry({}) });

    // Act
    const error = errorOf(() => buildWiring(dir, 'eu-central-1', 'dev'));

    // Assess: the standby region's stack, which fails over, is not held up by it.
    expect(error).toBeInstanceOf(PlanValidationError);
    expect(error?.message).toContain('database.wayBackVpc');
    expect(error?.message).toContain(
      "the stack in eu-central-1 runs this plan's way back and must connect to the database hosts from a VPC there",
    );
    expect(buildWiring(dir, 'eu-west-1', 'dev').planNames).toEqual(['model-registry']);
  });

  it("refuses a way back VPC that is not the one the stack's own postgres plans run in (one VPC per function)", () => {
    // Prepare: eu-central-1 is the standby region of another plan, whose hosts are reached from another VPC.
    const other = registry(
      { vpc: { subnetIds: ['subnet-0d0d0d0d0d0d0d0d1'], securityGroupIds: ['sg-0d0d0d0d0d0d0d0d2'] } },
      { name: 'feature-meta', regions: { primary: 'eu-west-1', standby: 'eu-central-1' } },
    );
    const { wayBackVpc: _none, ...otherDb } = other.database as Record<string, Record<string, unknown>>;
    const credentials = { secretsManager: 'feature-meta/dr-failover' };
    const feature = {
      ...other,
      database: {
        ...otherDb,
        primary: { ...otherDb.primary, credentials },
        standby: { ...otherDb.standby, credentials },
      },
      notify: { eventBus: 'dr-failover' },
    };
    const dir = plansDir({ 'model-registry.yml': registry(), 'feature-meta.yml': feature });

    // Act
    const error = errorOf(() => buildWiring(dir, 'eu-central-1', 'dev'));

    // Assess
    expect(error).toBeInstanceOf(PlanValidationError);
    expect(error?.message).toMatch(/must name the same vpc, or none \(one per function; for a plan whose way back/);
    expect(error?.message).toMatch(/feature-meta: .*model-registry: /);
  });

  it('takes no way back of a plan with components (never failed back): no VPC, no credentials, no refusal', () => {
    // Prepare
    const component = {
      name: 'api',
      kind: 'capacity',
      target: { kind: 'ecs-service', cluster: 'serving', service: 'api', count: 3 },
    };
    const dir = plansDir({ 'model-registry.yml': registry({}, { components: [component] }) });

    // Act
    const back = buildWiring(dir, 'eu-central-1', 'dev');

    // Assess
    expect(back.resources.extensions).toEqual({});
    const prepare = statementsOf(back.resources.Resources, 'prepare');
    expect(prepare.some((s) => s.Action.includes('secretsmanager:GetSecretValue'))).toBe(false);
  });
});

describe("an Aurora plan's way back on a private zone: Verify in traffic.verify.wayBackVpc", () => {
  const ORDERS = parseYaml(readFileSync('plans/orders.yml', 'utf8')) as Record<string, Record<string, unknown>>;

  it('runs Verify of the us-east-1 stack in the VPC the plan names there', () => {
    // Act
    const back = buildWiring(plansDir({ 'orders.yml': ORDERS }), 'us-east-1', 'dev');

    // Assess
    expect(vpcConfigs(back.resources.extensions)).toEqual({
      VerifyLambdaFunction: {
        SubnetIds: ['subnet-0f1e2d3c4b5a69782', 'subnet-0f1e2d3c4b5a69783'],
        SecurityGroupIds: ['sg-0f1e2d3c4b5a69784'],
      },
    });
  });

  it('refuses to package the us-east-1 stack when the plan names no VPC for Verify there', () => {
    // Prepare
    const verify = { ...(ORDERS.traffic?.verify as Record<string, unknown>) };
    delete verify.wayBackVpc;
    const dir = plansDir({ 'orders.yml': { ...ORDERS, traffic: { ...ORDERS.traffic, verify } } });

    // Act
    const error = errorOf(() => buildWiring(dir, 'us-east-1', 'dev'));

    // Assess
    expect(error).toBeInstanceOf(PlanValidationError);
    expect(error?.message).toContain('traffic.verify.wayBackVpc');
    expect(error?.message).toContain(
      'must ask the private zone from a VPC there, as traffic.verify.vpc does in eu-west-1',
    );
  });
});
