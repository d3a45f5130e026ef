import { describe, expect, it } from 'vitest';
import { PlanValidationError } from '#core/errors.js';
import { type PlanInput, parsePlan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { MINIMAL_PLAN } from '../fixtures/bad-input.js';

const ACCOUNT = MINIMAL_PLAN.accountId;
const RC = (id: string, account = ACCOUNT) =>
  `arn:aws:route53-recovery-control::${account}:controlpanel/0a1b2c3d4e5f60718293a4b5c6d7e8f9/routingcontrol/${id}`;
const ROUTING = {
  kind: 'routing-control',
  clusterArn: `arn:aws:route53-recovery-control::${ACCOUNT}:cluster/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b`,
  clusterEndpoints: [{ region: 'us-west-2', url: 'https://a1.route53-recovery-cluster.us-west-2.amazonaws.com/v1' }],
  routingControls: { primary: RC('1a2b3c4d5e6f7081'), standby: RC('9f8e7d6c5b4a3021') },
  records: [MINIMAL_PLAN.dns.recordName],
};
const HEALTH = {
  kind: 'health-check',
  records: [MINIMAL_PLAN.dns.recordName],
  healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  alarm: { name: 'take-over', namespace: 'DrFailover/Traffic', metricName: 'TakeOver' },
};

/** The issues a plan with this traffic section is refused for, as `path: message`. */
const refusal = (traffic: unknown): string[] => {
  try {
    parsePlan({ ...structuredClone(MINIMAL_PLAN), traffic } as PlanInput, 'test');
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
};

describe('plan traffic', () => {
  it('keeps a plan without traffic on upsert, as before', () => {
    expect(parsePlan(structuredClone(MINIMAL_PLAN), 'test').traffic).toEqual({ kind: 'upsert' });
  });

  it('ships orders on routing controls with five endpoints and a 2 s bound each', () => {
    const plan = loadPlanFile('plans/orders.yml');
    expect(plan.traffic.kind).toBe('routing-control');
    if (plan.traffic.kind !== 'routing-control') return;
    expect(plan.traffic.clusterEndpoints).toHaveLength(5);
    expect(plan.traffic.endpointTimeoutMs).toBe(2_000);
  });

  it('accepts a complete routing-control and a complete health-check section', () => {
    expect(refusal(ROUTING)).toEqual([]);
    expect(refusal(HEALTH)).toEqual([]);
  });

  it.each([
    ['no routing controls', { ...ROUTING, routingControls: undefined }, 'traffic.routingControls'],
    ['no endpoints', { ...ROUTING, clusterEndpoints: [] }, 'traffic.clusterEndpoints'],
    [
      'six endpoints',
      {
        ...ROUTING,
        clusterEndpoints: Array.from({ length: 6 }, (_, i) => ({
          region: 'us-west-2',
          url: `https://e${i}.example.com`,
        })),
      },
      'traffic.clusterEndpoints',
    ],
    [
      'a plain-http endpoint off loopback',
      { ...ROUTING, clusterEndpoints: [{ region: 'us-west-2', url: 'http://example.com' }] },
      'traffic.clusterEndpoints.0.url',
    ],
    [
      'one control for both sides',
      { ...ROUTING, routingControls: { primary: RC('aa'), standby: RC('aa') } },
      'traffic.routingControls.standby',
    ],
    [
      'a control of another account',
      { ...ROUTING, routingControls: { primary: RC('aa', '999999999999'), standby: RC('bb') } },
      'traffic.routingControls.primary',
    ],
    [
      'a control that is not a routing control ARN',
      { ...ROUTING, routingControls: { primary: 'arn:aws:rds:us-east-1:111122223333:db:x', standby: RC('bb') } },
      'traffic.routingControls.primary',
    ],
    ['records without the dns record', { ...ROUTING, records: ['other.example.com'] }, 'traffic.records'],
    ['no records', { ...ROUTING, records: [] }, 'traffic.records'],
    ['a health check without its alarm', { ...HEALTH, alarm: undefined }, 'traffic.alarm'],
    [
      'an AWS/ namespace',
      { ...HEALTH, alarm: { ...HEALTH.alarm, namespace: 'AWS/Route53' } },
      'traffic.alarm.namespace',
    ],
    ['a bad health check id', { ...HEALTH, healthCheckId: 'hc-1' }, 'traffic.healthCheckId'],
    ['an unknown kind', { kind: 'magic' }, 'traffic.kind'],
  ])('refuses %s, naming %s', (_what, traffic, field) => {
    const issues = refusal(traffic);
    expect(
      issues.some((i) => i.startsWith(`${field}:`)),
      issues.join('\n'),
    ).toBe(true);
  });
});

describe('plan traffic.verify (Verify through a resolver)', () => {
  it('gives the data-plane kinds a resolver Verify by default: system resolver, 2 s queries, 90 s allowance', () => {
    // Act
    const plan = parsePlan({ ...structuredClone(MINIMAL_PLAN), traffic: ROUTING } as PlanInput, 'test');

    // Assess
    expect(plan.traffic.kind === 'routing-control' && plan.traffic.verify).toEqual({
      queryTimeoutMs: 2_000,
      allowanceSeconds: 90,
    });
  });

  it('leaves upsert reading the record back through the dns adapter unless verify is set', () => {
    // Act
    const plain = parsePlan({ ...structuredClone(MINIMAL_PLAN), traffic: { kind: 'upsert' } } as PlanInput, 't');
    const resolved = parsePlan(
      {
        ...structuredClone(MINIMAL_PLAN),
        traffic: { kind: 'upsert', verify: { resolvers: ['10.0.0.2'] } },
      } as PlanInput,
      't',
    );

    // Assess
    expect(plain.traffic).toEqual({ kind: 'upsert' });
    expect(resolved.traffic).toEqual({
      kind: 'upsert',
      verify: { resolvers: ['10.0.0.2'], queryTimeoutMs: 2_000, allowanceSeconds: 90 },
    });
  });

  it('accepts resolver addresses with and without a port, IPv4 and IPv6', () => {
    expect(refusal({ ...HEALTH, verify: { resolvers: ['10.0.0.2', '127.0.0.1:5353', '[fd00::2]:53'] } })).toEqual([]);
  });

  it.each([
    ['a host name', { resolvers: ['resolver.internal'] }, 'traffic.verify.resolvers.0'],
    ['four resolvers', { resolvers: ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'] }, 'traffic.verify.resolvers'],
    ['an empty list', { resolvers: [] }, 'traffic.verify.resolvers'],
    ['an allowance over 15 min', { allowanceSeconds: 901 }, 'traffic.verify.allowanceSeconds'],
    ['a query bound under 200 ms', { queryTimeoutMs: 100 }, 'traffic.verify.queryTimeoutMs'],
    ['an unknown field', { retries: 3 }, 'traffic.verify.retries'],
  ])('refuses verify with %s, naming the field', (_what, verify, path) => {
    expect(refusal({ ...ROUTING, verify }).join('\n')).toContain(`${path}:`);
  });
});
