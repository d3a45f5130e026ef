/**
 * Readiness of a plan's components: one `component:<name>` check each, judged from what the component reads say
 * (core/readiness/components.ts), and run by the readiness runner beside the plan's other checks.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '#core/plan.js';
import type { ComponentConfig } from '#core/plan-components.js';
import type { ComponentFacts, Part, ReadinessProbes } from '#core/ports.js';
import { evaluateComponent } from '#core/readiness/components.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import type { GateVerdict } from '#core/replication-gates.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const NOW = new Date('2026-12-07T21:00:00.000Z');
const ml: Plan = loadPlanFile('plans/ml-platform.yml');
const component = <K extends ComponentConfig['kind']>(name: string) =>
  (ml.components ?? []).find((c) => c.name === name) as Extract<ComponentConfig, { kind: K }>;
const artifacts = component<'s3-replication'>('model-artifacts');
const features = component<'dynamodb-global-table'>('online-features');
const serving = component<'capacity'>('serving');
const warm = component<'custom-action'>('warm-feature-cache');
const metadata = component<'database'>('feature-metadata');

const ok = <T>(value: T): Part<T> => ({ ok: true, value });
const denied = (action: string): Part<never> => ({
  ok: false,
  error: 'AwsRequestFailedError: call failed: AccessDenied: Access Denied',
  retryable: false,
  deniedAction: action,
});
const within = (latency: number): GateVerdict => ({
  status: 'known',
  within: true,
  reason: `replication within limits: ReplicationLatency ${latency} s`,
  readings: [
    { metric: 'ReplicationLatency', value: latency, limit: 900, unit: 's' },
    { metric: 'OperationsPendingReplication', value: 0, limit: 0, unit: 'operations' },
  ],
});
const ROUTES = [
  { bucket: 'ml-artifacts-us-west-2', region: 'us-west-2', dial: 100 },
  { bucket: 'ml-artifacts-us-east-2', region: 'us-east-2', dial: 0 },
];
const s3Facts = (over: Partial<Extract<ComponentFacts, { kind: 's3-replication' }>> = {}): ComponentFacts => ({
  kind: 's3-replication',
  gate: ok(within(30)),
  rule: ok({
    exists: true,
    status: 'Enabled',
    destinationBucket: 'ml-artifacts-us-east-2',
    replicationTime: 'Enabled',
    metrics: 'Enabled',
    detail: 'rule artifacts-to-us-east-2',
  }),
  routes: ok({ routes: ROUTES, answeredBy: 'us-east-1' }),
  ...over,
});

describe('an s3-replication component', () => {
  it('is OK when its gate is within limits, its rule Enabled with metrics, and both buckets are routes', () => {
    // Act
    const outcome = evaluateComponent(artifacts, s3Facts(), ml);

    // Assess
    expect(outcome.status).toBe('OK');
    expect(outcome.summary).toBe(
      's3-replication, stage 1: replication within limits: ReplicationLatency 30 s; replication rule artifacts-to-us-east-2 of ml-artifacts-us-west-2 Enabled with Replication Time Control, metrics on; routes via us-east-1: ml-artifacts-us-west-2 100, ml-artifacts-us-east-2 0',
    );
  });

  it('is CRITICAL when the metrics are unknown (never read as zero) or over a limit, WARN above lagWarnPercent', () => {
    // Prepare
    const unknown: GateVerdict = {
      status: 'unknown',
      within: false,
      reason: 'replication unknown: ReplicationLatency absent',
    };
    const behind: GateVerdict = {
      status: 'known',
      within: false,
      reason: 'replication behind: OperationsPendingReplication 3 > 0 operations',
    };

    // Act
    const blind = evaluateComponent(artifacts, s3Facts({ gate: ok(unknown) }), ml);
    const over = evaluateComponent(artifacts, s3Facts({ gate: ok(behind) }), ml);
    // 50% of 900 s is 450 s: 451 s is near the limit, 450 s is not.
    const near = evaluateComponent(artifacts, s3Facts({ gate: ok(within(451)) }), ml);
    const atShare = evaluateComponent(artifacts, s3Facts({ gate: ok(within(450)) }), ml);

    // Assess
    expect(blind).toMatchObject({ status: 'CRITICAL' });
    expect(blind.summary).toContain('replication unknown: ReplicationLatency absent: the RPO gate would not pass');
    expect(over.status).toBe('CRITICAL');
    expect(near.status).toBe('WARN');
    expect(near.summary).toContain('replication above 50% of its limit: ReplicationLatency 451 of 900 s');
    expect(atShare.status).toBe('OK');
  });

  it('is CRITICAL when the rule is missing, Disabled, elsewhere, or publishes no metrics', () => {
    // Prepare
    const rule = (over: object) =>
      s3Facts({
        rule: ok({
          exists: true,
          status: 'Enabled',
          destinationBucket: 'ml-artifacts-us-east-2',
          metrics: 'Enabled',
          detail: 'rule',
          ...over,
        }),
      });

    // Act
    const missing = evaluateComponent(artifacts, rule({ exists: false, detail: 'the rules are other, not x' }), ml);
    const disabled = evaluateComponent(artifacts, rule({ status: 'Disabled' }), ml);
    const elsewhere = evaluateComponent(artifacts, rule({ destinationBucket: 'someone-elses' }), ml);
    const silent = evaluateComponent(artifacts, rule({ metrics: 'Disabled' }), ml);
    const noRtc = evaluateComponent(artifacts, rule({}), ml);

    // Assess
    expect(missing.summary).toContain('no replication rule artifacts-to-us-east-2 of ml-artifacts-us-west-2');
    expect(disabled.summary).toContain('is Disabled');
    expect(elsewhere.summary).toContain('replicates to someone-elses, not ml-artifacts-us-east-2');
    expect(silent.summary).toContain('neither metrics nor RTC enabled: the gate reads nothing');
    for (const o of [missing, disabled, elsewhere, silent]) expect(o.status).toBe('CRITICAL');
    expect(noRtc).toMatchObject({ status: 'OK' });
    expect(noRtc.summary).toContain('Enabled without RTC, metrics on');
  });

  it('names the permission the readiness role lacks, and is WARN when only the primary region did not answer', () => {
    // Act
    const refused = evaluateComponent(artifacts, s3Facts({ rule: denied('s3:GetReplicationConfiguration') }), ml);
    const dark = evaluateComponent(
      artifacts,
      s3Facts({ rule: { ok: false, error: 'ServiceUnavailableError: TimeoutError', retryable: true } }),
      ml,
    );
    const routesRefused = evaluateComponent(
      artifacts,
      s3Facts({ routes: denied('s3:GetMultiRegionAccessPointRoutes') }),
      ml,
    );

    // Assess
    expect(refused.status).toBe('CRITICAL');
    expect(refused.summary).toContain('the readiness role may not call s3:GetReplicationConfiguration');
    expect(dark.status).toBe('WARN');
    expect(dark.summary).toContain('could not be read (needs the primary region)');
    expect(routesRefused.status).toBe('CRITICAL');
    expect(routesRefused.summary).toContain('may not call s3:GetMultiRegionAccessPointRoutes');
  });

  it('is CRITICAL when a bucket is not a route of the access point, WARN once the standby has all the traffic', () => {
    // Act
    const noStandby = evaluateComponent(
      artifacts,
      s3Facts({ routes: ok({ routes: [ROUTES[0] as (typeof ROUTES)[0]], answeredBy: 'us-east-1' }) }),
      ml,
    );
    const switched = evaluateComponent(
      artifacts,
      s3Facts({
        routes: ok({ routes: ROUTES.map((r) => ({ ...r, dial: 100 - r.dial })), answeredBy: 'us-west-2' }),
      }),
      ml,
    );

    // Assess
    expect(noStandby.status).toBe('CRITICAL');
    expect(noStandby.summary).toContain('has no route to ml-artifacts-us-east-2 (us-east-2): the switch would fail');
    expect(switched.status).toBe('WARN');
    expect(switched.summary).toContain('ml-artifacts-us-east-2 100');
    expect(switched.summary).toContain('already on the standby bucket');
  });
});

describe('a dynamodb-global-table component', () => {
  const ACTIVE = ok({
    exists: true,
    tableStatus: 'ACTIVE',
    replicas: [
      { region: 'us-west-2', status: 'ACTIVE' },
      { region: 'us-east-2', status: 'ACTIVE' },
    ],
  });
  const fineGate = ok<GateVerdict>({
    status: 'known',
    within: true,
    reason: 'replication within limits: ReplicationLatency 0.4 s',
    readings: [{ metric: 'ReplicationLatency', value: 0.4, limit: 5, unit: 's' }],
  });
  const table = (over: Partial<Extract<ComponentFacts, { kind: 'dynamodb-global-table' }>>): ComponentFacts => ({
    kind: 'dynamodb-global-table',
    gate: fineGate,
    replica: ACTIVE,
    ...over,
  });

  it('is CRITICAL while ReplicationLatency is unknown, OK within its limit with the standby replica ACTIVE', () => {
    // Act
    const unknown = evaluateComponent(
      features,
      table({
        gate: ok({
          status: 'unknown',
          within: false,
          reason: 'replication unknown: CloudWatch in us-west-2 did not answer',
        }),
      }),
      ml,
    );
    const fine = evaluateComponent(features, table({}), ml);

    // Assess
    expect(unknown.status).toBe('CRITICAL');
    expect(fine.status).toBe('OK');
    expect(fine.summary).toContain(
      'table online-features in us-east-2 ACTIVE, replicas us-west-2 ACTIVE, us-east-2 ACTIVE',
    );
    expect(fine.details).toMatchObject({ component: 'online-features', kind: 'dynamodb-global-table', stage: 1 });
  });

  it('is CRITICAL without a table in the standby region or with its replica not ACTIVE; WARN while UPDATING', () => {
    // Act
    const none = evaluateComponent(features, table({ replica: ok({ exists: false, replicas: [] }) }), ml);
    const creating = evaluateComponent(
      features,
      table({
        replica: ok({ exists: true, tableStatus: 'ACTIVE', replicas: [{ region: 'us-east-2', status: 'CREATING' }] }),
      }),
      ml,
    );
    const updating = evaluateComponent(
      features,
      table({
        replica: ok({ exists: true, tableStatus: 'UPDATING', replicas: [{ region: 'us-west-2', status: 'ACTIVE' }] }),
      }),
      ml,
    );
    const lonely = evaluateComponent(
      features,
      table({ replica: ok({ exists: true, tableStatus: 'ACTIVE', replicas: [] }) }),
      ml,
    );
    const refused = evaluateComponent(features, table({ replica: denied('dynamodb:DescribeTable') }), ml);

    // Assess
    expect(none.status).toBe('CRITICAL');
    expect(none.summary).toContain('no table online-features in us-east-2');
    expect(creating.status).toBe('CRITICAL');
    expect(creating.summary).toContain('table online-features in us-east-2 is CREATING');
    expect(updating.status).toBe('WARN');
    expect(lonely.status).toBe('WARN');
    expect(lonely.summary).toContain('lists no replicas');
    expect(refused.status).toBe('CRITICAL');
    expect(refused.summary).toContain('may not call dynamodb:DescribeTable');
  });
});

describe('a capacity component', () => {
  const observed = (over: object = {}): ComponentFacts => ({
    kind: 'capacity',
    target: ok({ desired: 1, ready: 1, busy: false, detail: 'InService, 1 instance(s) in primary', ...over }),
  });

  it('is OK when the target exists and can reach the plan’s count, WARN while busy', () => {
    // Act
    const fine = evaluateComponent(serving, observed(), ml);
    const busy = evaluateComponent(serving, observed({ busy: true, detail: 'Updating' }), ml);

    // Assess
    expect(fine.status).toBe('OK');
    expect(fine.summary).toContain('a run raises it to 4');
    expect(busy.status).toBe('WARN');
  });

  it('is CRITICAL when the plan asks for more than the resource’s maximum (an Auto Scaling group’s MaxSize)', () => {
    // Prepare
    const asg = { ...serving, target: { kind: 'auto-scaling-group' as const, groupName: 'workers', count: 8 } };

    // Act
    const outcome = evaluateComponent(asg, observed({ max: 6, detail: '1 InService and Healthy' }), ml);

    // Assess
    expect(outcome.status).toBe('CRITICAL');
    expect(outcome.summary).toContain('the plan asks for 8, above the resource');
    expect(outcome.summary).toContain('maximum of 6');
  });

  it('is CRITICAL when the target is missing, naming the permission when access is denied', () => {
    // Act
    const missing = evaluateComponent(
      serving,
      {
        kind: 'capacity',
        target: {
          ok: false,
          error: 'ConfigurationError: DescribeEndpoint ranking-serving: no production variant primary',
          retryable: false,
        },
      },
      ml,
    );
    const refused = evaluateComponent(serving, { kind: 'capacity', target: denied('sagemaker:DescribeEndpoint') }, ml);

    // Assess
    expect(missing.status).toBe('CRITICAL');
    expect(missing.summary).toContain('no production variant primary');
    expect(refused.summary).toContain('may not call sagemaker:DescribeEndpoint');
  });
});

describe('a custom-action component', () => {
  it('is CRITICAL when its function does not exist, OK when Active', () => {
    // Act
    const gone = evaluateComponent(
      warm,
      { kind: 'custom-action', function: ok({ name: warm.functionArn, exists: false }) },
      ml,
    );
    const fine = evaluateComponent(
      warm,
      { kind: 'custom-action', function: ok({ name: warm.functionArn, exists: true, state: 'Active' }) },
      ml,
    );

    // Assess
    expect(gone.status).toBe('CRITICAL');
    expect(gone.summary).toContain(`${warm.functionArn} does not exist`);
    expect(fine.status).toBe('OK');
  });
});

describe('a database component', () => {
  const standby = ok({
    exists: true,
    role: 'replica' as const,
    state: 'available',
    replication: 'replicating',
    detail: '',
  });
  const lag = (seconds: number) =>
    ok({ status: 'known' as const, seconds, observedAt: NOW.toISOString(), source: 'cloudwatch:ReplicaLag' });

  it('judges its lag against its own rpo when it has one, else the plan’s', () => {
    // Prepare
    const own = { ...metadata, rpo: { maxLagSeconds: 10 } };

    // Act
    const againstOwn = evaluateComponent(own, { kind: 'database', standby, lag: lag(30) }, ml);
    const againstPlan = evaluateComponent(metadata, { kind: 'database', standby, lag: lag(30) }, ml);

    // Assess
    expect(againstOwn.status).toBe('CRITICAL');
    expect(againstOwn.summary).toContain('limit 10 s');
    // The plan's RPO is 60 s: 30 s is at 50%, not above it.
    expect(againstPlan.status).toBe('OK');
  });

  it('is CRITICAL when its standby is missing or its lag unknown', () => {
    // Act
    const outcome = evaluateComponent(
      metadata,
      {
        kind: 'database',
        standby: ok({ exists: false, detail: 'DBInstanceNotFound' }),
        lag: ok({ status: 'unknown', observedAt: NOW.toISOString(), source: 'cloudwatch:ReplicaLag' }),
      },
      ml,
    );

    // Assess
    expect(outcome.status).toBe('CRITICAL');
    expect(outcome.summary).toContain('no standby: DBInstanceNotFound');
    expect(outcome.summary).toContain('replication lag unknown');
  });
});

describe('the component checks in a readiness run', () => {
  const probes = (component: ReadinessProbes['component']): ReadinessProbes => ({
    standby: async () => ({
      exists: true,
      role: 'replica',
      state: 'available',
      replication: 'replicating',
      detail: '',
    }),
    replicationLag: async () => ({ status: 'known', seconds: 1, observedAt: NOW.toISOString(), source: 'cw' }),
    backup: async () => ({ kind: 'found', newestAt: NOW, source: 's', detail: '' }),
    writer: async () => ({ role: 'primary', endpoints: ['w'], forbidden: [], detail: '' }),
    dnsRecord: async () => ({ values: ['w'], detail: '' }),
    alarms: async () => [],
    traffic: async () => ({ detail: '' }),
    failoverRecords: async () => ({ sets: [], healthChecks: [] }),
    stateMachine: async () => ({ name: 'sm', exists: true, state: 'ACTIVE' }),
    functions: async () => [],
    component,
  });

  it('runs one check per component, named after it; a read that never answers is CRITICAL within the bound', async () => {
    // Prepare
    const read: ReadinessProbes['component'] = async (c) =>
      c.kind === 'capacity'
        ? new Promise<never>(() => undefined)
        : { kind: 'custom-action', function: ok({ name: c.name, exists: true, state: 'Active' }) };

    // Act
    const report = await runReadinessChecks(
      ml,
      { probes: probes(read), now: () => new Date() },
      { timeoutMs: 50, only: ['component:serving', 'component:warm-feature-cache'] },
    );

    // Assess
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['component:serving', 'CRITICAL'],
      ['component:warm-feature-cache', 'OK'],
    ]);
    expect(report.checks[0]?.summary).toBe('the standby region did not answer: CheckTimedOut: no answer within 50 ms');
  });

  it('adds a check for every component of the plan, and none for a plan without components', async () => {
    // Prepare
    const read: ReadinessProbes['component'] = async (c) => ({
      kind: 'custom-action',
      function: ok({ name: c.name, exists: true, state: 'Active' }),
    });
    const orders = loadPlanFile('plans/orders.yml');

    // Act
    const withComponents = await runReadinessChecks(ml, { probes: probes(read), now: () => NOW });
    const without = await runReadinessChecks(orders, { probes: probes(read), now: () => NOW });

    // Assess
    const names = (r: typeof without) => r.checks.map((c) => c.check).filter((n) => n.startsWith('component:'));
    expect(names(withComponents)).toEqual((ml.components ?? []).map((c) => `component:${c.name}`));
    expect(names(without)).toEqual([]);
    // Facts of another kind than the component's are a bug in the probe, said as such.
    expect(withComponents.checks.find((c) => c.check === 'component:serving')?.summary).toContain(
      'read custom-action facts for a capacity component',
    );
  });
});
