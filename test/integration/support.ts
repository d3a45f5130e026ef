/**
 * Helpers of the integration tests that run the drill: they query the servers themselves, each query on its own
 * connection, so the tests count independently of the drill's own bookkeeping.
 */
import pg from 'pg';
import { SESSION_CLOSE_WAIT_MS } from '#adapters/database/postgres-sessions.js';
import { cleanupActiveDrills } from '#lab/drill/teardown.js';
import type { DrillEnvironment, DrillResult } from '#lab/drill/types.js';
import type { Ack } from '#lab/drill/workload.js';

export const query = async <R extends pg.QueryResultRow>(
  config: pg.ClientConfig,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> => {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
};

/** Polls `probe` until it returns true, or throws naming `what` once `timeoutMs` has passed. */
export const waitFor = async (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

export const inRecovery = async (config: pg.ClientConfig): Promise<boolean | undefined> =>
  (await query<{ r: boolean }>(config, 'SELECT pg_is_in_recovery() AS r'))[0]?.r;

/** Acknowledged ids missing on `config`'s server, counted there. */
export const missingOn = async (config: pg.ClientConfig, ids: number[]): Promise<number[]> => {
  const rows = await query<{ id: string }>(config, 'SELECT id FROM drill_writes WHERE id = ANY($1::bigint[])', [ids]);
  const present = new Set(rows.map((r) => Number(r.id)));
  return ids.filter((id) => !present.has(id));
};

/**
 * The RPO as the new primary (the promoted standby) shows it: the ids the old primary acknowledged, and those of
 * them missing there. Throws when the old primary acknowledged nothing: there would be nothing to count.
 */
export const lossOnNewPrimary = async (
  env: DrillEnvironment,
  acks: readonly Ack[],
): Promise<{ ackedByOld: number[]; missing: number[] }> => {
  const ackedByOld = acks.filter((a) => a.server === env.regions.primary.host).map((a) => a.id);
  if (ackedByOld.length === 0) throw new Error('the old primary acknowledged no commit: the RPO count proves nothing');
  return { ackedByOld, missing: await missingOn(env.regions.standby.connectionConfig(), ackedByOld) };
};

/** The environment a `keep: true` drill left running. */
export const kept = (result: DrillResult): DrillEnvironment => {
  if (!result.kept) throw new Error('keep: true must keep the environment');
  return result.kept;
};

/**
 * For afterEach/afterAll of a drill test: stops and removes what the drill started, also when the test failed or timed
 * out before runDrill returned. Such a drill has no `kept` to clean up and runs on in the background (vitest does not
 * cancel a timed-out test), so only the drills' own registry of what is in progress reaches its PostgreSQL servers and
 * data directories; without it they outlive the test file.
 */
export const stopDrills = async (result?: DrillResult): Promise<void> => {
  await result?.kept?.cleanup();
  await cleanupActiveDrills();
};

/**
 * Not the product's: how late a loaded 2-core machine (the CI's, shared with other runs) may run a timer and the
 * callbacks after it, per fence attempt.
 */
const SCHEDULING_ALLOWANCE_MS = 500;

/**
 * The longest `attempts` fences with `timeoutSeconds` may take, by the product's construction plus the scheduling
 * allowance, for tests that check a fence gives up within its bound. Each attempt is bounded by the plan's
 * `fence.timeoutSeconds`; its session, closed when that budget runs out and again on the way out, may wait
 * SESSION_CLOSE_WAIT_MS each time for a server that never answers. What the tests tell apart is a fence that honours
 * its bound from one that waits on a frozen server or session: that one never returns while the test holds it
 * frozen, so the allowance does not blur it.
 */
export const fenceBoundMs = (timeoutSeconds: number, attempts = 1): number =>
  attempts * (timeoutSeconds * 1000 + 2 * SESSION_CLOSE_WAIT_MS + SCHEDULING_ALLOWANCE_MS);
