import { Resolver } from 'node:dns/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalDnsSwitch } from '#adapters/dns/local.js';
import { DnsChangeFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import { type PlanWithDns, parsePlan } from '#core/plan.js';
import { createTtlResolver } from '#lab/dns-client.js';
import { type LocalDnsServer, startLocalDnsServer } from '#lab/dns-server.js';

const RECORD = 'db.drill.local.test';
const PRIMARY = '127.0.0.1';
const STANDBY = '127.0.0.2';

/** A full, valid drill plan pointing at the given server. */
const drillPlan = (server: Pick<LocalDnsServer, 'controlEndpoint' | 'nameserver'>, ttl = 5): PlanWithDns<'local'> => {
  const plan = parsePlan(
    {
      name: 'drill',
      accountId: '000000000000',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: { alarms: ['drill-primary-unhealthy'] },
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: {
        kind: 'postgres',
        primary: { host: PRIMARY, port: 5432, credentials: { env: 'X' } },
        standby: { host: STANDBY, port: 5432, credentials: { env: 'X' } },
      },
      dns: {
        kind: 'local',
        controlEndpoint: server.controlEndpoint,
        nameserver: server.nameserver,
        recordName: RECORD,
        ttl,
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test fixture',
  );
  if (plan.dns.kind !== 'local') throw new Error('fixture must build a local-DNS plan');
  return plan as PlanWithDns<'local'>;
};

const nodeResolver = (nameserver: string) => {
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([nameserver]);
  return resolver;
};

describe('local DNS server and LocalDnsSwitch (real UDP and HTTP on loopback)', () => {
  let server: LocalDnsServer;

  beforeEach(async () => {
    server = await startLocalDnsServer({ records: { [RECORD]: { address: PRIMARY, ttl: 7 } } });
  });

  afterEach(async () => {
    await server.stop();
  });

  it('binds both listeners to loopback on ports the OS picked', () => {
    // Assess
    expect(server.nameserver).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.controlEndpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.nameserver).not.toBe('127.0.0.1:0');
  });

  it('refuses to bind to a non-loopback host', async () => {
    // Act / Assess
    await expect(startLocalDnsServer({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('answers A queries with the configured TTL, as node resolvers see it', async () => {
    // Act
    const answers = await nodeResolver(server.nameserver).resolve4(RECORD, { ttl: true });

    // Assess
    expect(answers).toEqual([{ address: PRIMARY, ttl: 7 }]);
    expect(server.queries()).toBe(1);
  });

  it('answers NXDOMAIN for an unknown name', async () => {
    // Act / Assess
    await expect(nodeResolver(server.nameserver).resolve4('nope.drill.local.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('answers NOERROR with no records (NODATA) for another type of a known name', async () => {
    // Act / Assess
    await expect(nodeResolver(server.nameserver).resolve6(RECORD)).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('point() changes the answer that DNS clients get', async () => {
    // Prepare
    const dns = new LocalDnsSwitch(drillPlan(server));

    // Act
    const { changeId, status } = await dns.point(RECORD, STANDBY, 3);

    // Assess: no propagation delay, so the change is answered INSYNC with its id.
    expect(changeId).toMatch(/^C[0-9A-F]{32}$/);
    expect(status).toBe('insync');
    expect(await dns.changeStatus(changeId)).toBe('insync');
    expect(await dns.resolve(RECORD)).toEqual([STANDBY]);
    expect(await nodeResolver(server.nameserver).resolve4(RECORD, { ttl: true })).toEqual([
      { address: STANDBY, ttl: 3 },
    ]);
    expect(server.get(RECORD)).toEqual({ address: STANDBY, ttl: 3 });
  });

  it('gives each change its own id, also for the same UPSERT repeated', async () => {
    // Prepare
    const dns = new LocalDnsSwitch(drillPlan(server));

    // Act
    const first = await dns.point(RECORD, STANDBY, 3);
    const second = await dns.point(`${RECORD.toUpperCase()}.`, STANDBY, 3);

    // Assess
    expect(second.changeId).not.toBe(first.changeId);
    expect(await dns.resolve(RECORD)).toEqual([STANDBY]);
  });

  it('resolve() returns no addresses for a name the server does not know', async () => {
    // Act / Assess
    expect(await new LocalDnsSwitch(drillPlan(server)).resolve('other.drill.local.test')).toEqual([]);
  });

  it("throws DnsChangeFailedError and sends nothing when asked to change a record other than the plan's", async () => {
    // Prepare
    const fetchSpy = vi.fn<typeof fetch>();
    const dns = new LocalDnsSwitch(drillPlan(server), { fetch: fetchSpy });

    // Act / Assess
    await expect(dns.point('other.drill.local.test', STANDBY, 5)).rejects.toBeInstanceOf(DnsChangeFailedError);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(server.get(RECORD)?.address).toBe(PRIMARY);
  });

  it('throws DnsChangeFailedError and sends nothing when the target is not an IPv4 address', async () => {
    // Prepare
    const fetchSpy = vi.fn<typeof fetch>();
    const dns = new LocalDnsSwitch(drillPlan(server), { fetch: fetchSpy });

    // Act / Assess
    await expect(dns.point(RECORD, 'standby.drill.local.test', 5)).rejects.toThrow(/IPv4/);
    await expect(dns.point(RECORD, '::1', 5)).rejects.toBeInstanceOf(DnsChangeFailedError);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('throws DnsChangeFailedError with the server message when the server answers 400', async () => {
    // Prepare
    const dns = new LocalDnsSwitch(drillPlan(server));

    // Act
    const error = await dns.point(RECORD, STANDBY, -1).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DnsChangeFailedError);
    expect((error as Error).message).toMatch(/HTTP 400: ttl: must be an integer/);
    expect((error as Error).cause).toMatchObject({ status: 400 });
    expect((error as DnsChangeFailedError).retryable).toBe(false);
  });

  it('throws DnsChangeFailedError when the change id is unknown (404)', async () => {
    // Act / Assess
    await expect(new LocalDnsSwitch(drillPlan(server)).changeStatus('CNOSUCHCHANGE')).rejects.toThrow(
      /HTTP 404: no change CNOSUCHCHANGE/,
    );
  });

  it('throws ServiceUnavailableError, keeping the cause, when the server is down', async () => {
    // Prepare
    const dns = new LocalDnsSwitch(drillPlan(server), { timeoutMs: 1_000 });
    await server.stop();

    // Act
    const pointError = await dns.point(RECORD, STANDBY, 5).catch((e: unknown) => e);
    const statusError = await dns.changeStatus('C1').catch((e: unknown) => e);
    const resolveError = await dns.resolve(RECORD).catch((e: unknown) => e);

    // Assess
    for (const error of [pointError, statusError, resolveError]) {
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).retryable).toBe(true);
      expect((error as Error).cause).toBeDefined();
    }
  });

  it('throws ServiceUnavailableError when the control endpoint does not answer within the timeout', async () => {
    // Prepare: a fetch that never answers, except by honouring its abort signal
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const dns = new LocalDnsSwitch(drillPlan(server), { fetch: hanging, timeoutMs: 50 });

    // Act
    const error = await dns.changeStatus('C1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
  });

  it('maps 5xx to ServiceUnavailableError, 429 to ThrottledError, and a malformed success to DnsChangeFailedError', async () => {
    // Prepare: a control endpoint that misbehaves in the ways a real one can
    const answering =
      (status: number, body: string): typeof fetch =>
      async () =>
        new Response(body, { status });
    const dnsWith = (f: typeof fetch) => new LocalDnsSwitch(drillPlan(server), { fetch: f });

    // Act / Assess
    await expect(dnsWith(answering(503, '{"message":"busy"}')).changeStatus('C1')).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    await expect(dnsWith(answering(429, 'slow down')).changeStatus('C1')).rejects.toBeInstanceOf(ThrottledError);
    await expect(dnsWith(answering(200, '<html>')).changeStatus('C1')).rejects.toBeInstanceOf(DnsChangeFailedError);
    await expect(dnsWith(answering(200, '{"status":"DONE"}')).changeStatus('C1')).rejects.toThrow(/unexpected status/);
    await expect(dnsWith(answering(200, '{}')).point(RECORD, STANDBY, 5)).rejects.toThrow(/without a change id/);
  });

  it('validates control requests and answers 400, 404 and 405 with a message', async () => {
    // Prepare
    const base = `http://${server.controlEndpoint}`;
    const put = (name: string, body: string) =>
      fetch(`${base}/records/${name}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

    // Act
    const notJson = await put(RECORD, '{');
    const badAddress = await put(RECORD, JSON.stringify({ address: 'db.example', ttl: 5 }));
    const badName = await put('bad..name', JSON.stringify({ address: STANDBY, ttl: 5 }));
    const unknownRecord = await fetch(`${base}/records/unknown.drill.local.test`);
    const wrongMethod = await fetch(`${base}/changes/C1`, { method: 'DELETE' });

    // Assess
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ message: expect.stringMatching(/JSON/) });
    expect(badAddress.status).toBe(400);
    expect(await badAddress.json()).toMatchObject({ message: expect.stringMatching(/^address:/) });
    expect(badName.status).toBe(400);
    expect(unknownRecord.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
    expect(await fetch(`${base}/records/${RECORD}`).then((r) => r.json())).toEqual({ address: PRIMARY, ttl: 7 });
  });
});

describe('local DNS server with a propagation delay', () => {
  let server: LocalDnsServer;

  afterEach(async () => {
    await server.stop();
  });

  it('reports a change PENDING, serving the old answer, until it is INSYNC', async () => {
    // Prepare: the zone's clock is the test's, so the reads while pending cannot race the delay on a loaded machine.
    let clock = 1_000;
    server = await startLocalDnsServer({
      records: { [RECORD]: { address: PRIMARY, ttl: 5 } },
      propagationDelayMs: 300,
      now: () => clock,
    });
    const dns = new LocalDnsSwitch(drillPlan(server));

    // Act
    const { changeId, status } = await dns.point(RECORD, STANDBY, 5);
    const first = await dns.changeStatus(changeId);
    const answerWhilePending = await dns.resolve(RECORD);
    clock += 299;
    const justBefore = await dns.changeStatus(changeId);
    clock += 1;
    const after = await dns.changeStatus(changeId);

    // Assess
    expect(status).toBe('pending');
    expect(first).toBe('pending');
    expect(answerWhilePending).toEqual([PRIMARY]);
    expect(justBefore).toBe('pending');
    expect(after).toBe('insync');
    expect(await dns.resolve(RECORD)).toEqual([STANDBY]);
  });
});

describe('createTtlResolver', () => {
  let server: LocalDnsServer;

  beforeEach(async () => {
    server = await startLocalDnsServer({ records: { [RECORD]: { address: PRIMARY, ttl: 1 } } });
  });

  afterEach(async () => {
    await server.stop();
  });

  it('serves a cached answer until its TTL expires, then asks the server again', async () => {
    // Prepare
    let clock = 1_000_000;
    const resolver = createTtlResolver(server.nameserver, { now: () => clock });

    // Act
    const fresh = await resolver.resolve(RECORD);
    server.set(RECORD, STANDBY, 1);
    clock += 999;
    const cached = await resolver.resolve(RECORD);
    clock += 1;
    const refreshed = await resolver.resolve(RECORD);

    // Assess
    expect(fresh).toEqual({ address: PRIMARY, ttl: 1, cached: false });
    expect(cached).toEqual({ address: PRIMARY, ttl: 1, cached: true });
    expect(refreshed).toEqual({ address: STANDBY, ttl: 1, cached: false });
    expect(server.queries()).toBe(2);
  });

  it('does not cache an answer whose TTL is 0', async () => {
    // Prepare
    server.set(RECORD, PRIMARY, 0);
    const resolver = createTtlResolver(server.nameserver, { now: () => 0 });

    // Act
    await resolver.resolve(RECORD);
    const second = await resolver.resolve(RECORD);

    // Assess
    expect(second.cached).toBe(false);
    expect(server.queries()).toBe(2);
  });

  it('shares one query between concurrent lookups of the same name', async () => {
    // Prepare
    const resolver = createTtlResolver(server.nameserver, { now: () => 0 });

    // Act
    const answers = await Promise.all([resolver.resolve(RECORD), resolver.resolve(RECORD), resolver.resolve(RECORD)]);

    // Assess
    expect(answers.map((a) => a.address)).toEqual([PRIMARY, PRIMARY, PRIMARY]);
    expect(server.queries()).toBe(1);
  });

  it('rejects with ENOTFOUND for an unknown name and does not cache the failure', async () => {
    // Prepare
    const resolver = createTtlResolver(server.nameserver, { now: () => 0 });

    // Act / Assess
    await expect(resolver.resolve('nope.drill.local.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    server.set('nope.drill.local.test', STANDBY, 30);
    await expect(resolver.resolve('nope.drill.local.test')).resolves.toMatchObject({ address: STANDBY });
  });
});
