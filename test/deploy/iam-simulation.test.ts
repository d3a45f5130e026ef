/**
 * IAM checked by simulation, not by reading: each function's role, as the packaged CloudFormation template
 * declares it, is simulated (@cloud-copilot/iam-simulate, with AWS's service authorization data) against every
 * AWS call that function makes while the real handlers run failovers, approvals, readiness checks and the
 * trigger on mocked AWS. Every call the code makes must be allowed; the same call on another plan's or stack's
 * resources must be denied.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '#core/plan.js';
import { approvalTimerGroupName, type FunctionName, stateMachineArn } from '#core/stack-names.js';
import { APPROVAL_TIMER_ROLE } from '#infra/grants.js';
import type { Json } from '#infra/json.js';
import { copyService, osls, REPO, templateOf } from '#infra/packaging.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring } from '#infra/wiring.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import { ALL_MOCKS, LOCAL_STATE_MACHINE_ARN } from '../statemachine/support.js';
import { elsewhere, type IamRequest, iamRequestsOf, type SentCall, serviceOfClient } from './iam-requests.js';
import {
  type During,
  dynamodb,
  recordAuroraWayBack,
  recordScenarios,
  recordWayBack,
  s3,
  s3control,
  sagemaker,
} from './iam-scenarios.js';
import { defaultKeyPolicy, simulate as simulateAs } from './simulate.js';
import { type Policy, resolvePolicies, type Template } from './template.js';

const STAGE = 'ci';
const lambda = mockClient(LambdaClient);
const MOCKS = [...ALL_MOCKS, lambda, s3control, sagemaker, s3, dynamodb];

/** The stacks the shipped plans deploy: one per standby region. */
const PLANS = [...loadPlanCatalog(join(REPO, 'plans')).values()];
const REGIONS = [...new Set(PLANS.map((p) => p.regions.standby))].sort();
/**
 * RDS and Aurora plans run their way back from the stack of their primary region: per kind, that stack, the plans,
 * how a way back is recorded, and the calls it must make.
 */
const wayBackStacks = (kind: 'rds-instance' | 'aurora-global', record: typeof recordWayBack, calls: string[]) => {
  // A plan with components cannot be failed back (Prepare refuses it): its components name the way out only.
  const plans = PLANS.filter((p) => p.database.kind === kind && !p.components);
  return [...new Set(plans.map((p) => p.regions.primary))].sort().map((region) => ({
    region,
    kind,
    plans: plans.filter((p) => p.regions.primary === region),
    record,
    calls,
  }));
};
const WAY_BACK_STACKS = [
  ...wayBackStacks('rds-instance', recordWayBack, [
    'prepare rds:DescribeDBInstances',
    'failback rds:CreateDBSnapshot',
    'failback rds:DescribeDBSnapshots',
    'failback rds:CreateDBInstanceReadReplica',
    'failback rds:DescribeDBInstances',
    'checkLag cloudwatch:GetMetricData',
    'fence rds:ModifyDBParameterGroup',
    'promote rds:PromoteReadReplica',
  ]),
  ...wayBackStacks('aurora-global', recordAuroraWayBack, [
    'prepare rds:DescribeGlobalClusters',
    'prepare rds:DescribeDBClusterSnapshots',
    'failback rds:CopyDBClusterSnapshot',
    'failback rds:DescribeGlobalClusters',
    'checkLag cloudwatch:GetMetricData',
    'promote rds:SwitchoverGlobalCluster',
  ]),
];

let root: string;
const templates = new Map<string, Template>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dr-failover-iam-'));
  await Promise.all(
    REGIONS.map(async (region) => {
      const out = join(root, `out-${region}`);
      const run = await osls(copyService(join(root, region)), out, STAGE, region);
      templates.set(region, templateOf<Template>(run, out));
    }),
  );
}, 240_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** One recorded call, with the function that made it. */
interface Attributed {
  fn: FunctionName;
  call: SentCall;
}

/** The local executor's state machine stands for the deployed one of the plan's stack. */
const deployed = (value: unknown, plan: Plan): Record<string, unknown> => {
  const local = LOCAL_STATE_MACHINE_ARN;
  const own = stateMachineArn(plan.regions.standby, plan.accountId, STAGE);
  const executions = (arn: string) => arn.replace(':stateMachine:', ':execution:');
  return JSON.parse(
    JSON.stringify(value).replaceAll(executions(local), executions(own)).replaceAll(local, own),
  ) as Record<string, unknown>;
};

const callsSince = async (before: number[], fn: FunctionName, plan: Plan): Promise<Attributed[]> => {
  const out: Attributed[] = [];
  for (const [i, mock] of MOCKS.entries()) {
    for (const c of mock.calls().slice(before[i])) {
      const client = c.thisValue as { constructor: { name: string }; config: { region: () => Promise<string> } };
      const command = c.args[0] as { constructor: { name: string }; input: unknown };
      out.push({
        fn,
        call: {
          service: serviceOfClient(client.constructor.name),
          command: command.constructor.name,
          input: deployed(command.input, plan),
          region: await client.config.region(),
          accountId: plan.accountId,
        },
      });
    }
  }
  return out;
};

/** A KMS request is on a key the plan names (the stack's own key is checked apart): its key policy defers to IAM. */
const simulate = (policies: Policy[], request: IamRequest, accountId: string) =>
  simulateAs(
    policies,
    request,
    accountId,
    `arn:aws:iam::${accountId}:role/dr-failover-${STAGE}`,
    request.action.startsWith('kms:') ? defaultKeyPolicy(accountId) : undefined,
  );

describe.each(REGIONS)('IAM of the stack in %s, simulated against every call its functions make', (region) => {
  const plans = PLANS.filter((p) => p.regions.standby === region);
  let recorded: Attributed[] = [];

  beforeAll(async () => {
    recorded = [];
    process.env.APPROVAL_TIMER_GROUP = approvalTimerGroupName(STAGE);
    process.env.APPROVAL_TIMER_ROLE_ARN = resolvePolicies(templates.get(region) as Template, region, STAGE).roleArn(
      APPROVAL_TIMER_ROLE,
    );
    for (const plan of plans) {
      const during: During = async (fn, work) => {
        const before = MOCKS.map((m) => m.calls().length);
        try {
          return await work();
        } finally {
          recorded.push(...(await callsSince(before, fn, plan)));
        }
      };
      await recordScenarios(plan, STAGE, { during, mocks: MOCKS, lambda });
    }
  }, 60_000);

  it('records the calls of every function that calls AWS for these plans', () => {
    const actions = new Set(recorded.map((r) => `${r.fn} ${r.call.service}:${r.call.command.replace(/Command$/, '')}`));
    const traffic = new Set(plans.map((p) => p.traffic.kind));
    const expected = [
      'checkLag cloudwatch:GetMetricData',
      ...(traffic.has('upsert') ? ['dnsStatus route53:GetChange', 'updateDns route53:ChangeResourceRecordSets'] : []),
      ...(traffic.has('routing-control')
        ? [
            'updateDns route53-recovery-cluster:UpdateRoutingControlStates',
            'dnsStatus route53-recovery-cluster:GetRoutingControlState',
          ]
        : []),
      'notify events:PutEvents',
      'notify scheduler:CreateSchedule',
      'notify sns:Publish',
      'prepare states:DescribeExecution',
      'prepare states:ListExecutions',
      'readiness events:PutEvents',
      'readiness lambda:GetFunctionConfiguration',
      'readiness states:DescribeStateMachine',
      'trigger states:ListExecutions',
      'trigger states:StartExecution',
      // Verify reads the record back through Route 53 for upsert plans only; the data-plane ones ask a resolver.
      ...(traffic.has('upsert')
        ? ['verify route53:TestDNSAnswer', 'verify route53:GetHostedZone', 'verify route53:ListResourceRecordSets']
        : []),
      'readiness route53:GetHostedZone',
      'readiness route53:ListResourceRecordSets',
      // The component function of a plan with components: its gates, the access point, capacity, a custom action.
      ...(plans.some((p) => p.components)
        ? [
            'component cloudwatch:GetMetricData',
            'component s3:SubmitMultiRegionAccessPointRoutes',
            'component sagemaker:UpdateEndpointWeightsAndCapacities',
            'component lambda:Invoke',
          ]
        : []),
      // Readiness of the components: the rule and routes of a bucket, the serving endpoint, the custom action.
      ...(plans.some((p) => p.components)
        ? [
            'readiness s3:GetBucketReplication',
            'readiness s3:GetMultiRegionAccessPointRoutes',
            'readiness sagemaker:DescribeEndpoint',
            'readiness dynamodb:DescribeTable',
            'readiness cloudwatch:GetMetricData',
            'readiness rds:DescribeDBInstances',
          ]
        : []),
      // A component database on RDS: its own replica promoted, its source fenced, its record moved.
      ...(plans.some((p) => p.components?.some((c) => c.kind === 'database'))
        ? [
            'component rds:DescribeDBInstances',
            'component rds:ModifyDBParameterGroup',
            'component rds:PromoteReadReplica',
            'component route53:ChangeResourceRecordSets',
            'component route53:GetChange',
          ]
        : []),
      // The model-artifact check of a plan with `artifacts`: the registry's secret, then HeadObject in the replica.
      ...(plans.some((p) => p.artifacts) ? ['component secretsmanager:GetSecretValue', 'component s3:HeadObject'] : []),
      ...(plans.some((p) => p.traffic.kind !== 'upsert' && p.dns.kind === 'route53')
        ? ['readiness route53:GetHealthCheck']
        : []),
      ...(plans.some((p) => p.database.kind === 'aurora-global')
        ? ['promote rds:FailoverGlobalCluster', 'promote rds:SwitchoverGlobalCluster']
        : ['promote rds:PromoteReadReplica']),
      // An RDS plan naming its replica's group: a standalone replica's group is read (core/stale-writer.ts).
      ...(plans.some((p) => p.database.kind === 'rds-instance' && p.database.replicaFenceParameterGroupName)
        ? [
            'checkLag rds:DescribeDBParameters',
            'promote rds:DescribeDBParameters',
            'promotionStatus rds:DescribeDBParameters',
            'readiness rds:DescribeDBParameters',
          ]
        : []),
    ];
    for (const action of expected) expect(actions).toContain(action);
  });

  it("allows every call a function makes, on the plan's own resources", async () => {
    const template = templates.get(region) as Template;
    const resolved = resolvePolicies(template, region, STAGE);
    const refused: string[] = [];
    for (const { fn, call } of recorded) {
      const policies = resolved.policiesOf(roleLogicalId(fn));
      for (const request of iamRequestsOf(call)) {
        const verdict = await simulate(policies, request, call.accountId);
        if (verdict !== 'Allowed') refused.push(`${fn}: ${request.action} on ${request.resource}: ${verdict}`);
      }
    }
    expect([...new Set(refused)]).toEqual([]);
  });

  it("denies the same calls on another plan's or stack's resources", async () => {
    const template = templates.get(region) as Template;
    const resolved = resolvePolicies(template, region, STAGE);
    const allowed: string[] = [];
    let checked = 0;
    for (const { fn, call } of recorded) {
      const policies = resolved.policiesOf(roleLogicalId(fn));
      for (const request of iamRequestsOf(call)) {
        const other = elsewhere(request);
        if (!other) continue;
        checked += 1;
        const verdict = await simulate(policies, other, call.accountId);
        if (verdict === 'Allowed') allowed.push(`${fn}: ${other.action} on ${other.resource}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect([...new Set(allowed)]).toEqual([]);
  });

  it('refuses a call once the statement that grants it is gone (the simulation can fail)', async () => {
    // Prepare
    const resolved = resolvePolicies(templates.get(region) as Template, region, STAGE);
    const { fn, call } = recorded.find((r) => r.call.command === 'GetMetricDataCommand') as Attributed;
    const [request] = iamRequestsOf(call) as [IamRequest];
    const without = resolved.policiesOf(roleLogicalId(fn)).map((policy) => ({
      ...policy,
      Statement: (policy.Statement as { Action: string | string[] }[]).filter(
        (st) => ![st.Action].flat().includes('cloudwatch:GetMetricData'),
      ),
    }));

    // Act
    const before = await simulate(resolved.policiesOf(roleLogicalId(fn)), request, call.accountId);
    const after = await simulate(without, request, call.accountId);

    // Assess
    expect(before).toBe('Allowed');
    expect(after).toBe('ImplicitlyDenied');
  });
});

describe.each(WAY_BACK_STACKS)(
  'IAM of the stack in $region running the way back of $kind plans, simulated',
  ({ region, plans, record, calls }) => {
    let recorded: Attributed[] = [];

    let template: Template;

    beforeAll(async () => {
      recorded = [];
      // The roles as infra/wiring.ts makes them for that region's stack (what serverless.yml packages as they are),
      // without packaging a third stack beside the two above on a shared machine.
      template =
        templates.get(region) ?? (buildWiring(join(REPO, 'plans'), region, STAGE).resources as unknown as Template);
      for (const plan of plans) {
        // The calls are made for the plan turned round: its stack is the one in the primary region.
        const back = { ...plan, regions: { primary: plan.regions.standby, standby: plan.regions.primary } };
        const during: During = async (fn, work) => {
          const before = MOCKS.map((m) => m.calls().length);
          try {
            return await work();
          } finally {
            recorded.push(...(await callsSince(before, fn, back)));
          }
        };
        await record(plan, { during, mocks: MOCKS, lambda, stage: STAGE });
      }
    }, 60_000);

    it('records the way back: observe, preserve, rebuild (or wait for the rejoin), fence, promote', () => {
      const actions = new Set(
        recorded.map((r) => `${r.fn} ${r.call.service}:${r.call.command.replace(/Command$/, '')}`),
      );
      for (const action of calls) expect(actions).toContain(action);
    });

    it("allows every call on the plan's own resources, and denies the same calls on another's", async () => {
      const resolved = resolvePolicies(template, region, STAGE);
      const refused: string[] = [];
      const allowed: string[] = [];
      for (const { fn, call } of recorded) {
        const policies = resolved.policiesOf(roleLogicalId(fn));
        for (const request of iamRequestsOf(call)) {
          const verdict = await simulate(policies, request, call.accountId);
          if (verdict !== 'Allowed') refused.push(`${fn}: ${request.action} on ${request.resource}: ${verdict}`);
          const other = elsewhere(request);
          if (other && (await simulate(policies, other, call.accountId)) === 'Allowed') {
            allowed.push(`${fn}: ${other.action} on ${other.resource}`);
          }
        }
      }
      expect([...new Set(refused)]).toEqual([]);
      expect([...new Set(allowed)]).toEqual([]);
    });
    it("pages through a topic of the plan's topic's name in its own region, which its topic and key policies admit", async () => {
      const resolved = resolvePolicies(template, region, STAGE);
      // The run's own notifications, and the run-ended function's for a way back stopped before Prepare.
      const publishes = recorded.filter((r) => (r.fn === 'notify' || r.fn === 'runEnded') && r.call.service === 'sns');
      expect(new Set(publishes.map((r) => r.fn))).toEqual(new Set(['notify', 'runEnded']));
      const resources = Object.entries(template.Resources);
      for (const { fn, call } of publishes) {
        const notify = resolved.roleArn(roleLogicalId(fn));
        const [request] = iamRequestsOf(call);
        if (!request) throw new Error('a Publish without its IAM request');
        // The stack in the primary region publishes in its region: SNS takes a Publish in the topic's own region.
        expect(request.resource.split(':')[3]).toBe(region);
        const name = request.resource.split(':').at(-1);
        const [topicId, topic] =
          resources.find(([, r]) => r.Type === 'AWS::SNS::Topic' && r.Properties?.TopicName === name) ?? [];
        if (!topicId || !topic) throw new Error(`the stack in ${region} creates no topic ${name}`);
        const [, topicPolicy] =
          resources.find(
            ([, r]) =>
              r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r.Properties?.Topics).includes(`"Ref":"${topicId}"`),
          ) ?? [];
        const policies = resolved.policiesOf(roleLogicalId(fn));
        const byTopic = resolved.document(topicPolicy?.Properties?.PolicyDocument as Json);
        // The topic policy's Deny names the publishers by aws:PrincipalArn, which the request carries.
        const as = (principal: string) => ({ ...request, context: { 'aws:PrincipalArn': principal } });
        expect(await simulateAs(policies, as(notify), call.accountId, notify, byTopic)).toBe('Allowed');
        const other = `${notify}-other`;
        expect(await simulateAs(policies, as(other), call.accountId, other, byTopic)).toBe('ExplicitlyDenied');
        // SNS encrypts with the stack's key on the publisher's behalf: the key policy must admit it, through SNS.
        const key = topic.Properties?.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] } | undefined;
        const keyId = key?.['Fn::GetAtt'][0] ?? '(no key)';
        const keyPolicy = resolved.document(template.Resources[keyId]?.Properties?.KeyPolicy as Json);
        const useKey = {
          action: 'kms:GenerateDataKey',
          resource: `arn:aws:kms:${region}:${call.accountId}:key/${keyId}`,
          context: { 'kms:ViaService': `sns.${region}.amazonaws.com` },
        };
        expect(await simulateAs(policies, useKey, call.accountId, notify, keyPolicy)).toBe('Allowed');
      }
    });
  },
);
