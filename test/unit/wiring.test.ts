import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalTimerGroupName, FUNCTIONS } from '#core/stack-names.js';
import { RUN_FUNCTIONS } from '#core/warm-up.js';
import { APPROVAL_TIMER_ROLE, statementsFor } from '#infra/grants.js';
import { rateSeconds } from '#infra/notifications.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring } from '#infra/wiring.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { planVariant, upsertVariant } from '../statemachine/support.js';

interface PolicyStatement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string[]>>;
}
interface Role {
  Type: string;
  Properties: { Policies: { PolicyDocument: { Statement: PolicyStatement[] } }[] };
}

const wiring = buildWiring('plans', 'eu-west-1', 'dev');
const orders = loadPlanFile('plans/orders.yml');
/** The orders plan moving traffic by UPSERT, as plans without `traffic` do. */
const ordersUpsert = upsertVariant('plans/orders.yml');
const featureStore = loadPlanFile('plans/feature-store.yml');
/** The orders plan's readiness alarm as the dev stack's policies name it. */
const ordersAlarmArn = {
  'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:dr-failover-dev-orders-readiness`,
};

const roleStatements = (fn: (typeof FUNCTIONS)[number]): PolicyStatement[] => {
  const role = wiring.resources.Resources[roleLogicalId(fn)] as unknown as Role;
  return role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
};
const allStatements = () => FUNCTIONS.flatMap((fn) => roleStatements(fn));
const actions = (s: PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: PolicyStatement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('buildWiring', () => {
  it('takes only the plans whose standby is the deployment region', () => {
    // Assess
    expect(wiring.planNames).toEqual(['orders']);
    expect(buildWiring('plans', 'us-east-2', 'dev').planNames).toEqual(['feature-store', 'ml-platform']);
    expect(buildWiring('plans', 'us-east-1', 'dev').planNames).toEqual([]);
  });

  it('wires one EventBridge pattern per plan alarm, matching only its ARN moving into ALARM', () => {
    // Act
    const patterns = wiring.triggerEvents.filter((e) => typeof e === 'object' && e !== null && 'eventBridge' in e);

    // Assess
    expect(patterns).toEqual(
      orders.trigger.alarms.map((alarm, i) => ({
        eventBridge: {
          name: `dr-failover-dev-orders-alarm-${i + 1}`,
          pattern: {
            source: ['aws.cloudwatch'],
            'detail-type': ['CloudWatch Alarm State Change'],
            resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${alarm}`],
            detail: { state: { value: ['ALARM'] } },
          },
        },
      })),
    );
    expect(patterns).toHaveLength(2);
  });

  it("schedules the plan's game day with an input transformer that sends the trigger's game-day event", () => {
    // Act
    const schedules = wiring.triggerEvents.filter((e) => typeof e === 'object' && e !== null && 'schedule' in e);

    // Assess
    expect(schedules).toEqual([
      {
        schedule: {
          name: 'dr-failover-dev-orders-gameday',
          description: 'dr-failover game day for plan orders',
          rate: ['cron(0 14 ? * TUE#2 *)'],
          inputTransformer: {
            inputPathsMap: { time: '$.time' },
            inputTemplate: '{"kind":"gameday","plan":"orders","time":<time>}',
          },
        },
      },
    ]);
  });

  it('produces a game-day template that is the JSON the trigger accepts once <time> is filled in', () => {
    // Prepare
    const schedule = wiring.triggerEvents.find((e) => typeof e === 'object' && e !== null && 'schedule' in e) as {
      schedule: { inputTransformer: { inputTemplate: string } };
    };

    // Act
    const event: unknown = JSON.parse(
      schedule.schedule.inputTransformer.inputTemplate.replace('<time>', '"2026-11-10T14:00:00Z"'),
    );

    // Assess
    expect(event).toEqual({ kind: 'gameday', plan: 'orders', time: '2026-11-10T14:00:00Z' });
  });

  it('gives every function its own role', () => {
    // Assess
    for (const fn of FUNCTIONS) {
      expect(wiring.resources.Resources[roleLogicalId(fn)]).toMatchObject({ Type: 'AWS::IAM::Role' });
    }
  });

  it('grants no action with a wildcard', () => {
    // Act
    const wild = allStatements().flatMap((s) => actions(s).filter((a) => a.includes('*')));

    // Assess
    expect(allStatements().length).toBeGreaterThan(FUNCTIONS.length);
    expect(wild).toEqual([]);
  });

  it("uses Resource '*' only for the actions without resource-level permissions", () => {
    // Act
    const starred = allStatements().filter((s) => resources(s).includes('*'));

    // Assess
    expect(starred.length).toBeGreaterThan(0);
    const starOnly = ['cloudwatch:GetMetricData', 'route53:TestDNSAnswer', 'ec2:DescribeNetworkInterfaces'];
    for (const s of starred) expect(actions(s).every((a) => starOnly.includes(a))).toBe(true);
  });

  it("limits the trigger to starting and listing this stage's state machine and describing its executions", () => {
    // Act
    const statements = statementsFor('trigger', [orders], 'dev');

    // Assess
    expect(statements).toEqual([
      {
        Sid: 'StartAndListFailovers',
        Effect: 'Allow',
        Action: ['states:StartExecution', 'states:ListExecutions'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:dr-failover-dev' }],
      },
      {
        Sid: 'DescribeFailovers',
        Effect: 'Allow',
        Action: ['states:DescribeExecution'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:execution:dr-failover-dev:*' }],
      },
      warmUp('dev', ['prepare', ...RUN_FUNCTIONS]),
    ]);
  });

  it('grants the warm-up only when a plan of the stack has it on', () => {
    // Prepare
    const cold = planVariant('plans/orders.yml', (p) => ({ ...p, coldStarts: { warmUp: false } }));

    // Act
    const sids = [...statementsFor('trigger', [cold], 'dev'), ...statementsFor('prepare', [cold], 'dev')].map(
      (st) => st.Sid,
    );

    // Assess
    expect(sids).not.toContain('WarmUpRunFunctions');
  });

  it("limits Prepare to listing this stage's state machine and describing its executions (the run guard)", () => {
    // Act
    const statements = statementsFor('prepare', [orders], 'prod');

    // Assess
    expect(statements).toEqual([
      {
        Sid: 'ListFailovers',
        Effect: 'Allow',
        Action: ['states:ListExecutions'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:dr-failover-prod' }],
      },
      {
        Sid: 'DescribeFailovers',
        Effect: 'Allow',
        Action: ['states:DescribeExecution'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:execution:dr-failover-prod:*' }],
      },
      warmUp('prod', RUN_FUNCTIONS),
    ]);
  });
});

/** The warm-up statement: Invoke on each function to warm, of this stage, by name. */
const warmUp = (stage: string, fns: readonly string[]) => ({
  Sid: 'WarmUpRunFunctions',
  Effect: 'Allow',
  Action: ['lambda:InvokeFunction'],
  Resource: fns.map((fn) => ({
    'Fn::Sub': `arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:dr-failover-${stage}-${fn}`,
  })),
});

describe('statementsFor updateDns', () => {
  it("conditions the record change on the plan's record name, its type and UPSERT only", () => {
    // Act
    const statements = statementsFor('updateDns', [ordersUpsert], 'dev');

    // Assess
    const change = statements.find((s) => s.Action.includes('route53:ChangeResourceRecordSets'));
    expect(change).toEqual({
      Sid: 'ChangeRecordOrders',
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: ['arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['db.orders.example.internal'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        },
      },
    });
  });

  it('writes one conditioned statement per plan, each with its own zone and record', () => {
    // Act
    const statements = statementsFor('updateDns', [ordersUpsert, featureStore], 'dev').filter((s) =>
      s.Action.includes('route53:ChangeResourceRecordSets'),
    );

    // Assess
    expect(statements.map((s) => s.Sid)).toEqual(['ChangeRecordOrders', 'ChangeRecordFeatureStore']);
    expect(statements[1]).toMatchObject({
      Resource: ['arn:aws:route53:::hostedzone/Z0FEATURESTORE0001'],
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['features-db.ml.example.internal'],
        },
      },
    });
  });

  it('lets no function change Route 53 records in a stack whose plans move traffic on the data plane', () => {
    // Act
    const changers = allStatements().filter((s) => actions(s).includes('route53:ChangeResourceRecordSets'));
    const getChange = statementsFor('dnsStatus', [orders], 'dev').flatMap((s) => s.Action);

    // Assess
    expect(changers).toEqual([]);
    expect(getChange).not.toContain('route53:GetChange');
  });

  it('lets UpdateDns switch exactly the plan routing controls, and DnsStatus read them, nothing more', () => {
    // Prepare
    if (orders.traffic.kind !== 'routing-control') throw new Error('orders uses routing controls');
    const { primary, standby } = orders.traffic.routingControls;

    // Act
    const update = statementsFor('updateDns', [orders], 'dev').filter((s) =>
      s.Action.some((a) => a.startsWith('route53-recovery-cluster:')),
    );
    const status = statementsFor('dnsStatus', [orders], 'dev');

    // Assess
    expect(update).toEqual([
      {
        Sid: 'SwitchRoutingControls',
        Effect: 'Allow',
        Action: ['route53-recovery-cluster:UpdateRoutingControlStates'],
        Resource: [standby, primary],
      },
    ]);
    expect(status).toEqual([
      {
        Sid: 'ReadRoutingControls',
        Effect: 'Allow',
        Action: ['route53-recovery-cluster:GetRoutingControlState'],
        Resource: [standby, primary],
      },
    ]);
  });

  it('lets a health-check plan publish only in its own namespace and read only its take-over alarm', () => {
    // Prepare
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      traffic: {
        kind: 'health-check',
        records: ['db.orders.example.internal'],
        healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        alarm: { name: 'orders-take-over', namespace: 'DrFailover/Orders', metricName: 'TakeOver' },
      },
    }));

    // Act
    const update = statementsFor('updateDns', [plan], 'dev').filter((s) =>
      s.Action.includes('cloudwatch:PutMetricData'),
    );
    const status = statementsFor('dnsStatus', [plan], 'dev');

    // Assess
    expect(update).toEqual([
      {
        Sid: 'PublishTakeOverOrders',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'DrFailover/Orders' } },
      },
    ]);
    expect(status).toEqual([
      {
        Sid: 'ReadTakeOverAlarm',
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms'],
        Resource: ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-take-over'],
      },
    ]);
  });
});

describe('statementsFor checkLag', () => {
  it("lets the lag check read the metrics, describe only the plan replica and global cluster, and read only the replica's own group, changing nothing", () => {
    // Act
    const statements = statementsFor('checkLag', [orders, featureStore], 'dev');
    const byAction = Object.fromEntries(statements.flatMap((s) => s.Action.map((a) => [a, s.Resource])));

    // Assess
    expect(byAction).toEqual({
      'cloudwatch:GetMetricData': ['*'],
      // A promoted standby publishes no lag: the reading asks whether it is already the writer.
      'rds:DescribeDBInstances': ['arn:aws:rds:us-east-2:111122223333:db:feature-store-replica'],
      // ... and whether its own group fences it read-only (then it is not: after a way back).
      'rds:DescribeDBParameters': ['arn:aws:rds:us-east-2:111122223333:pg:feature-store-replica-pg'],
      'rds:DescribeGlobalClusters': ['arn:aws:rds::111122223333:global-cluster:orders-global'],
    });
  });
});

describe('statementsFor promote', () => {
  it('allows promotion only on the plan clusters and global cluster', () => {
    // Act
    const statements = statementsFor('promote', [orders], 'dev');

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({
        Sid: 'SwitchOrFailOverGlobalClusters',
        Resource: [
          'arn:aws:rds::111122223333:global-cluster:orders-global',
          'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
          'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
        ],
      }),
    ]);
  });
});

describe('readiness wiring', () => {
  it('schedules one readiness run per plan at its readiness rate, sending the plan name', () => {
    // Assess
    expect(wiring.readinessEvents).toEqual([
      {
        schedule: {
          name: 'dr-failover-dev-orders-readiness',
          description: 'dr-failover readiness checks for plan orders',
          rate: ['rate(5 minutes)'],
          input: { kind: 'readiness', plan: 'orders' },
        },
      },
    ]);
  });

  it('schedules nothing for a plan whose readiness is disabled, and keeps its alarm rules', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dr-failover-wiring-'));
    const text = readFileSync('plans/orders.yml', 'utf8');
    writeFileSync(join(dir, 'orders.yml'), `${text}\nreadiness: { enabled: false }\n`);

    // Act
    const disabled = buildWiring(dir, 'eu-west-1', 'dev');
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(disabled.readinessEvents).toEqual([]);
    expect(disabled.triggerEvents).toHaveLength(wiring.triggerEvents.length);
  });

  it('lists every failover function but not itself for the functions check', () => {
    // Assess
    expect(wiring.stackFunctions.split(',')).toEqual(
      FUNCTIONS.filter((fn) => fn !== 'readiness').map((fn) => `dr-failover-dev-${fn}`),
    );
  });

  it('grants the readiness function named reads of the Aurora plan, and nothing that changes anything', () => {
    // Act
    const statements = statementsFor('readiness', [orders], 'dev');
    const byAction = Object.fromEntries(statements.flatMap((s) => s.Action.map((a) => [a, s.Resource])));

    // Assess
    expect(byAction).toEqual({
      'rds:DescribeGlobalClusters': ['arn:aws:rds::111122223333:global-cluster:orders-global'],
      'rds:DescribeDBClusters': [
        'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
        'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
      ],
      'rds:DescribeDBClusterSnapshots': [
        'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
        'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
        'arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:*',
      ],
      'cloudwatch:GetMetricData': ['*'],
      // The health checks it finds on the failover records.
      'route53:GetHealthCheck': ['arn:aws:route53:::healthcheck/*'],
      'route53:GetHostedZone': ['arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
      'route53:ListResourceRecordSets': ['arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
      // The traffic check reads the plan's two routing controls, nothing else of the cluster.
      'route53-recovery-cluster:GetRoutingControlState': [
        'arn:aws:route53-recovery-control::111122223333:controlpanel/0a1b2c3d4e5f60718293a4b5c6d7e8f9/routingcontrol/9f8e7d6c5b4a3021',
        'arn:aws:route53-recovery-control::111122223333:controlpanel/0a1b2c3d4e5f60718293a4b5c6d7e8f9/routingcontrol/1a2b3c4d5e6f7081',
      ],
      'cloudwatch:DescribeAlarms': [
        'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy',
        'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-api-writes-failing',
      ],
      'events:DescribeRule': [
        'arn:aws:events:eu-west-1:111122223333:rule/dr-failover-dev-orders-alarm-1',
        'arn:aws:events:eu-west-1:111122223333:rule/dr-failover-dev-orders-alarm-2',
      ],
      'events:ListTargetsByRule': [
        'arn:aws:events:eu-west-1:111122223333:rule/dr-failover-dev-orders-alarm-1',
        'arn:aws:events:eu-west-1:111122223333:rule/dr-failover-dev-orders-alarm-2',
      ],
      'states:DescribeStateMachine': [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        { 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:dr-failover-dev' },
      ],
      'lambda:GetFunctionConfiguration': FUNCTIONS.filter((fn) => fn !== 'readiness').map((fn) => ({
        'Fn::Sub': `arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:dr-failover-dev-${fn}`,
      })),
      'events:PutEvents': ['arn:aws:events:eu-west-1:111122223333:event-bus/dr-failover'],
    });
  });

  it('grants the RDS instance plan its replica, its source and the standby region snapshots and backups', () => {
    // Act
    const statements = statementsFor('readiness', [featureStore], 'dev');

    // Assess
    expect(statements.find((s) => s.Action.includes('rds:DescribeDBInstances'))?.Resource).toEqual([
      'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica',
      'arn:aws:rds:us-west-2:111122223333:db:feature-store',
    ]);
    expect(statements.find((s) => s.Action.includes('rds:DescribeDBSnapshots'))).toMatchObject({
      Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstanceAutomatedBackups'],
      Resource: [
        'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica',
        'arn:aws:rds:us-west-2:111122223333:db:feature-store',
        'arn:aws:rds:us-east-2:111122223333:snapshot:*',
        'arn:aws:rds:us-east-2:111122223333:auto-backup:*',
      ],
    });
  });
});

describe('publisher resource policies', () => {
  type Statement = {
    Sid?: string;
    Effect: string;
    Principal: unknown;
    Action: unknown;
    Resource: unknown;
    Condition?: unknown;
  };
  const properties = (logicalId: string) =>
    (wiring.resources.Resources[logicalId] as unknown as { Properties: Record<string, unknown> }).Properties;
  const roleArn = (fn: (typeof FUNCTIONS)[number]) => ({ 'Fn::GetAtt': [roleLogicalId(fn), 'Arn'] });
  const granted = (action: string, arn: string) =>
    FUNCTIONS.filter((fn) =>
      roleStatements(fn).some((s) => actions(s).includes(action) && resources(s).includes(arn)),
    ).map(roleArn);

  it('lets on the bus exactly the roles granted events:PutEvents on it, and denies everyone else', () => {
    // Prepare
    const bus = 'arn:aws:events:eu-west-1:111122223333:event-bus/dr-failover';
    const publishers = granted('events:PutEvents', bus);

    // Act
    const { Statement: statements } = properties('DrfailoverEventBus').Policy as { Statement: Statement[] };

    // Assess
    expect(publishers).toEqual([roleArn('notify'), roleArn('runEnded'), roleArn('readiness')]);
    expect(statements).toEqual([
      {
        Sid: 'DrFailoverPublishers',
        Effect: 'Allow',
        Principal: { AWS: publishers },
        Action: 'events:PutEvents',
        Resource: bus,
      },
      {
        Sid: 'NoOtherPublishers',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: bus,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': publishers } },
      },
    ]);
  });

  it('lets on the topic exactly the roles granted sns:Publish on it and the readiness alarm, and encrypts it with a key only they use', () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall';
    const publishers = granted('sns:Publish', topicArn);
    const topicRef = { Ref: 'DrfailoveroncallTopic' };

    // Act
    const topic = properties('DrfailoveroncallTopic');
    const policy = properties('DrfailoveroncallTopicPolicy');
    const key = properties('NotificationsKey');

    // Assess
    expect(publishers).toEqual([roleArn('notify'), roleArn('runEnded')]);
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['NotificationsKey', 'Arn'] });
    expect(policy.Topics).toEqual([topicRef]);
    expect((policy.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Sid: 'DrFailoverPublishers',
        Effect: 'Allow',
        Principal: { AWS: publishers },
        Action: 'sns:Publish',
        Resource: topicRef,
      },
      {
        Sid: 'ReadinessAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicRef,
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': [ordersAlarmArn] },
        },
      },
      {
        Sid: 'NoOtherPublishers',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topicRef,
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': publishers },
          StringNotEquals: { 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' },
        },
      },
    ]);
    const keyStatements = (key.KeyPolicy as { Statement: (Statement & { Sid: string })[] }).Statement;
    expect(keyStatements.map((s) => s.Sid)).toEqual([
      'AdministerThroughIam',
      'PublishersThroughSns',
      'ReadinessAlarmsThroughSns',
    ]);
    expect(keyStatements[1]).toEqual({
      Sid: 'PublishersThroughSns',
      Effect: 'Allow',
      Principal: { AWS: publishers },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `sns.\${AWS::Region}.amazonaws.com` } } },
    });
    expect(keyStatements[2]).toEqual({
      Sid: 'ReadinessAlarmsThroughSns',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnEquals: { 'aws:SourceArn': [ordersAlarmArn] },
      },
    });
    const adminActions = keyStatements[0]?.Action as string[];
    expect(adminActions.filter((a) => a.includes('*') || /Decrypt|Encrypt|GenerateDataKey/.test(a))).toEqual([]);
    expect(key.EnableKeyRotation).toBe(true);
  });

  it('admits no CloudWatch on the topic or the key when no readiness alarm pages there', () => {
    // Prepare: the same plan, its readiness disabled, so it has no alarm.
    const dir = mkdtempSync(join(tmpdir(), 'dr-failover-wiring-'));
    writeFileSync(
      join(dir, 'orders.yml'),
      `${readFileSync('plans/orders.yml', 'utf8')}\nreadiness: { enabled: false }\n`,
    );

    // Act
    const quiet = buildWiring(dir, 'eu-west-1', 'dev');
    rmSync(dir, { recursive: true, force: true });

    // Assess
    const resourcesOf = quiet.resources.Resources as unknown as Record<string, { Properties: Record<string, unknown> }>;
    expect(resourcesOf.OrdersReadinessAlarm).toBeUndefined();
    const policy = resourcesOf.DrfailoveroncallTopicPolicy?.Properties.PolicyDocument as { Statement: Statement[] };
    const statements = policy.Statement;
    expect(statements.map((s) => [s.Effect, s.Principal])).toEqual([
      ['Allow', { AWS: [roleArn('notify'), roleArn('runEnded')] }],
      ['Deny', '*'],
    ]);
    expect(statements[1]?.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [roleArn('notify'), roleArn('runEnded')] },
    });
    expect(JSON.stringify(resourcesOf.NotificationsKey?.Properties.KeyPolicy)).not.toContain('cloudwatch');
  });

  it("creates only the stack's own topic, bus and key when no plan of the region pages people", () => {
    // Act: a region no plan fails over to nor back to (us-east-1 runs the orders plan's way back and pages there).
    const none = buildWiring('plans', 'ap-southeast-2', 'dev');

    // Assess
    const resourcesOf = none.resources.Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const named = Object.values(resourcesOf).map((r) => [r.Type, r.Properties.TopicName ?? r.Properties.Name]);
    expect(named.filter(([type]) => type === 'AWS::SNS::Topic' || type === 'AWS::Events::EventBus')).toEqual([
      ['AWS::Events::EventBus', 'dr-failover'],
      ['AWS::SNS::Topic', 'dr-failover-dev-oncall'],
    ]);
    const keyPolicy = resourcesOf.NotificationsKey?.Properties.KeyPolicy as { Statement: Statement[] };
    expect(keyPolicy.Statement.find((st) => st.Sid === 'PublishersThroughSns')?.Principal).toEqual({
      AWS: [roleArn('notify'), roleArn('runEnded')],
    });
  });
});

describe('FIFO topics', () => {
  it('creates a topic whose name ends in .fifo as a FIFO topic, and a standard one as standard', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dr-wiring-'));
    const plan = JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as { notify: Record<string, unknown> };
    plan.notify.snsTopicArn = 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall.fifo';
    writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));

    try {
      // Act
      const fifo = buildWiring(dir, 'eu-west-1', 'dev').resources.Resources;

      // Assess
      const topicsOf = (r: Record<string, unknown>) =>
        Object.values(r as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
          (x) => x.Type === 'AWS::SNS::Topic',
        );
      expect(topicsOf(fifo).map((t) => [t.Properties.TopicName, t.Properties.FifoTopic])).toEqual([
        ['dr-failover-dev-oncall', undefined],
        ['dr-failover-oncall.fifo', true],
      ]);
      expect(topicsOf(wiring.resources.Resources).map((t) => [t.Properties.TopicName, t.Properties.FifoTopic])).toEqual(
        [
          ['dr-failover-dev-oncall', undefined],
          ['dr-failover-oncall', undefined],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deployed credentials', () => {
  it.each([
    ['an env', { env: 'PG_PASSWORD_JSON' }],
    ['a file', { file: '/var/task/pg.json' }],
  ])('refuses to wire a plan whose database credentials are %s reference, naming the field', (_what, credentials) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dr-wiring-'));
    const plan = {
      ...(JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as Record<string, unknown>),
      database: {
        kind: 'postgres',
        primary: { host: 'pg-a.example.internal', credentials: { secretsManager: 'orders/pg' } },
        standby: { host: 'pg-b.example.internal', credentials },
      },
    };
    writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));

    try {
      // Act
      const act = () => buildWiring(dir, 'eu-west-1', 'dev');

      // Assess
      expect(act).toThrow(/database\.standby\.credentials: a deployed plan must use a secretsManager reference/);
      expect(act).toThrow(expect.objectContaining({ name: 'PlanValidationError' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('approval deadline wiring', () => {
  it('lets the notify function create schedules only in the approval group and pass only the timer role to Scheduler', () => {
    // Act
    const statements = statementsFor('notify', [orders], 'dev').filter(
      (s) => s.Sid !== 'PutFailoverEvents' && s.Sid !== 'PageOnCall',
    );

    // Assess
    expect(statements).toEqual([
      {
        Sid: 'ArmApprovalDeadlines',
        Effect: 'Allow',
        Action: ['scheduler:CreateSchedule'],
        Resource: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
          { 'Fn::Sub': 'arn:aws:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/dr-failover-dev-approvals/*' },
        ],
      },
      {
        Sid: 'PassApprovalTimerRoleToScheduler',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [{ 'Fn::GetAtt': [APPROVAL_TIMER_ROLE, 'Arn'] }],
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('gives the Scheduler role only SendTaskFailure on this stage state machine, assumable only from the approval group', () => {
    // Act
    const role = wiring.resources.Resources[APPROVAL_TIMER_ROLE] as unknown as {
      Properties: {
        AssumeRolePolicyDocument: { Statement: { Principal: unknown; Condition: unknown }[] };
        Policies: { PolicyDocument: { Statement: PolicyStatement[] } }[];
      };
    };

    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: {
            'aws:SourceArn': {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
              'Fn::Sub': 'arn:aws:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/dr-failover-dev-approvals',
            },
          },
        },
      }),
    ]);
    expect(role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Sid: 'FailUnansweredApprovals',
        Effect: 'Allow',
        Action: ['states:SendTaskFailure'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not a JS template
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:dr-failover-dev' }],
      },
    ]);
    expect(wiring.resources.Resources.ApprovalTimerGroup).toEqual({
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: approvalTimerGroupName('dev') },
    });
  });

  it('adds one alarm per plan on ReadinessStatus CRITICAL in 2 of 3 runs, missing data breaching, paging the plan topic', () => {
    // Assess
    expect(wiring.resources.Resources.OrdersReadinessAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'dr-failover-dev-orders-readiness',
        AlarmDescription: expect.stringContaining('dr-failover readiness --plan orders --stage dev'),
        Namespace: 'DrFailover',
        MetricName: 'ReadinessStatus',
        Dimensions: [
          { Name: 'service', Value: 'dr-failover' },
          { Name: 'plan', Value: 'orders' },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: 'DrfailoveroncallTopic' }],
        OKActions: [{ Ref: 'DrfailoveroncallTopic' }],
      },
    });
  });

  it("gives the alarm of a plan without an on-call topic no actions, and creates no topic but the stack's own", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dr-failover-wiring-'));
    const text = readFileSync('plans/orders.yml', 'utf8');
    expect(text).toMatch(/^ {2}snsTopicArn: .*\n/m);
    writeFileSync(join(dir, 'orders.yml'), text.replace(/^ {2}snsTopicArn: .*\n/m, ''));

    // Act
    const untopiced = buildWiring(dir, 'eu-west-1', 'dev');
    rmSync(dir, { recursive: true, force: true });

    // Assess
    const alarm = untopiced.resources.Resources.OrdersReadinessAlarm as { Properties: Record<string, unknown> };
    expect(alarm.Properties.AlarmName).toBe('dr-failover-dev-orders-readiness');
    expect(alarm.Properties).not.toHaveProperty('AlarmActions');
    expect(alarm.Properties).not.toHaveProperty('OKActions');
    const topics = Object.values(
      untopiced.resources.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).filter((r) => r.Type === 'AWS::SNS::Topic');
    expect(topics.map((t) => t.Properties.TopicName)).toEqual(['dr-failover-dev-oncall']);
  });

  it('reads the period of a rate schedule, and none from a cron expression', () => {
    expect(rateSeconds('rate(5 minutes)')).toBe(300);
    expect(rateSeconds('rate(1 hour)')).toBe(3600);
    expect(rateSeconds('rate(2 days)')).toBe(172_800);
    expect(rateSeconds('cron(0/5 * * * ? *)')).toBeUndefined();
  });
});
