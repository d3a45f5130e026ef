/** One local PostgreSQL server: started as its own process group, stopped, or killed with all its children at once. */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type pg from 'pg';
import type { Binaries, OsUser } from './binaries.js';
import { childrenOf, installExitHook, live, processAlive, readPidFile, signal } from './process.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

export const conf = (settings: Record<string, string | number>) =>
  `${Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v.replaceAll("'", "''")}'`}`)
    .join('\n')}\n`;

export class Node implements LocalNode {
  private child: ChildProcess | undefined;
  readonly logFile: string;

  constructor(
    readonly name: 'primary' | 'standby',
    readonly host: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly bins: Binaries,
    private readonly ids: OsUser | undefined,
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
