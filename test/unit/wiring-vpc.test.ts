import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PlanValidationError } from '#core/errors.js';
import { parsePlan } from '#core/plan.js';
import { FUNCTIONS } from '#core/stack-names.js';
import { statementsFor } from '#infra/grants.js';
import { databaseFunctions } from '#infra/vpc.js';
import { buildWiring } from '#infra/wiring.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { REGISTRY_PLAN } from '../fixtures/registry-plan.js';

const dirs: string[] = [];
const plansDir = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-failover-vpc-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const registry = () => parseYaml(REGISTRY_PLAN) as Record<string, Record<string, unknown>>;
const withVpc = (vpc: unknown, name = 'model-registry') => {
  const plan = registry();
  return JSON.stringify({ ...plan, name, database: { ...plan.database, vpc } });
};
const ec2Actions = (fn: (typeof FUNCTIONS)[number], plans: ReturnType<typeof parsePlan>[]) =>
  statementsFor(fn, plans, 'dev')
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .filter((a) => a.startsWith('ec2:'));

describe('private PostgreSQL hosts: the VPC of the functions that connect to them', () => {
  it("puts exactly the functions granted the credentials in the plan's subnets and security groups", () => {
    // Act
    const wiring = buildWiring(plansDir({ 'model-registry.yml': REGISTRY_PLAN }), 'eu-west-1', 'dev');

    // Assess
    const inVpc = databaseFunctions();
    expect(inVpc).toEqual(expect.arrayContaining(['checkLag', 'fence', 'promote', 'promotionStatus']));
    expect(inVpc).not.toContain('notify');
    const config = {
      SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'],
      SecurityGroupIds: ['sg-0a1b2c3d4e5f60720'],
    };
    expect(wiring.resources.extensions).toEqual(
      Object.fromEntries(
        inVpc.map((fn) => [
          `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`,
          { Properties: { VpcConfig: config } },
        ]),
      ),
    );
  });

  it("grants those functions the network interfaces in the plan's subnets only, and the others nothing of EC2", () => {
    // Prepare
    const plan = parsePlan(parseYaml(REGISTRY_PLAN), 'model-registry.yml');

    // Act
    const promote = statementsFor('promote', [plan], 'dev');

    // Assess
    const eni = { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:network-interface/*` };
    const create = promote.find((s) => s.Sid === 'CreateNetworkInterfacesInPlanSubnets');
    expect(create?.Action).toEqual(['ec2:CreateNetworkInterface']);
    expect(create?.Resource).toEqual([
      eni,
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:subnet/subnet-0a1b2c3d4e5f60718` },
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:subnet/subnet-0a1b2c3d4e5f60719` },
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:security-group/sg-0a1b2c3d4e5f60720` },
    ]);
    expect(promote.find((s) => s.Sid === 'ManageOwnNetworkInterfaces')?.Resource).toEqual([eni]);
    expect(promote.find((s) => s.Sid === 'DescribeNetworkInterfaces')?.Resource).toEqual(['*']);
    for (const fn of FUNCTIONS.filter((f) => !databaseFunctions().includes(f))) {
      expect(ec2Actions(fn, [plan]), fn).toEqual([]);
    }
  });

  it('gives no function a VPC or an EC2 permission when no plan names a vpc', () => {
    // Act
    const wiring = buildWiring(
      plansDir({ 'feature-store.yml': readFileSync('plans/feature-store.yml', 'utf8') }),
      'us-west-2',
      'dev',
    );
    const featureStore = loadPlanFile('plans/feature-store.yml');

    // Assess
    expect(wiring.resources.extensions).toEqual({});
    for (const fn of FUNCTIONS) expect(ec2Actions(fn, [featureStore]), fn).toEqual([]);
  });

  it('refuses postgres plans of one stack that name different VPCs, or a VPC and none, naming each plan', () => {
    // Prepare
    const other = { subnetIds: ['subnet-0f0f0f0f0f0f0f0f0'], securityGroupIds: ['sg-0f0f0f0f0f0f0f0f0'] };
    const differing = plansDir({ 'a.yml': REGISTRY_PLAN, 'b.yml': withVpc(other, 'feature-meta') });
    const oneWithout = plansDir({ 'a.yml': REGISTRY_PLAN, 'b.yml': withVpc(undefined, 'feature-meta') });

    // Act
    const errors = [differing, oneWithout].map((dir) => {
      try {
        buildWiring(dir, 'eu-west-1', 'dev');
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(PlanValidationError);
      expect((error as Error).message).toMatch(/every postgres plan of one stack must name the same vpc, or none/);
      expect((error as Error).message).toMatch(/model-registry: .*feature-meta: /);
    }
    expect((errors[1] as Error).message).toMatch(/feature-meta: no vpc/);
  });

  it('refuses subnet and security group ids that are not ids, and more than Lambda allows', () => {
    // Prepare
    const plan = registry();
    const variants = [
      { subnetIds: ['subnet-xyz'], securityGroupIds: ['sg-0a1b2c3d4e5f60720'] },
      { subnetIds: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: [] },
      {
        subnetIds: ['subnet-0a1b2c3d4e5f60718'],
        securityGroupIds: Array.from({ length: 6 }, () => 'sg-0a1b2c3d4e5f60720'),
      },
    ];

    // Act / Assess
    for (const vpc of variants) {
      expect(() => parsePlan({ ...plan, database: { ...plan.database, vpc } }, 'test'), JSON.stringify(vpc)).toThrow(
        PlanValidationError,
      );
    }
  });
});

describe('a private hosted zone verified through a resolver: the VPC Verify runs in', () => {
  const ORDERS = readFileSync('plans/orders.yml', 'utf8');
  const withVerifyVpc = (vpc: unknown, name: string) => {
    const plan = parseYaml(ORDERS) as Record<string, Record<string, unknown>>;
    return JSON.stringify({ ...plan, name, traffic: { ...plan.traffic, verify: { vpc } } });
  };

  it('puts Verify alone in traffic.verify.vpc, with the network interfaces of its subnets only', () => {
    // Act
    const wiring = buildWiring(plansDir({ 'orders.yml': ORDERS }), 'eu-west-1', 'dev');
    const orders = loadPlanFile('plans/orders.yml');

    // Assess
    expect(wiring.resources.extensions).toEqual({
      VerifyLambdaFunction: {
        Properties: {
          VpcConfig: {
            SubnetIds: ['subnet-0a1b2c3d4e5f60712', 'subnet-0a1b2c3d4e5f60713'],
            SecurityGroupIds: ['sg-0a1b2c3d4e5f60714'],
          },
        },
      },
    });
    const create = statementsFor('verify', [orders], 'dev').find(
      (s) => s.Sid === 'CreateNetworkInterfacesInPlanSubnets',
    );
    expect(create?.Resource).toEqual([
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:network-interface/*` },
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:subnet/subnet-0a1b2c3d4e5f60712` },
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:subnet/subnet-0a1b2c3d4e5f60713` },
      { 'Fn::Sub': `arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:security-group/sg-0a1b2c3d4e5f60714` },
    ]);
    for (const fn of FUNCTIONS.filter((f) => f !== 'verify')) expect(ec2Actions(fn, [orders]), fn).toEqual([]);
  });

  it('refuses plans of one stack that name different VPCs for Verify, naming each plan', () => {
    // Prepare
    const other = {
      vpcId: 'vpc-0f0f0f0f0f0f0f0f0',
      subnetIds: ['subnet-0f0f0f0f0f0f0f0f0'],
      securityGroupIds: ['sg-0f0f0f0f0f0f0f0f0'],
    };
    const dir = plansDir({ 'orders.yml': ORDERS, 'payments.yml': withVerifyVpc(other, 'payments') });

    // Act / Assess
    expect(() => buildWiring(dir, 'eu-west-1', 'dev')).toThrow(
      /every plan of one stack that names traffic.verify.vpc must name the same one .*orders: vpc-0a1b2c3d4e5f60711.*payments: vpc-0f0f0f0f0f0f0f0f0/,
    );
  });

  it('refuses a Verify VPC without its VPC id or with ids that are not ids', () => {
    const plan = parseYaml(ORDERS) as Record<string, Record<string, unknown>>;
    for (const vpc of [
      { subnetIds: ['subnet-0a1b2c3d4e5f60712'], securityGroupIds: ['sg-0a1b2c3d4e5f60714'] },
      { vpcId: 'vpc-1', subnetIds: ['subnet-0a1b2c3d4e5f60712'], securityGroupIds: ['sg-0a1b2c3d4e5f60714'] },
    ]) {
      expect(
        () => parsePlan({ ...plan, traffic: { ...plan.traffic, verify: { vpc } } }, 'test'),
        JSON.stringify(vpc),
      ).toThrow(PlanValidationError);
    }
  });
});
