/**
 * The pair of a self-managed PostgreSQL plan as it stands: each node asked, at once and within a short bound, whether
 * it is in recovery, read-only, and which server it streams from. The upstream a standby names (its WAL receiver's
 * sender host, else the host of its `primary_conninfo` as far as the connecting role may see it) is matched to the
 * plan's hosts by name, then by address; when it matches neither and cannot be told apart either, it is left
 * unknown rather than reported as a third server.
 */
import { lookup } from 'node:dns/promises';
import type { NodeView, PlanSide } from '#core/direction.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { PairObserver } from '#core/ports.js';
import { resolveSecret } from '../secrets.js';
import { PgSessions } from './postgres-sessions.js';

const VIEW_SQL = `
  SELECT pg_is_in_recovery() AS in_recovery,
         current_setting('default_transaction_read_only') = 'on' AS read_only,
         (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1) AS sender_host,
         (SELECT setting FROM pg_settings WHERE name = 'primary_conninfo') AS conninfo`;

/** `host=...` of a key/value connection string (the form `primary_conninfo` takes). */
export const conninfoHost = (conninfo: string | null | undefined): string | undefined => {
  const m = conninfo?.match(/(?:^|\s)host\s*=\s*(?:'([^']*)'|([^\s]+))/);
  const host = m?.[1] ?? m?.[2];
  return host ? host.split(',')[0] : undefined;
};

const addresses = async (host: string): Promise<Set<string> | undefined> => {
  try {
    return new Set((await lookup(host, { all: true })).map((a) => a.address));
  } catch {
    return undefined;
  }
};

/**
 * Which of the pair's `hosts` the upstream is (by name, else by a shared address), or the upstream itself when it
 * certainly is neither (every name resolved, no address shared); else undefined: unknown, never a third server.
 */
export const pairHostOf = async (
  upstream: string | undefined,
  hosts: readonly string[],
): Promise<string | undefined> => {
  if (!upstream) return undefined;
  if (hosts.includes(upstream)) return upstream;
  const mine = await addresses(upstream);
  if (!mine) return undefined;
  let allKnown = true;
  for (const host of hosts) {
    const theirs = await addresses(host);
    if (!theirs) allKnown = false;
    else if ([...theirs].some((a) => mine.has(a))) return host;
  }
  return allKnown ? upstream : undefined;
};

export interface PairObserverDeps {
  secrets?: typeof resolveSecret;
  /** Bound on each node's answer (default 1500 ms: a dark region must not hold Prepare). */
  timeoutMs?: number;
  /** How much longer the primary may take once the standby has answered in recovery (default 250 ms). */
  graceMs?: number;
}

export class PostgresPair implements PairObserver {
  private readonly sessions: PgSessions;
  private readonly timeoutMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly plan: PlanWithDatabase<'postgres'>,
    deps: PairObserverDeps = {},
  ) {
    this.sessions = new PgSessions(plan.database, deps.secrets ?? resolveSecret);
    this.timeoutMs = deps.timeoutMs ?? 1500;
    this.graceMs = deps.graceMs ?? 250;
  }

  /**
   * Both nodes at once. A standby still in recovery means the run goes as the plan is written whatever the primary
   * says (core/direction.ts), so then the primary, which may be the dark region, gets only `graceMs` more to answer
   * (for the refusals that need it: two standbys); past that it counts as not answering. An unplanned run thus pays
   * the standby's answer, not the primary's connect timeout.
   */
  async observe(): Promise<Record<PlanSide, NodeView>> {
    const primaryView = this.view('primary');
    const standby = await this.view('standby');
    const primaryHost = this.plan.database.primary.host;
    if (standby.inRecovery !== true) return { primary: await primaryView, standby };
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<NodeView>((resolve) => {
      timer = setTimeout(() => resolve({ host: primaryHost, reachable: false }), this.graceMs);
    });
    try {
      return { primary: await Promise.race([primaryView, grace]), standby };
    } finally {
      clearTimeout(timer);
    }
  }

  private async view(side: PlanSide): Promise<NodeView> {
    const host = this.plan.database[side].host;
    const ms = this.timeoutMs;
    try {
      const row = await this.sessions.session(
        side,
        { budgetMs: ms, connectTimeoutMs: ms, statementTimeoutMs: ms },
        async (c) =>
          (
            await c.query<{
              in_recovery: boolean;
              read_only: boolean;
              sender_host: string | null;
              conninfo: string | null;
            }>(VIEW_SQL)
          ).rows[0],
      );
      if (!row) return { host, reachable: false };
      const hosts = [this.plan.database.primary.host, this.plan.database.standby.host];
      const named = row.sender_host ?? conninfoHost(row.conninfo);
      const upstream = row.in_recovery ? await pairHostOf(named, hosts) : undefined;
      return {
        host,
        reachable: true,
        inRecovery: row.in_recovery,
        readOnly: row.read_only,
        ...(upstream ? { upstreamHost: upstream } : {}),
      };
    } catch {
      return { host, reachable: false };
    }
  }
}
