/**
 * Defect 5: Verify on a private hosted zone. Both shipped plans name private-looking zones; TestDNSAnswer only
 * supports public ones, so every real run and every dry-run game day ended Failed after a good switch.
 */
import { TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Handlers } from '#lab/state-machine.js';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  lagMetrics,
  notifyWorld,
  ORDERS,
  realHandlers,
  route53,
  runInput,
} from '../statemachine/support.js';
import { route53Zones } from './route53.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const OLD_WRITER = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';

const ordersZone = (isPrivate: boolean) => {
  const world = route53Zones({ propagationSeconds: 20, secondsPerStatusCheck: 5 });
  world.zone({
    id: ZONE,
    name: 'orders.example.internal',
    private: isPrivate,
    records: [{ Name: ORDERS.record, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: OLD_WRITER }] }],
  });
  return world;
};

const recordValue = (world: ReturnType<typeof ordersZone>) =>
  world.records(ZONE).find((r) => r.Name === `${ORDERS.record}.` && r.Type === 'CNAME')?.ResourceRecords?.[0]?.Value;

describe('Verify on the Route 53 world: private and public hosted zones', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('succeeds after a good switch in a private zone, reading the record back without TestDNSAnswer', async () => {
    // Prepare
    const world = ordersZone(true);

    // Act
    const run = await execute(runInput(), { validate: false });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(recordValue(world)).toBe(ORDERS.endpoint);
    expect(route53).not.toHaveReceivedCommand(TestDNSAnswerCommand);
    expect(world.regions().every((r) => r === 'us-east-1')).toBe(true);
  });

  it('ends a dry-run game day on a private zone Succeeded, the record untouched', async () => {
    // Prepare
    const world = ordersZone(true);

    // Act
    const run = await execute(runInput({ dryRun: true, mode: 'planned' }), { validate: false });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(recordValue(world)).toBe(OLD_WRITER);
  });

  it('still asks the authoritative servers (TestDNSAnswer) for a public zone', async () => {
    // Prepare
    const world = ordersZone(false);

    // Act
    const run = await execute(runInput(), { validate: false });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(recordValue(world)).toBe(ORDERS.endpoint);
    expect(route53).toHaveReceivedCommand(TestDNSAnswerCommand);
  });

  it('fails the run DnsVerificationFailedError when the private zone holds another value after the switch', async () => {
    // Prepare: someone rewrites the record between DnsStatus and Verify.
    const world = ordersZone(true);
    const real = realHandlers();
    const verify: Handlers[string] = async (event, context) => {
      world.zone({
        id: ZONE,
        name: 'orders.example.internal',
        private: true,
        records: [{ Name: ORDERS.record, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: OLD_WRITER }] }],
      });
      return real.verify?.(event, context);
    };

    // Act
    const run = await execute(runInput(), { validate: false, handlers: { verify } });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DnsVerificationFailedError');
  });
});
