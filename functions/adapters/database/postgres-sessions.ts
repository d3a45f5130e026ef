/**
 * Short-lived connections to a self-managed PostgreSQL primary or standby: each bounded as a whole (connect and
 * every query), named with dr-failover's application_name, and its failures translated into named errors that
 * never carry the password.
 */
import pg from 'pg';
import { ConfigurationError, DatabaseUnreachableError, DrFailoverError } from '#core/errors.js';
import type { PgEndpoint } from '#core/plan.js';
import { type DbCredentials, forgetSecret, type resolveSecret } from '../secrets.js';

export type Role = 'primary' | 'standby';

export interface SessionBounds {
  /** The whole session (connect and every query); the socket is destroyed when it runs out. */
  budgetMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

const APPLICATION_NAME = 'dr-failover';

/** SQLSTATEs and socket codes meaning "could not talk to the server", which waiting can clear. */
const UNREACHABLE_SQLSTATE = /^(08|57P0[123]|53300|57014)/;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface PgLikeError {
  code?: string;
  message?: string;
}

/** How long closing a connection waits for the server's goodbye before destroying the socket. */
export const SESSION_CLOSE_WAIT_MS = 250;

/** Closes a connection without waiting on a server that may never answer. */
const close = async (client: pg.Client) => {
  await Promise.race([client.end().catch(() => undefined), delay(SESSION_CLOSE_WAIT_MS)]);
  // pg keeps its socket private; destroying it frees a connection whose server went dark mid-goodbye.
  (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
};

export class PgSessions {
  constructor(
    /** The two ends (a postgres plan's database section), or the same endpoint twice for a single server. */
    private readonly db: Readonly<Record<Role, PgEndpoint>>,
    private readonly secrets: typeof resolveSecret,
  ) {}

  addr(role: Role): string {
    const ep = this.db[role];
    return `${ep.host}:${ep.port}`;
  }

  /** One short-lived connection, bounded as a whole; failures become named errors without the password. */
  async session<T>(role: Role, bounds: SessionBounds, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const ep: PgEndpoint = this.db[role];
    const credentials = await this.secrets(ep.credentials);
    const client = new pg.Client({
      host: ep.host,
      port: ep.port,
      database: ep.database,
      user: credentials.username,
      password: credentials.password,
      connectionTimeoutMillis: Math.max(1, Math.round(bounds.connectTimeoutMs)),
      statement_timeout: Math.max(1, Math.round(bounds.statementTimeoutMs)),
      application_name: APPLICATION_NAME,
      keepAlive: true,
    });
    // A server that dies after we are done emits 'error' on the idle client; without a listener that would crash.
    client.on('error', () => undefined);
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        void close(client);
      },
      Math.max(1, bounds.budgetMs),
    );
    try {
      await client.connect();
      return await fn(client);
    } catch (error) {
      if (error instanceof DrFailoverError) throw error;
      if (timedOut) {
        throw new DatabaseUnreachableError(`${role} ${this.addr(role)} gave no answer within ${bounds.budgetMs} ms`, {
          cause: error,
        });
      }
      throw this.translate(error, role, ep, credentials);
    } finally {
      clearTimeout(timer);
      await close(client);
    }
  }

  private translate(error: unknown, role: Role, ep: PgEndpoint, credentials: DbCredentials): DrFailoverError {
    const e = (error ?? {}) as PgLikeError;
    const code = e.code ?? '';
    // pg's messages do not carry the password; scrub it anyway, in case a driver or server ever echoes it.
    const message = (e.message ?? String(error)).replaceAll(credentials.password, '***');
    const what = `${role} ${this.addr(role)}: ${code ? `${code} ` : ''}${message}`;
    if (code === '28P01' || code === '28000') {
      // The secret may have been rotated: read it again next time.
      forgetSecret(ep.credentials);
      return new ConfigurationError(`authentication failed on the ${what}`, { cause: error });
    }
    if (
      UNREACHABLE_SQLSTATE.test(code) ||
      UNREACHABLE_CODES.has(code) ||
      /connection terminated|timeout|timed out|ECONNREFUSED|socket/i.test(message)
    ) {
      return new DatabaseUnreachableError(`cannot reach the ${what}`, { cause: error });
    }
    if (code === '42501') return new ConfigurationError(`insufficient privilege on the ${what}`, { cause: error });
    return new DrFailoverError(`unexpected error from the ${what}`, { cause: error });
  }
}
