/**
 * The drill's write workload: an application that finds its database through DNS (the drill's TTL-honouring
 * resolver, since `pg` would ask the OS resolver) and commits numbered rows at a steady rate, recording every
 * acknowledged commit and every failed attempt, and reconnecting (resolving again) after any failure.
 *
 * Each INSERT returns the address of the server that committed it (`inet_server_addr()`), so the drill knows
 * which region acknowledged each id without trusting its own idea of where DNS pointed.
 */
import pg from 'pg';
import type { TtlResolver } from '../dns-client.js';

/** The table the workload writes; created on the primary before the workload starts. */
export const WORKLOAD_TABLE = 'drill_writes';
export const CREATE_WORKLOAD_TABLE = `CREATE TABLE ${WORKLOAD_TABLE} (
  id bigint PRIMARY KEY,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`;

export interface Ack {
  id: number;
  /** Epoch milliseconds (fractional) the INSERT was sent and its COMMIT acknowledged. */
  sentAt: number;
  ackAt: number;
  /** Address of the server that committed it. */
  server: string;
  /** The connection it went over (see `connections`). */
  connection: number;
}

export interface FailedAttempt {
  /** The id tried, for failed INSERTs (its outcome is unknown: never counted as acknowledged). */
  id?: number;
  at: number;
  phase: 'resolve' | 'connect' | 'insert';
  /** SQLSTATE or socket/resolver code; never a message that could carry a secret. */
  code: string;
  address?: string;
}

export interface ConnectionRecord {
  id: number;
  address: string;
  /** When the connection attempt started (after resolving) and when it was established. */
  openingAt: number;
  openedAt: number;
  /** Whether the address came from the resolver's cache (a stale answer can outlive a DNS switch by its TTL). */
  cachedAnswer: boolean;
}

export interface WorkloadOptions {
  resolver: TtlResolver;
  recordName: string;
  port: number;
  credentials: { username: string; password: string };
  /** Commits per second, paced (no burst to catch up after an outage). */
  ratePerSecond: number;
  /** Pause after a failure before resolving and connecting again (default min(1000/rate, 50) ms). */
  retryDelayMs?: number;
  clock: () => number;
}

export interface Workload {
  readonly acks: readonly Ack[];
  readonly failures: readonly FailedAttempt[];
  readonly connections: readonly ConnectionRecord[];
  /** The highest id tried so far (acknowledged or not). */
  lastAttemptedId(): number;
  /** Resolves with the first acknowledgement (already recorded or future) that satisfies `match`. */
  waitForAck(match: (ack: Ack, connection: ConnectionRecord) => boolean, timeoutMs: number): Promise<Ack>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

const codeOf = (error: unknown): string => {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/timeout/i.test(message)) return 'TIMEOUT';
  if (/terminated/i.test(message)) return 'CONNECTION_TERMINATED';
  return 'ERROR';
};

const closeQuietly = async (client: pg.Client | undefined) => {
  if (!client) return;
  await Promise.race([client.end().catch(() => undefined), sleep(200)]);
};

/** Resolves the record (through its cached answer, as clients do) and opens a new connection to its address. */
const connectThroughDns = async (
  opts: WorkloadOptions,
  id: number,
): Promise<{ client: pg.Client; connection: ConnectionRecord } | { failure: FailedAttempt }> => {
  const { clock } = opts;
  let address: string;
  let cachedAnswer: boolean;
  try {
    const answer = await opts.resolver.resolve(opts.recordName);
    address = answer.address;
    cachedAnswer = answer.cached;
  } catch (error) {
    return { failure: { at: clock(), phase: 'resolve', code: codeOf(error) } };
  }
  const openingAt = clock();
  const client = new pg.Client({
    host: address,
    port: opts.port,
    user: opts.credentials.username,
    password: opts.credentials.password,
    database: 'postgres',
    application_name: 'dr-drill-workload',
    connectionTimeoutMillis: 1000,
    // Client-side bound: a server frozen mid-kill must not hold the workload longer than this.
    query_timeout: 2000,
  });
  // A server dying under an idle connection emits 'error'; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await closeQuietly(client);
    return { failure: { at: clock(), phase: 'connect', code: codeOf(error), address } };
  }
  return { client, connection: { id, address, openingAt, openedAt: clock(), cachedAnswer } };
};

export const startWorkload = (opts: WorkloadOptions): Workload => {
  const { clock } = opts;
  const acks: Ack[] = [];
  const failures: FailedAttempt[] = [];
  const connections: ConnectionRecord[] = [];
  const waiters = new Set<{ match: (a: Ack, c: ConnectionRecord) => boolean; resolve: (a: Ack) => void }>();
  const intervalMs = 1000 / opts.ratePerSecond;
  const retryDelayMs = opts.retryDelayMs ?? Math.min(intervalMs, 50);
  let stopped = false;
  let lastId = 0;

  const recordAck = (ack: Ack, connection: ConnectionRecord) => {
    acks.push(ack);
    for (const w of waiters) {
      if (w.match(ack, connection)) {
        waiters.delete(w);
        w.resolve(ack);
      }
    }
  };

  const loop = async () => {
    let client: pg.Client | undefined;
    let connection: ConnectionRecord | undefined;
    let next = clock();
    const fail = async (attempt: FailedAttempt) => {
      failures.push(attempt);
      await closeQuietly(client);
      client = undefined;
      connection = undefined;
      await sleep(retryDelayMs);
    };
    while (!stopped) {
      if (!client || !connection) {
        const opened = await connectThroughDns(opts, connections.length + 1);
        if ('failure' in opened) {
          await fail(opened.failure);
          continue;
        }
        ({ client, connection } = opened);
        connections.push(connection);
      }
      const wait = next - clock();
      if (wait > 0) await sleep(wait);
      // Steady pacing: after a stall, carry on at the rate rather than bursting to catch up.
      next = Math.max(next + intervalMs, clock());
      if (stopped) break;
      lastId += 1;
      const id = lastId;
      const sentAt = clock();
      try {
        const r = await client.query<{ server: string }>(
          `INSERT INTO ${WORKLOAD_TABLE} (id) VALUES ($1) RETURNING host(inet_server_addr()) AS server`,
          [id],
        );
        recordAck(
          { id, sentAt, ackAt: clock(), server: r.rows[0]?.server ?? connection.address, connection: connection.id },
          connection,
        );
      } catch (error) {
        await fail({ id, at: clock(), phase: 'insert', code: codeOf(error), address: connection.address });
      }
    }
    await closeQuietly(client);
  };
  const done = loop();

  return {
    acks,
    failures,
    connections,
    lastAttemptedId: () => lastId,
    waitForAck(match, timeoutMs) {
      const connectionOf = (a: Ack) => connections[a.connection - 1] as ConnectionRecord;
      const found = acks.find((a) => match(a, connectionOf(a)));
      if (found) return Promise.resolve(found);
      return new Promise<Ack>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (a: Ack) => {
            clearTimeout(timer);
            resolve(a);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching acknowledged write within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
};
