/**
 * Packages the service with osls (offline, no AWS credentials) and checks what would be deployed: the
 * plan-derived trigger rules and schedules, the state machine definition, the functions and their least-privilege
 * roles, the notification resources and the zips (each packaging in its own copy of the service: ./packaging.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Plan } from '#core/plan.js';
import { approvalTimerGroupName, FUNCTIONS, type FunctionName } from '#core/stack-names.js';
import { APPROVAL_TIMER_ROLE } from '#infra/grants.js';
import { copyService, osls, type PackageRun, REPO, templateOf } from '#infra/packaging.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring } from '#infra/wiring.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';

const REGION = 'eu-west-1';
const STAGE = 'ci';
/**
 * The documented exceptions to "no resource *": actions AWS authorises only on "*" (no resource-level
 * permissions), each with who needs it and why. Every entry must be in use (a stale exception is a hole).
 */
const STAR_ONLY_ACTIONS = new Map([
  ['cloudwatch:GetMetricData', 'checkLag reads ReplicaLag / AuroraGlobalDBRPOLag; GetMetricData has no resource type'],
  // Only for plans that read their record through Route 53 (upsert without traffic.verify); see `readsBack` below.
  ['route53:TestDNSAnswer', 'updateDns and verify ask Route 53 what the record answers; no resource type'],
  // Verify in traffic.verify.vpc (the shipped orders plan's private zone); see infra/grant-rows.ts vpcRows.
  ['ec2:DescribeNetworkInterfaces', 'Lambda manages the network interfaces of a VPC function; no resource type'],
  // serverless-step-functions adds these to the state machine role for `tracingConfig.enabled`.
  ['xray:PutTraceSegments', 'state machine tracing; X-Ray has no resource-level permissions'],
  ['xray:PutTelemetryRecords', 'state machine tracing; X-Ray has no resource-level permissions'],
  ['xray:GetSamplingRules', 'state machine tracing; X-Ray has no resource-level permissions'],
  ['xray:GetSamplingTargets', 'state machine tracing; X-Ray has no resource-level permissions'],
]);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties: Record<string, Json>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}
interface RoleProperties {
  AssumeRolePolicyDocument: { Statement: { Principal: { Service: Json } }[] };
  Policies: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
}
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const functionLogicalId = (fn: FunctionName) => `${pascal(fn)}LambdaFunction`;
const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const zipEntries = async (zip: string): Promise<string[]> => {
  const { stdout } = await promisify(execFile)('unzip', ['-Z1', zip]);
  return stdout.split('\n').filter((line) => line !== '');
};

let root: string;
let out: string;
let packaged: PackageRun;
let broken: PackageRun;
let resources: Record<string, Resource>;
/** The plans this region's stack fails over. */
let plans: Plan[];

const resource = (logicalId: string): Resource => {
  const found = resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dr-failover-package-'));
  out = join(root, 'out');
  const good = copyService(join(root, 'good'));
  // Prepare: a copy with one bad field in a plan this region deploys.
  const bad = copyService(join(root, 'bad'));
  const ordersFile = join(bad, 'plans', 'orders.yml');
  const orders = readFileSync(ordersFile, 'utf8');
  expect(orders).toMatch(/\bttl: \d+/);
  writeFileSync(ordersFile, orders.replace(/\bttl: \d+/, 'ttl: -5'));

  [packaged, broken] = await Promise.all([
    osls(good, out, STAGE, REGION),
    osls(bad, join(root, 'bad-out'), STAGE, REGION),
  ]);
  const template = templateOf<{ Resources: Record<string, Resource> }>(packaged, out);
  resources = template.Resources;
  plans = [...loadPlanCatalog(join(REPO, 'plans')).values()].filter((p) => p.regions.standby === REGION);
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The rules on CloudWatch alarm state changes (the trigger's). */
const alarmRules = () =>
  ofType('AWS::Events::Rule').filter(
    ([, r]) => (r.Properties.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.cloudwatch',
  );

describe('osls package', () => {
  it('deploys at least one plan in the packaged region', () => {
    expect(plans.length).toBeGreaterThan(0);
  });

  it('has one alarm rule per trigger alarm of each plan whose standby is the region, targeting the trigger', () => {
    // Prepare
    const expected = plans.flatMap((p) =>
      p.trigger.alarms.map((alarm) => `arn:aws:cloudwatch:${REGION}:${p.accountId}:alarm:${alarm}`),
    );
    // Act
    const rules = alarmRules();
    // Assess
    expect(rules).toHaveLength(expected.length);
    for (const arn of expected) {
      const matching = rules.filter(([, r]) => JSON.stringify(r.Properties.EventPattern).includes(JSON.stringify(arn)));
      expect(matching, arn).toHaveLength(1);
      const [logicalId, rule] = matching[0] ?? [];
      expect(rule?.Properties.EventPattern).toStrictEqual({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [arn],
        detail: { state: { value: ['ALARM'] } },
      });
      expect(rule?.Properties.State).toBe('ENABLED');
      expect(rule?.Properties.Targets).toStrictEqual([
        expect.objectContaining({ Arn: getAtt(functionLogicalId('trigger')) }),
      ]);
      // EventBridge may invoke the trigger for this rule (and the permission names this rule only).
      const ruleName = rule?.Properties.Name;
      const permitted = ofType('AWS::Lambda::Permission').filter(
        ([, p]) =>
          JSON.stringify(p.Properties.FunctionName) === JSON.stringify(getAtt(functionLogicalId('trigger'))) &&
          p.Properties.Principal === 'events.amazonaws.com' &&
          JSON.stringify(p.Properties.SourceArn).includes(JSON.stringify(ruleName)),
      );
      expect(permitted, `${logicalId}: lambda permission`).toHaveLength(1);
    }
  });

  it("sends the stopped, timed-out and failed runs of this stage's state machine to the run-ended function", () => {
    // Act
    const rules = ofType('AWS::Events::Rule').filter(
      ([, r]) => (r.Properties.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.states',
    );

    // Assess
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] ?? [];
    expect(rule?.Properties.Name).toBe(`dr-failover-${STAGE}-run-ended`);
    expect(rule?.Properties.EventPattern).toStrictEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [
          { 'Fn::Sub': `arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:dr-failover-${STAGE}` },
        ],
      },
    });
    expect(rule?.Properties.Targets).toStrictEqual([
      expect.objectContaining({ Arn: getAtt(functionLogicalId('runEnded')) }),
    ]);
    const permitted = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        JSON.stringify(p.Properties.FunctionName) === JSON.stringify(getAtt(functionLogicalId('runEnded'))) &&
        p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permitted).toHaveLength(1);
  });

  it('wires no alarm of a plan deployed in another region', () => {
    const others = [...loadPlanCatalog(join(REPO, 'plans')).values()].filter((p) => p.regions.standby !== REGION);
    const patterns = JSON.stringify(ofType('AWS::Events::Rule').map(([, r]) => r.Properties));
    for (const p of others) for (const alarm of p.trigger.alarms) expect(patterns).not.toContain(`:alarm:${alarm}"`);
  });

  it('schedules a game day per plan, sending the plan name to the trigger', () => {
    const schedules = ofType('AWS::Events::Rule').filter(
      ([, r]) =>
        r.Properties.ScheduleExpression !== undefined &&
        JSON.stringify(r.Properties.Targets).includes(JSON.stringify(getAtt(functionLogicalId('trigger')))),
    );
    const withGameday = plans.filter((p) => p.gameday);
    expect(schedules).toHaveLength(withGameday.length);
    for (const p of withGameday) {
      const found = schedules.filter(([, r]) => r.Properties.ScheduleExpression === p.gameday?.schedule);
      expect(found, p.name).toHaveLength(1);
      const target = ((found[0]?.[1].Properties.Targets ?? []) as Json[])[0];
      expect(target).toMatchObject({
        Arn: getAtt(functionLogicalId('trigger')),
        InputTransformer: {
          InputPathsMap: { time: '$.time' },
          InputTemplate: `{"kind":"gameday","plan":"${p.name}","time":<time>}`,
        },
      });
    }
  });

  it('schedules the readiness checks of each plan at its readiness rate, sending the plan name', () => {
    const schedules = ofType('AWS::Events::Rule').filter(
      ([, r]) =>
        r.Properties.ScheduleExpression !== undefined &&
        JSON.stringify(r.Properties.Targets).includes(JSON.stringify(getAtt(functionLogicalId('readiness')))),
    );
    const enabled = plans.filter((p) => p.readiness.enabled);
    expect(enabled.length).toBeGreaterThan(0);
    expect(schedules.map(([, r]) => r.Properties.Name).sort()).toStrictEqual(
      enabled.map((p) => `dr-failover-${STAGE}-${p.name}-readiness`).sort(),
    );
    for (const p of enabled) {
      const [, rule] =
        schedules.find(([, r]) => r.Properties.Name === `dr-failover-${STAGE}-${p.name}-readiness`) ?? [];
      expect(rule?.Properties.ScheduleExpression).toBe(p.readiness.schedule);
      const target = ((rule?.Properties.Targets ?? []) as Json[])[0] as { Input?: string };
      expect(JSON.parse(target.Input ?? '{}')).toStrictEqual({ kind: 'readiness', plan: p.name });
    }
  });

  it('names each alarm rule as the readiness check looks it up, and tells the readiness function the stack', () => {
    const names = alarmRules().map(([, r]) => r.Properties.Name);
    expect(names.sort()).toStrictEqual(
      plans.flatMap((p) => p.trigger.alarms.map((_, i) => `dr-failover-${STAGE}-${p.name}-alarm-${i + 1}`)).sort(),
    );
    const env = (resource(functionLogicalId('readiness')).Properties.Environment as { Variables: Record<string, Json> })
      .Variables;
    expect(env.TRIGGER_FUNCTION_ARN).toStrictEqual(getAtt(functionLogicalId('trigger')));
    expect(String(env.STACK_FUNCTIONS).split(',')).toStrictEqual(
      FUNCTIONS.filter((fn) => fn !== 'readiness').map((fn) => `dr-failover-${STAGE}-${fn}`),
    );
    expect(env.DR_FAILOVER_STAGE).toBe(STAGE);
  });

  it('deploys statemachines/failover.asl.yaml as it is', () => {
    // Prepare
    const expected = parseYaml(readFileSync(join(REPO, 'statemachines', 'failover.asl.yaml'), 'utf8'), {
      merge: true,
    }) as Json;
    const machine = resource('FailoverStateMachine');
    const [template, variables] = (
      machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, Json>] }
    )['Fn::Sub'];
    // Act: put each `${placeholder}` back as the GetAtt it stands for.
    const restore = (value: Json): Json => {
      if (typeof value === 'string') {
        const placeholder = /^\$\{([^}]+)\}$/.exec(value)?.[1];
        if (placeholder !== undefined && variables[placeholder] !== undefined) return variables[placeholder];
        return value;
      }
      if (Array.isArray(value)) return value.map(restore);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restore(v)]));
      }
      return value;
    };
    const deployed = restore(JSON.parse(template) as Json);
    // serverless-step-functions' `validate: true` runs asl-validator, which writes the default
    // `QueryLanguage: JSONPath` into every state that has none, and that copy is what gets deployed. Same
    // semantics (JSONPath is the default); the file is compared with that one default applied.
    const withDefaultQueryLanguage = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(withDefaultQueryLanguage);
      if (value === null || typeof value !== 'object') return value;
      const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDefaultQueryLanguage(v)]));
      const states = copy.States;
      if (states && typeof states === 'object' && !Array.isArray(states)) {
        for (const state of Object.values(states)) {
          if (state && typeof state === 'object' && !Array.isArray(state)) state.QueryLanguage ??= 'JSONPath';
        }
      }
      return copy;
    };
    // Assess
    for (const v of Object.values(variables)) {
      expect(v).toStrictEqual(getAtt(String((v as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])));
    }
    expect(deployed).toStrictEqual(withDefaultQueryLanguage(expected));
    expect(machine.Properties).toMatchObject({
      StateMachineName: `dr-failover-${STAGE}`,
      StateMachineType: 'STANDARD',
      RoleArn: getAtt('FailoverStateMachineRole'),
    });
  });

  it('runs every function on nodejs24.x with its own role from infra/wiring.ts', () => {
    const wiring = buildWiring(join(REPO, 'plans'), REGION, STAGE);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length);
    for (const fn of FUNCTIONS) {
      const { Properties } = resource(functionLogicalId(fn));
      expect(Properties.Runtime, fn).toBe('nodejs24.x');
      expect(Properties.Handler, fn).toMatch(/^functions\/[a-z-]+\.handler$/);
      expect(Properties.Role, fn).toStrictEqual(getAtt(roleLogicalId(fn)));
      expect(resource(roleLogicalId(fn)), fn).toStrictEqual(wiring.resources.Resources[roleLogicalId(fn)]);
      const trust = (resource(roleLogicalId(fn)).Properties as unknown as RoleProperties).AssumeRolePolicyDocument;
      expect(trust.Statement.map((s) => s.Principal.Service)).toStrictEqual(['lambda.amazonaws.com']);
    }
  });

  it('grants no wildcard action, and "*" resources only to actions that have no resource-level permissions', () => {
    const roles = ofType('AWS::IAM::Role');
    // Every function role and the state machine role; no policy anywhere else that this test would not read.
    expect(roles.map(([id]) => id).sort()).toStrictEqual(
      [...FUNCTIONS.map(roleLogicalId), 'FailoverStateMachineRole', APPROVAL_TIMER_ROLE].sort(),
    );
    expect(ofType('AWS::IAM::Policy')).toEqual([]);
    expect(ofType('AWS::IAM::ManagedPolicy')).toEqual([]);
    const starUsed = new Set<string>();
    /** Every statement of every role, one line each: what the failure message shows. */
    const listing: string[] = [];
    for (const [roleId, role] of roles) {
      const properties = role.Properties as unknown as RoleProperties & Record<string, unknown>;
      // Managed policies and boundaries would grant what this test cannot see.
      expect(properties.ManagedPolicyArns, roleId).toBeUndefined();
      expect(properties.PermissionsBoundary, roleId).toBeUndefined();
      for (const policy of properties.Policies) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions = asArray(statement.Action);
          const where = `${roleId} ${JSON.stringify(statement)}`;
          listing.push(where);
          expect(statement.Effect, where).toBe('Allow');
          expect(
            Object.keys(statement).filter((k) => k.startsWith('Not')),
            where,
          ).toEqual([]);
          for (const action of actions) expect(action, where).not.toContain('*');
          for (const target of asArray(statement.Resource)) {
            const text = typeof target === 'string' ? target : JSON.stringify(target);
            // `?` is a wildcard too (one character).
            if (!/[*?]/.test(text)) continue;
            if (target === '*') {
              for (const action of actions) {
                expect([...STAR_ONLY_ACTIONS.keys()], `${where}: ${action} on *`).toContain(action);
                starUsed.add(action);
              }
              continue;
            }
            // Narrow wildcards, each for the one thing that cannot be named in advance:
            const allowed = [
              // the streams of the function's own log group
              actions.every((a) => a.startsWith('logs:')) &&
                /log-group:\/aws\/lambda\/dr-failover-ci-[A-Za-z]+:\*"/.test(text),
              // the health checks readiness finds on the failover records (their ids are read from the records)
              roleId === roleLogicalId('readiness') &&
                actions.join() === 'route53:GetHealthCheck' &&
                text === 'arn:aws:route53:::healthcheck/*',
              // the change ids Route 53 returns
              actions.join() === 'route53:GetChange' && text === 'arn:aws:route53:::change/*',
              // the snapshots and replicated backups of the standby region, whose names RDS and schedules make
              roleId === roleLogicalId('readiness') &&
                actions.every((a) =>
                  /^rds:Describe(DBSnapshots|DBInstanceAutomatedBackups|DBClusterSnapshots)$/.test(a),
                ) &&
                /^arn:aws:rds:[a-z0-9-]+:\d{12}:(snapshot|auto-backup|cluster-snapshot):\*$/.test(text),
              // the executions of this stage's state machine, whose names are not known in advance (the run guard
              // describes them; the run-ended function reads how one ended)
              ['states:DescribeExecution', 'states:GetExecutionHistory'].includes(actions.join()) &&
                text ===
                  JSON.stringify({
                    'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:execution:dr-failover-ci:*',
                  }),
              // the six random characters Secrets Manager appends to a secret's name, and nothing more
              actions.join() === 'secretsmanager:GetSecretValue' && /:secret:[^*?]+-\?{6}$/.test(text),
              // approval deadlines: schedules named after task tokens, only in this stack's approval group
              actions.join() === 'scheduler:CreateSchedule' &&
                text ===
                  JSON.stringify({
                    'Fn::Sub': `arn:aws:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/${approvalTimerGroupName(STAGE)}/*`,
                  }),
              // the network interfaces Lambda creates for a function in a VPC (their ids are Lambda's)
              actions.every(
                (a) => (a.startsWith('ec2:') && a.endsWith('NetworkInterface')) || /PrivateIpAddresses$/.test(a),
              ) &&
                text ===
                  JSON.stringify({ 'Fn::Sub': 'arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*' }),
              // a function's versions and aliases (serverless-step-functions, state machine role; see below)
              roleId === 'FailoverStateMachineRole' && text.includes('"${functionArn}:*"'),
            ];
            expect(allowed.some(Boolean), `${where}: ${text}`).toBe(true);
          }
        }
      }
    }
    expect(listing.length).toBeGreaterThan(FUNCTIONS.length);
    // Every documented exception is needed by this stack: none stays in the list after its use is gone. The
    // data-plane plans verify through a resolver: TestDNSAnswer only when a plan reads its record back via Route 53.
    const readsBack = plans.some((p) => p.dns.kind === 'route53' && p.traffic.kind === 'upsert' && !p.traffic.verify);
    const needed = [...STAR_ONLY_ACTIONS.keys()].filter((a) => a !== 'route53:TestDNSAnswer' || readsBack);
    expect([...starUsed].sort()).toStrictEqual(needed.sort());
  });

  it("writes each function's logs only into its own log group", () => {
    for (const fn of FUNCTIONS) {
      const role = resource(roleLogicalId(fn)).Properties as unknown as RoleProperties;
      const logs = role.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((st) =>
        asArray(st.Action).some((a) => a.startsWith('logs:')),
      );
      expect(logs, fn).toHaveLength(1);
      expect(JSON.stringify(logs[0]?.Resource), fn).toContain(`log-group:/aws/lambda/dr-failover-${STAGE}-${fn}:*`);
    }
  });

  it("lets Prepare list this stage's state machine and describe its executions, nothing else", () => {
    const role = resource(roleLogicalId('prepare')).Properties as unknown as RoleProperties;
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const states = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('states:')));
    expect(states.map((st) => ({ Action: asArray(st.Action), Resource: st.Resource }))).toStrictEqual([
      {
        Action: ['states:ListExecutions'],
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:dr-failover-ci' }],
      },
      {
        Action: ['states:DescribeExecution'],
        Resource: [{ 'Fn::Sub': 'arn:aws:states:${AWS::Region}:${AWS::AccountId}:execution:dr-failover-ci:*' }],
      },
    ]);
  });

  it('lets the state machine invoke only the functions its definition calls, and write X-Ray traces', () => {
    // What serverless-step-functions 3.31 generates: for each function the definition names, its ARN and
    // `${arn}:*` (any version or alias of that same function, so a Task may name a qualified ARN). The
    // wildcard stays inside this template's functions; nothing else may be invoked. X-Ray comes from
    // tracingConfig and has no resource-level permissions.
    const role = resource('FailoverStateMachineRole').Properties as unknown as RoleProperties;
    const definition = JSON.stringify(resource('FailoverStateMachine').Properties.DefinitionString);
    const called = FUNCTIONS.filter((fn) => definition.includes(JSON.stringify(getAtt(functionLogicalId(fn)))));
    expect(called).not.toContain('trigger');
    expect(role.AssumeRolePolicyDocument.Statement.map((s) => s.Principal.Service)).toStrictEqual([
      { 'Fn::Sub': 'states.${AWS::Region}.amazonaws.com' },
    ]);
    expect(role.Policies).toHaveLength(1);
    const statements = role.Policies[0]?.PolicyDocument.Statement ?? [];
    expect(statements).toHaveLength(2);
    const [invoke, xray] = statements;
    expect(invoke?.Action).toStrictEqual(['lambda:InvokeFunction']);
    const invoked = asArray(invoke?.Resource ?? []);
    expect(new Set(invoked.map((r) => JSON.stringify(r)))).toStrictEqual(
      new Set(
        called.flatMap((fn) => [
          JSON.stringify(getAtt(functionLogicalId(fn))),
          JSON.stringify({ 'Fn::Sub': ['${functionArn}:*', { functionArn: getAtt(functionLogicalId(fn)) }] }),
        ]),
      ),
    );
    expect(xray).toStrictEqual({
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Resource: '*',
    });
  });

  it('lets Scheduler only fail tasks of this state machine, and only the notify function pass that role, to Scheduler', () => {
    const timer = resource(APPROVAL_TIMER_ROLE).Properties as unknown as RoleProperties & {
      AssumeRolePolicyDocument: { Statement: { Principal: { Service: Json }; Condition?: Json }[] };
    };
    expect(timer.AssumeRolePolicyDocument.Statement.map((s) => s.Principal.Service)).toStrictEqual([
      'scheduler.amazonaws.com',
    ]);
    expect(JSON.stringify(timer.AssumeRolePolicyDocument.Statement[0]?.Condition)).toContain(
      `schedule-group/${approvalTimerGroupName(STAGE)}`,
    );
    expect(timer.Policies.flatMap((p) => p.PolicyDocument.Statement)).toStrictEqual([
      {
        Sid: 'FailUnansweredApprovals',
        Effect: 'Allow',
        Action: ['states:SendTaskFailure'],
        Resource: [
          { 'Fn::Sub': `arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:dr-failover-${STAGE}` },
        ],
      },
    ]);
    expect(resource('ApprovalTimerGroup')).toStrictEqual({
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: approvalTimerGroupName(STAGE) },
    });
    const passers = ofType('AWS::IAM::Role').filter(([, role]) =>
      JSON.stringify(role.Properties).includes('iam:PassRole'),
    );
    expect(passers.map(([id]) => id)).toStrictEqual([roleLogicalId('notify')]);
    const pass = (resource(roleLogicalId('notify')).Properties as unknown as RoleProperties).Policies.flatMap(
      (p) => p.PolicyDocument.Statement,
    ).filter((st) => asArray(st.Action).includes('iam:PassRole'));
    expect(pass).toStrictEqual([
      expect.objectContaining({
        Action: ['iam:PassRole'],
        Resource: [getAtt(APPROVAL_TIMER_ROLE)],
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    ]);
    const env = (resource(functionLogicalId('notify')).Properties.Environment as { Variables: Record<string, Json> })
      .Variables;
    expect(env.APPROVAL_TIMER_GROUP).toBe(approvalTimerGroupName(STAGE));
    expect(env.APPROVAL_TIMER_ROLE_ARN).toStrictEqual(getAtt(APPROVAL_TIMER_ROLE));
  });

  it('encrypts the SNS topic with KMS and creates the plans’ event bus', () => {
    const topics = ofType('AWS::SNS::Topic');
    expect(topics.length).toBeGreaterThan(0);
    for (const [id, topic] of topics) expect(topic.Properties.KmsMasterKeyId, id).toEqual(expect.anything());
    const buses = ofType('AWS::Events::EventBus').map(([, b]) => b.Properties.Name);
    for (const p of plans) if (!p.notify.eventBus.startsWith('arn:')) expect(buses).toContain(p.notify.eventBus);
  });

  it("gives the notify and run-ended functions the stack's own on-call topic and bus, for runs without a plan", () => {
    const [topicId, topic] =
      ofType('AWS::SNS::Topic').find(([, t]) => t.Properties.TopicName === `dr-failover-${STAGE}-oncall`) ?? [];
    expect(topic?.Properties.KmsMasterKeyId).toStrictEqual(getAtt('NotificationsKey'));
    const buses = ofType('AWS::Events::EventBus').map(([, b]) => b.Properties.Name);
    expect(buses).toContain('dr-failover');
    for (const fn of ['notify', 'runEnded'] as const) {
      const env = (resource(functionLogicalId(fn)).Properties.Environment as { Variables: Record<string, Json> })
        .Variables;
      expect(env.DEFAULT_SNS_TOPIC_ARN, fn).toStrictEqual({ Ref: topicId });
      expect(env.DEFAULT_EVENT_BUS, fn).toBe('dr-failover');
    }
    // No other function pages people from the default topic.
    const others = FUNCTIONS.filter((fn) => fn !== 'notify' && fn !== 'runEnded');
    for (const fn of others) {
      const env = resource(functionLogicalId(fn)).Properties.Environment as { Variables: Record<string, Json> };
      expect(env.Variables.DEFAULT_SNS_TOPIC_ARN, fn).toBeUndefined();
    }
  });

  it("pages each plan's on-call topic from its readiness alarm, on ALARM and on OK", () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const withAlarm = plans.filter((p) => p.readiness.enabled && /^rate\(/.test(p.readiness.schedule));
    expect(withAlarm.length).toBeGreaterThan(0);
    expect(alarms.map(([, a]) => a.Properties.AlarmName).sort()).toStrictEqual(
      withAlarm.map((p) => `dr-failover-${STAGE}-${p.name}-readiness`).sort(),
    );
    for (const p of withAlarm) {
      const [, alarm] =
        alarms.find(([, a]) => a.Properties.AlarmName === `dr-failover-${STAGE}-${p.name}-readiness`) ?? [];
      const topicName = p.notify.snsTopicArn?.split(':').at(-1);
      if (topicName === undefined) {
        expect(alarm?.Properties.AlarmActions, p.name).toBeUndefined();
        continue;
      }
      // The action is a Ref to the topic this template creates under that name, not an ARN written by hand.
      const topic = ofType('AWS::SNS::Topic').filter(([, t]) => t.Properties.TopicName === topicName);
      expect(topic, p.name).toHaveLength(1);
      const ref = { Ref: topic[0]?.[0] };
      expect(alarm?.Properties.AlarmActions, p.name).toStrictEqual([ref]);
      expect(alarm?.Properties.OKActions, p.name).toStrictEqual([ref]);
    }
  });

  describe('who may publish', () => {
    /** The function whose role a `Fn::GetAtt: [<Role>, Arn]` names, resolved through the template. */
    const functionOfRole = (ref: Json): FunctionName => {
      const logicalId = (ref as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '';
      expect(resource(logicalId).Type).toBe('AWS::IAM::Role');
      const fns = FUNCTIONS.filter(
        (fn) => JSON.stringify(resource(functionLogicalId(fn)).Properties.Role) === JSON.stringify(getAtt(logicalId)),
      );
      expect(fns, logicalId).toHaveLength(1);
      return fns[0] as FunctionName;
    };
    /** The functions whose packaged role allows `action` on the resource `arn` (a string or a Ref). */
    const grantedTo = (action: string, arn: Json): FunctionName[] =>
      FUNCTIONS.filter((fn) =>
        (resource(roleLogicalId(fn)).Properties as unknown as RoleProperties).Policies.flatMap(
          (p) => p.PolicyDocument.Statement,
        ).some(
          (st) =>
            asArray(st.Action).includes(action) &&
            asArray(st.Resource).some((r) => JSON.stringify(r) === JSON.stringify(arn)),
        ),
      );
    interface PolicyStatement {
      Sid?: string;
      Effect: string;
      Principal: Json;
      Action: string | string[];
      Resource: Json;
      Condition?: Record<string, Record<string, Json>>;
    }
    /**
     * Asserts: publishers are allowed, everyone else is denied, and the publishers are exactly `expected`; with
     * `alarms` (the ARNs of the readiness alarms paging on a topic), CloudWatch is allowed for exactly those alarms
     * of this account, and the deny spares exactly CloudWatch.
     */
    const expectOnlyPublishers = (
      statements: PolicyStatement[],
      action: string,
      expected: FunctionName[],
      alarms: Json[] = [],
    ) => {
      expect(statements).toHaveLength(alarms.length === 0 ? 2 : 3);
      const allow = statements.find((st) => st.Effect === 'Allow' && (st.Principal as { AWS?: Json }).AWS);
      const deny = statements.find((st) => st.Effect === 'Deny');
      expect(asArray(allow?.Action ?? [])).toStrictEqual([action]);
      expect(asArray(deny?.Action ?? [])).toStrictEqual([action]);
      const allowed = asArray((allow?.Principal as { AWS: Json } | undefined)?.AWS ?? []);
      expect(allowed.map(functionOfRole).sort()).toStrictEqual([...expected].sort());
      expect(deny?.Principal).toBe('*');
      expect(deny?.Resource).toStrictEqual(allow?.Resource);
      if (alarms.length === 0) {
        expect(deny?.Condition).toStrictEqual({ ArnNotEquals: { 'aws:PrincipalArn': allowed } });
        return;
      }
      expect(deny?.Condition).toStrictEqual({
        ArnNotEquals: { 'aws:PrincipalArn': allowed },
        StringNotEquals: { 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' },
      });
      const service = statements.filter((st) => st !== allow && st !== deny);
      expect(service).toStrictEqual([
        {
          Sid: 'ReadinessAlarms',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: action,
          Resource: allow?.Resource,
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': alarms },
          },
        },
      ]);
    };
    /** The ARNs of the readiness alarms whose actions publish to the topic `topicId`, read from the alarms. */
    const alarmsPaging = (topicId: string): Json[] =>
      ofType('AWS::CloudWatch::Alarm')
        .filter(([, a]) => JSON.stringify(a.Properties.AlarmActions ?? []).includes(JSON.stringify({ Ref: topicId })))
        .map(([, a]) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${a.Properties.AlarmName}`,
        }));

    it('lets only the functions granted events:PutEvents on the bus put events on it', () => {
      const buses = ofType('AWS::Events::EventBus');
      expect(buses.length).toBeGreaterThan(0);
      for (const [id, bus] of buses) {
        const policy = bus.Properties.Policy as unknown as { Statement: PolicyStatement[] };
        const arn = `arn:aws:events:${REGION}:${plans[0]?.accountId}:event-bus/${bus.Properties.Name}`;
        const publishers = grantedTo('events:PutEvents', arn);
        expect(publishers, id).toContain('notify');
        expectOnlyPublishers(policy.Statement, 'events:PutEvents', publishers);
        for (const st of policy.Statement) expect(st.Resource, id).toBe(arn);
      }
    });

    it('lets only the functions granted sns:Publish on the topic publish to it, and encrypts it with a key they may use through SNS only', () => {
      const topics = ofType('AWS::SNS::Topic');
      expect(topics.length).toBeGreaterThan(0);
      for (const [id, topic] of topics) {
        const arn = `arn:aws:sns:${REGION}:${plans[0]?.accountId}:${topic.Properties.TopicName}`;
        // A grant names a plan's topic by its ARN, the stack's own topic by a Ref.
        const named = new Set([...grantedTo('sns:Publish', arn), ...grantedTo('sns:Publish', { Ref: id })]);
        const publishers = FUNCTIONS.filter((fn) => named.has(fn));
        expect(publishers, id).toContain('notify');
        // The topic policy, resolved by its Ref to this topic.
        const policies = ofType('AWS::SNS::TopicPolicy').filter(([, p]) =>
          JSON.stringify(p.Properties.Topics).includes(JSON.stringify({ Ref: id })),
        );
        expect(policies, id).toHaveLength(1);
        const document = policies[0]?.[1].Properties.PolicyDocument as unknown as { Statement: PolicyStatement[] };
        const alarms = alarmsPaging(id);
        expectOnlyPublishers(document.Statement, 'sns:Publish', publishers, alarms);
        for (const st of document.Statement) expect(st.Resource, id).toStrictEqual({ Ref: id });

        // The key, resolved by its GetAtt: a customer managed key (an AWS managed key's policy names no one).
        const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const key = resource(keyId);
        expect(key.Type).toBe('AWS::KMS::Key');
        expect(key.Properties.EnableKeyRotation).toBe(true);
        const keyPolicy = key.Properties.KeyPolicy as unknown as { Statement: PolicyStatement[] };
        for (const st of keyPolicy.Statement) {
          expect(st.Effect).toBe('Allow');
          for (const action of asArray(st.Action)) expect(action).not.toContain('*');
        }
        // Who may use the key: the publishing roles through SNS, and CloudWatch for the readiness alarms that page
        // on a topic of the stack (the key is shared by the stack's topics, so all of those alarms).
        const use = keyPolicy.Statement.filter((st) =>
          asArray(st.Action).some((a) => ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'].includes(a)),
        );
        const byRoles = use.filter((st) => (st.Principal as { AWS?: Json }).AWS !== undefined);
        expect(byRoles).toHaveLength(1);
        expect(asArray(byRoles[0]?.Action ?? []).sort()).toStrictEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(
          asArray((byRoles[0]?.Principal as { AWS: Json } | undefined)?.AWS ?? []).map(functionOfRole),
        ).toStrictEqual(publishers);
        expect(byRoles[0]?.Condition).toStrictEqual({
          StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' } },
        });
        const allAlarms = topics.flatMap(([topicId]) => alarmsPaging(topicId));
        expect(use.filter((st) => !byRoles.includes(st))).toStrictEqual(
          allAlarms.length === 0
            ? []
            : [
                {
                  Sid: 'ReadinessAlarmsThroughSns',
                  Effect: 'Allow',
                  Principal: { Service: 'cloudwatch.amazonaws.com' },
                  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                  Resource: '*',
                  Condition: {
                    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                    ArnEquals: { 'aws:SourceArn': allAlarms },
                  },
                },
              ],
        );
        // The account may administer the key through IAM, never use it that way.
        const admin = keyPolicy.Statement.filter((st) => !use.includes(st));
        expect(admin).toHaveLength(1);
        expect(admin[0]?.Principal).toStrictEqual({
          AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' },
        });
        expect(asArray(admin[0]?.Action ?? [])).toContain('kms:PutKeyPolicy');
      }
    });
  });

  it('ships every plan and an .mjs handler in each function zip, its source map without the sources', async () => {
    const planFiles = readdirSync(join(REPO, 'plans'))
      .filter((f) => f.endsWith('.yml'))
      .map((f) => `plans/${f}`);
    for (const fn of FUNCTIONS) {
      const zip = join(out, `${fn}.zip`);
      const bundle = String(resource(functionLogicalId(fn)).Properties.Handler).replace(/\.handler$/, '.mjs');
      const entries = await zipEntries(zip);
      expect(entries, fn).toEqual(expect.arrayContaining([...planFiles, bundle]));
      // NODE_OPTIONS=--enable-source-maps needs the map beside the bundle; the sources themselves would triple it.
      expect(
        entries.filter((e) => e.endsWith('.map')),
        fn,
      ).toStrictEqual([`${bundle}.map`]);
      const { stdout } = await promisify(execFile)('unzip', ['-p', zip, `${bundle}.map`], { maxBuffer: 64 << 20 });
      const map = JSON.parse(stdout) as { mappings?: string; sourcesContent?: unknown };
      expect(map.mappings, fn).toEqual(expect.any(String));
      expect(map.sourcesContent, fn).toBeUndefined();
    }
  });

  it('fails the packaging on a broken plan, naming the bad field', () => {
    expect(broken.code).not.toBe(0);
    expect(broken.output).toContain('dns.ttl');
  });
});
