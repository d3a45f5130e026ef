/**
 * The pair adapter on real servers, with a primary region gone dark the way a region does: a listener that accepts
 * connections and never answers (no refusal to hurry the client along).
 */
import * as net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresPair } from '#adapters/database/postgres-pair.js';
import { observedWriter } from '#core/direction.js';
import { type PlanWithDatabase, parsePlan } from '#core/plan.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';

/**
 * Each node's bound: long, so that waiting it out cannot pass for the grace, and short enough that a test waiting it
 * out fails on its assertion, inside the test timeout.
 */
const NODE_TIMEOUT_MS = 10_000;

let regions: LocalRegions;
let blackhole: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  regions = await startLocalRegions();
  blackhole = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.3', resolve));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => blackhole?.close(resolve));
  await regions?.cleanup();
});

it('answers within the grace when the standby is in recovery and the primary never answers: the plan as written', async () => {
  // Prepare
  const port = (blackhole.address() as net.AddressInfo).port;
  const database = regions.databaseConfig({ file: regions.credentialsFile });
  const plan = parsePlan(
    {
      name: 'dark',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: {},
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: { ...database, primary: { ...database.primary, host: '127.0.0.3', port } },
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.x.internal',
        ttl: 1,
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test',
  ) as PlanWithDatabase<'postgres'>;
  const started = Date.now();

  // Act
  const views = await new PostgresPair(plan, { timeoutMs: NODE_TIMEOUT_MS, graceMs: 250 }).observe();
  const ms = Date.now() - started;

  // Assess
  expect(views.primary).toEqual({ host: '127.0.0.3', reachable: false });
  expect(views.standby).toMatchObject({ reachable: true, inRecovery: true, upstreamHost: '127.0.0.1' });
  expect(observedWriter(views).writer).toBe('primary');
  expect(sockets.size).toBeGreaterThan(0);
  // Without the grace, observe() would wait out the primary's whole NODE_TIMEOUT_MS (the listener never answers);
  // with it, the standby's answer and 250 ms. Half the timeout tells the two apart, however loaded the machine.
  expect(ms).toBeLessThan(NODE_TIMEOUT_MS / 2);
});
