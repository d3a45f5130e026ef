/**
 * IAM that depends on what a plan names, simulated without packaging: the roles infra/wiring.ts builds for a
 * self-managed PostgreSQL plan, resolved as CloudFormation would, against the requests its functions make.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FunctionName } from '#core/stack-names.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring, type Wiring } from '#infra/wiring.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import type { IamRequest } from './iam-requests.js';
import { defaultKeyPolicy, simulate } from './simulate.js';
import { resolvePolicies, type Template } from './template.js';

const STAGE = 'ci';
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const SECRETS = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret`;
/** The functions that open a PostgreSQL session, so read its credentials. */
const READERS: FunctionName[] = [
  'prepare',
  'checkLag',
  'fence',
  'promote',
  'promotionStatus',
  'updateDns',
  'readiness',
];

/** The wiring of the eu-west-1 stack for the orders plan turned self-managed PostgreSQL, with `database` merged in. */
const wiringWith = (database: Record<string, unknown>): Wiring => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-plan-iam-'));
  try {
    const plan = {
      ...(JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as Record<string, unknown>),
      database: {
        kind: 'postgres',
        primary: { host: 'pg-a.example.internal', credentials: { secretsManager: 'dr/orders-primary' } },
        standby: { host: 'pg-b.example.internal', credentials: { secretsManager: 'dr/orders-standby' } },
        ...database,
      },
    };
    writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));
    return buildWiring(dir, REGION, STAGE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A KMS key is used only if its key policy allows it: the customer's key keeps the default key policy. */
const DEFAULT_KEY_POLICY = defaultKeyPolicy(ACCOUNT);

/** What the role of `fn` may do with `request`, as IAM would decide it. */
const verdict = (wiring: Wiring, fn: FunctionName, request: IamRequest) => {
  const resolved = resolvePolicies({ Resources: wiring.resources.Resources } as unknown as Template, REGION, STAGE);
  const keyPolicy = request.action.startsWith('kms:') ? DEFAULT_KEY_POLICY : undefined;
  const role = roleLogicalId(fn);
  return simulate(resolved.policiesOf(role), request, ACCOUNT, resolved.roleArn(role), keyPolicy);
};

const getSecret = (arn: string): IamRequest => ({ action: 'secretsmanager:GetSecretValue', resource: arn });

describe('database credentials in Secrets Manager', () => {
  it.each(READERS)(
    'lets %s read the secret a name refers to (its ARN has a random suffix), not another with that name as prefix',
    async (fn) => {
      // Prepare
      const wiring = wiringWith({});

      // Act
      const own = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-AbC123`));
      const longer = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-admin-XyZ789`));
      const suffixOfSeven = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-AbC1234`));

      // Assess
      expect(own).toBe('Allowed');
      expect(longer).toBe('ImplicitlyDenied');
      expect(suffixOfSeven).toBe('ImplicitlyDenied');
    },
  );

  it('reads a partial ARN (no random suffix) as the secret it names, and a full ARN as exactly itself', async () => {
    // Prepare
    const wiring = wiringWith({
      primary: { host: 'pg-a.example.internal', credentials: { secretsManager: `${SECRETS}:dr/orders-primary` } },
      standby: {
        host: 'pg-b.example.internal',
        credentials: { secretsManager: `${SECRETS}:dr/orders-standby-Q1w2E3` },
      },
    });

    // Act
    const partial = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-primary-AbC123`));
    const partialLonger = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-primary-x-AbC123`));
    const full = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-standby-Q1w2E3`));
    const fullRecreated = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-standby-Z9x8C7`));

    // Assess
    expect(partial).toBe('Allowed');
    expect(partialLonger).toBe('ImplicitlyDenied');
    expect(full).toBe('Allowed');
    expect(fullRecreated).toBe('ImplicitlyDenied');
  });
});

describe("a secret encrypted with the customer's KMS key", () => {
  const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;
  const decrypt = (key: string, via?: string): IamRequest => ({
    action: 'kms:Decrypt',
    resource: key,
    context: via === undefined ? {} : { 'kms:ViaService': via },
  });
  const withKey = () =>
    wiringWith({
      primary: {
        host: 'pg-a.example.internal',
        credentials: { secretsManager: 'dr/orders-primary', kmsKeyArn: KEY },
      },
    });

  it.each(READERS)("lets %s decrypt with the secret's key through Secrets Manager in the region only", async (fn) => {
    // Prepare
    const wiring = withKey();

    // Act
    const viaSecrets = await verdict(wiring, fn, decrypt(KEY, `secretsmanager.${REGION}.amazonaws.com`));
    const direct = await verdict(wiring, fn, decrypt(KEY));
    const viaS3 = await verdict(wiring, fn, decrypt(KEY, `s3.${REGION}.amazonaws.com`));
    const elsewhere = await verdict(wiring, fn, decrypt(KEY, 'secretsmanager.us-east-1.amazonaws.com'));
    const otherKey = await verdict(wiring, fn, decrypt(OTHER_KEY, `secretsmanager.${REGION}.amazonaws.com`));

    // Assess
    expect(viaSecrets).toBe('Allowed');
    expect([direct, viaS3, elsewhere, otherKey]).toEqual([
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ]);
  });

  it('grants no key to the functions that read no secret, nor to anyone when the plan names no key', async () => {
    // Prepare
    const via = `secretsmanager.${REGION}.amazonaws.com`;

    // Act
    const notify = await verdict(withKey(), 'notify', decrypt(KEY, via));
    const noKey = await verdict(wiringWith({}), 'checkLag', decrypt(KEY, via));

    // Assess
    expect(notify).toBe('ImplicitlyDenied');
    expect(noKey).toBe('ImplicitlyDenied');
  });
});

describe("the stack's default on-call targets, for a run refused before its plan resolves", () => {
  // No plan fails over to nor back to it (us-east-1 runs the orders plan's way back: core/aurora-failback.ts).
  const EMPTY_REGION = 'ap-southeast-2';
  /** A stack of a region no plan fails over to: only the defaults can be paged. */
  const empty = () => buildWiring('plans', EMPTY_REGION, STAGE);
  const verdictIn = (wiring: Wiring, fn: FunctionName, request: IamRequest) => {
    const resolved = resolvePolicies(
      { Resources: wiring.resources.Resources } as unknown as Template,
      EMPTY_REGION,
      STAGE,
    );
    const role = roleLogicalId(fn);
    return simulate(resolved.policiesOf(role), request, ACCOUNT, resolved.roleArn(role));
  };
  const publish = {
    action: 'sns:Publish',
    resource: `arn:aws:sns:${EMPTY_REGION}:${ACCOUNT}:dr-failover-${STAGE}-oncall`,
  };
  const putEvents = {
    action: 'events:PutEvents',
    resource: `arn:aws:events:${EMPTY_REGION}:${ACCOUNT}:event-bus/dr-failover`,
  };

  it.each(['notify', 'runEnded'] as const)(
    'lets %s page the default topic and put events on the default bus',
    async (fn) => {
      // Act
      const wiring = empty();

      // Assess
      expect(wiring.planNames).toEqual([]);
      expect(await verdictIn(wiring, fn, publish)).toBe('Allowed');
      expect(await verdictIn(wiring, fn, putEvents)).toBe('Allowed');
    },
  );

  it('lets no other function publish there, and creates the topic and bus with policies naming only those two', async () => {
    // Prepare
    const wiring = empty();
    const resources = Object.values(
      wiring.resources.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    );

    // Act
    const others = await Promise.all(
      (['trigger', 'prepare', 'readiness', 'fence'] as const).flatMap((fn) => [
        verdictIn(wiring, fn, publish),
        verdictIn(wiring, fn, putEvents),
      ]),
    );

    // Assess
    expect(new Set(others)).toEqual(new Set(['ImplicitlyDenied']));
    const topic = resources.find((r) => r.Type === 'AWS::SNS::Topic');
    expect(topic?.Properties.TopicName).toBe(`dr-failover-${STAGE}-oncall`);
    const bus = resources.find((r) => r.Type === 'AWS::Events::EventBus');
    expect(bus?.Properties.Name).toBe('dr-failover');
    const policy = (bus?.Properties.Policy ?? { Statement: [] }) as {
      Statement: { Sid: string; Principal?: { AWS: unknown } }[];
    };
    const publishers = policy.Statement.find((st) => st.Sid === 'DrFailoverPublishers')?.Principal?.AWS;
    expect(publishers).toEqual([
      { 'Fn::GetAtt': [roleLogicalId('notify'), 'Arn'] },
      { 'Fn::GetAtt': [roleLogicalId('runEnded'), 'Arn'] },
    ]);
  });
});

describe("the component function's role, for a plan's components", () => {
  const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/serving/api`;
  const ASG = (name: string) =>
    `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/${name}`;
  /** The orders plan in eu-west-1 with an ECS service and an Auto Scaling group to raise, and a custom action. */
  const withComponents = (): Wiring => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-plan-iam-'));
    try {
      const plan = {
        ...(JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as Record<string, unknown>),
        components: [
          {
            name: 'api',
            kind: 'capacity',
            target: { kind: 'ecs-service', cluster: 'serving', service: 'api', count: 3 },
          },
          { name: 'workers', kind: 'capacity', target: { kind: 'auto-scaling-group', groupName: 'workers', count: 2 } },
          { name: 'cache', kind: 'custom-action', functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:warm` },
        ],
      };
      writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));
      return buildWiring(dir, REGION, STAGE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("allows exactly the calls its components make, on the plan's own resources", async () => {
    // Prepare
    const wiring = withComponents();
    const ask = (action: string, resource: string) => verdict(wiring, 'component', { action, resource });

    // Act
    const allowed = await Promise.all([
      ask('ecs:DescribeServices', ECS),
      ask('ecs:UpdateService', ECS),
      ask('autoscaling:DescribeAutoScalingGroups', '*'),
      ask('autoscaling:SetDesiredCapacity', ASG('workers')),
      ask('lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:warm`),
    ]);
    const denied = await Promise.all([
      ask('ecs:UpdateService', `arn:aws:ecs:${REGION}:${ACCOUNT}:service/serving/other-api`),
      ask('autoscaling:SetDesiredCapacity', ASG('other-workers')),
      ask('lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`),
      // Nothing of the plan's database: the component function never touches it.
      ask('rds:FailoverGlobalCluster', `arn:aws:rds::${ACCOUNT}:global-cluster:orders-global`),
    ]);

    // Assess
    expect(allowed).toEqual(['Allowed', 'Allowed', 'Allowed', 'Allowed', 'Allowed']);
    expect(denied).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  it('grants the component function nothing for a plan without components', async () => {
    const wiring = wiringWith({});
    expect(await verdict(wiring, 'component', { action: 'cloudwatch:GetMetricData', resource: '*' })).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe("the Aurora way back's KMS key (plans/orders.yml's preserveKmsKeyArn), in the stack of its primary region", () => {
  const PRIMARY = 'us-east-1';
  const KEY = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f`;
  const OTHER_KEY = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/00000000-4a5b-4c6d-8e7f-9a0b1c2d3e4f`;
  /** The us-east-1 stack for the shipped orders plan, its key as `key` (undefined: the plan names none). */
  const wayBackStack = (key: string | undefined): Wiring => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-plan-iam-'));
    try {
      const shipped = JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as { database: object };
      const { preserveKmsKeyArn: _, ...database } = shipped.database as Record<string, unknown>;
      const plan = { ...shipped, database: { ...database, ...(key ? { preserveKmsKeyArn: key } : {}) } };
      writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));
      return buildWiring(dir, PRIMARY, STAGE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const useKey = (action: string, key: string, via?: string): IamRequest => ({
    action,
    resource: key,
    context: via === undefined ? {} : { 'kms:ViaService': via },
  });
  const inPrimary = (wiring: Wiring, fn: FunctionName, request: IamRequest) => {
    const resolved = resolvePolicies({ Resources: wiring.resources.Resources } as unknown as Template, PRIMARY, STAGE);
    const role = roleLogicalId(fn);
    return simulate(resolved.policiesOf(role), request, ACCOUNT, resolved.roleArn(role), DEFAULT_KEY_POLICY);
  };
  const RDS_HERE = `rds.${PRIMARY}.amazonaws.com`;

  it.each(['kms:CreateGrant', 'kms:DescribeKey'])(
    "lets the failback function %s on the plan's key through RDS in the region, and on nothing else",
    async (action) => {
      // Prepare
      const wiring = wayBackStack(KEY);

      // Act
      const viaRds = await inPrimary(wiring, 'failback', useKey(action, KEY, RDS_HERE));
      const denied = await Promise.all([
        inPrimary(wiring, 'failback', useKey(action, KEY)),
        inPrimary(wiring, 'failback', useKey(action, KEY, `s3.${PRIMARY}.amazonaws.com`)),
        inPrimary(wiring, 'failback', useKey(action, KEY, 'rds.eu-west-1.amazonaws.com')),
        inPrimary(wiring, 'failback', useKey(action, OTHER_KEY, RDS_HERE)),
        inPrimary(wiring, 'prepare', useKey(action, KEY, RDS_HERE)),
        inPrimary(wiring, 'promote', useKey(action, KEY, RDS_HERE)),
      ]);

      // Assess
      expect(viaRds).toBe('Allowed');
      expect(new Set(denied)).toEqual(new Set(['ImplicitlyDenied']));
    },
  );

  it('grants no KMS key for the copy when the plan names none, nor any other use of the key', async () => {
    // Act
    const noKey = await inPrimary(wayBackStack(undefined), 'failback', useKey('kms:CreateGrant', KEY, RDS_HERE));
    const decrypt = await inPrimary(wayBackStack(KEY), 'failback', useKey('kms:Decrypt', KEY, RDS_HERE));

    // Assess
    expect(noKey).toBe('ImplicitlyDenied');
    expect(decrypt).toBe('ImplicitlyDenied');
  });
});
