/**
 * Faults on real PostgreSQL, through the real state machine and the real handlers (runDrill with fault hooks):
 * each run must end in a defined, notified state, with the RPO counted independently of the drill's own books.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { nextStepsFor } from '#core/next-steps.js';
import type { FailoverState } from '#core/state.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { clock } from '#lab/drill/time.js';
import type { DrillEnvironment, DrillOptions, DrillResult } from '#lab/drill/types.js';
import type { Handlers, LambdaHandler } from '#lab/state-machine.js';
import { inRecovery, kept, lossOnNewPrimary, missingOn, query, stopDrills, waitFor } from './support.js';

/** Replaces one step's handler with `around(real)`. */
const wrap = (handlers: Handlers, name: string, around: (real: LambdaHandler) => LambdaHandler): Handlers => {
  const real = handlers[name];
  if (!real) throw new Error(`no handler ${name}`);
  return { ...handlers, [name]: around(real) };
};

/** A drill left running for the test to inspect, with a short warm-up and 20 ms between Retry attempts. */
const faultDrill = (options: DrillOptions): Promise<DrillResult> =>
  runDrill({ keep: true, warmupMs: 300, retryIntervalMs: 20, ...options });

const stateRecord = (result: DrillResult, name: string) => result.report.execution?.states.find((s) => s.name === name);

describe('faults on real PostgreSQL, through the state machine', () => {
  let result: DrillResult | undefined;

  afterEach(async () => {
    await stopDrills(result);
    result = undefined;
  });

  it('promotes once when the standby session is terminated while pg_promote waits: the retry finds it promoted', async () => {
    // Prepare: on the first Promote attempt the standby's startup process is frozen (SIGSTOP), so the promotion,
    // once signalled, cannot finish and pg_promote waits; the session running it is then terminated, and the
    // startup process thawed. No timing window: the session is caught waiting, whatever the machine's load. The
    // deployed Retry waits up to 2 s, far longer than the promotion takes: the test holds the retry until
    // recovery has ended, so the order is fixed.
    const terminated: number[] = [];
    let attempts = 0;
    const faults = (handlers: Handlers, env: DrillEnvironment) =>
      wrap(handlers, 'promote', (real) => async (event, context) => {
        attempts += 1;
        if (attempts > 1) return real(event, context);
        const standby = env.regions.standby.connectionConfig();
        const watcher = new pg.Client(standby);
        await watcher.connect();
        const startup = (
          await watcher.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'startup'")
        ).rows[0]?.pid;
        if (!startup) throw new Error('the standby has no startup process');
        process.kill(startup, 'SIGSTOP');
        let thawed = false;
        const thaw = () => {
          if (!thawed) process.kill(startup, 'SIGCONT');
          thawed = true;
        };
        const catching = (async () => {
          for (const deadline = Date.now() + 20_000; terminated.length === 0 && Date.now() < deadline; ) {
            // OFFSET 0 keeps the filter inside: pg_terminate_backend must only ever see the promoting session.
            const r = await watcher.query<{ pid: number; t: boolean }>(
              `SELECT pid, pg_terminate_backend(pid) AS t FROM (
                 SELECT pid FROM pg_stat_activity
                  WHERE wait_event = 'Promote' AND application_name = 'dr-failover' OFFSET 0) AS promoting`,
            );
            terminated.push(...r.rows.filter((row) => row.t).map((row) => row.pid));
            if (terminated.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
          }
          thaw();
        })();
        try {
          return await real(event, context);
        } catch (error) {
          await waitFor('the standby to leave recovery', async () => (await inRecovery(standby)) === false);
          throw error;
        } finally {
          await catching;
          thaw();
          await watcher.end();
        }
      });

    // Act: unplanned, started by an operator with the primary still up (so the best-effort fence reaches it).
    result = await faultDrill({
      mode: 'unplanned',
      start: 'manual',
      splitBrainWindowMs: 500,
      wrapHandlers: faults,
    });

    // Assess: the fault happened, once, and the run recovered by the Retry
    const { report, acks, notifications } = result;
    const env = kept(result);
    expect(terminated).toHaveLength(1);
    expect(report.outcome).toBe('succeeded');
    expect(stateRecord(result, 'Promote')).toMatchObject({ retries: 1, failed: 'DatabaseUnreachableError' });
    const promoteOutcomes = report.execution?.timeline.filter((t) => t.step === 'Promote').map((t) => t.outcome);
    expect(promoteOutcomes).toHaveLength(1);
    expect(promoteOutcomes?.[0]).toMatch(/^already-promoted: /);
    // Assess: exactly one timeline switch on the new primary
    const standby = env.regions.standby.connectionConfig();
    const history = await query<{ name: string }>(
      standby,
      "SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY name",
    );
    expect(history.map((h) => h.name)).toEqual(['00000002.history']);
    // Assess: the unplanned report records that the old primary, still up, was fenced
    expect(report.execution?.fence).toMatchObject({ fenced: true, method: 'read-only' });
    expect(notifications.map((n) => n.type)).toEqual(['Failover Started', 'Failover Succeeded']);
    expect(notifications[1]?.detail).toMatchObject({ fence: { fenced: true, method: 'read-only' } });
    // Assess: RPO counted independently on the new primary
    const { ackedByOld, missing } = await lossOnNewPrimary(env, acks);
    expect(report.rpo).toMatchObject({
      lostCount: missing.length,
      lostIds: missing,
      acknowledgedByOldPrimary: ackedByOld.length,
    });
    expect(report.splitBrain).toMatchObject({ ok: true, writeRejectedOnReturn: true, workloadRowsAfterRestart: 0 });
  }, 60_000);

  it('completes a planned switchover with nothing acknowledged lost when the fenced primary is killed before Promote', async () => {
    // Prepare: once Fence has returned and its final WAL has reached the standby, the primary dies (SIGKILL of
    // every process): Promote must rely on the final LSN the fence recorded, since it cannot ask the primary.
    let killedAt: number | undefined;
    let finalLsn: string | undefined;
    const faults = (handlers: Handlers, env: DrillEnvironment) =>
      wrap(handlers, 'fence', (real) => async (event, context) => {
        const out = (await real(event, context)) as FailoverState;
        finalLsn = out.fence?.finalLsn;
        if (!finalLsn) throw new Error(`the fence recorded no final LSN: ${JSON.stringify(out.fence)}`);
        const standby = env.regions.standby.connectionConfig();
        await waitFor('the standby to receive the final LSN', async () => {
          const r = await query<{ behind: number }>(
            standby,
            'SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_receive_lsn())::float8 AS behind',
            [finalLsn],
          );
          return (r[0]?.behind ?? 1) <= 0;
        });
        await env.regions.primary.kill();
        // The workload's own clock (ackAt): Date.now() can read up to a millisecond behind it.
        killedAt = clock();
        return out;
      });

    // Act
    result = await faultDrill({
      mode: 'planned',
      splitBrainWindowMs: 500,
      wrapHandlers: faults,
    });

    // Assess: the run completed, through the fence's final LSN
    const { report, acks, notifications } = result;
    const env = kept(result);
    expect(killedAt).toBeDefined();
    expect(report.outcome).toBe('succeeded');
    expect(report.execution?.fence).toMatchObject({ fenced: true, method: 'read-only', finalLsn });
    const promoted = report.execution?.timeline.find((t) => t.step === 'Promote');
    expect(promoted?.outcome).toMatch(/^started: the fenced primary became unreachable after the fence/);
    expect(promoted?.outcome).toContain(`final LSN ${finalLsn}`);
    expect(notifications.map((n) => n.type)).toEqual(['Failover Started', 'Failover Succeeded']);
    // Assess: planned means zero loss, counted on the new primary
    const ids = acks.map((a) => a.id);
    expect(ids.length).toBeGreaterThan(5);
    expect(await missingOn(env.regions.standby.connectionConfig(), ids)).toEqual([]);
    expect(report.rpo).toMatchObject({ lostCount: 0, lostIds: [] });
    expect(acks.filter((a) => a.server === env.regions.primary.host && a.ackAt > (killedAt ?? 0))).toEqual([]);
    // Assess: restarted, the old primary is still fenced (the fence persisted) and out of DNS
    expect(report.splitBrain).toMatchObject({
      ok: true,
      writeRejectedOnReturn: true,
      outOfDns: true,
      workloadRowsAfterRestart: 0,
    });
  }, 60_000);

  it('fails at UpdateDns, notified with the standby promoted and DNS unchanged, when the DNS server is down', async () => {
    // Prepare: the DNS server (resolver and control API) goes down as UpdateDns first runs, and stays down for
    // every retry. Decision: a DNS service down for the whole Retry is a named failure (ServiceUnavailableError),
    // never a silent success.
    let dnsDown = false;
    const faults = (handlers: Handlers, env: DrillEnvironment) =>
      wrap(handlers, 'updateDns', (real) => async (event, context) => {
        if (!dnsDown) {
          await env.dns.stop();
          dnsDown = true;
        }
        return real(event, context);
      });

    // Act: unplanned, the primary killed and detected, as in an outage
    result = await faultDrill({
      mode: 'unplanned',
      detectorIntervalMs: 200,
      wrapHandlers: faults,
    });

    // Assess: a defined failure after the Retry gave up
    const { report, acks, notifications } = result;
    const env = kept(result);
    expect(dnsDown).toBe(true);
    expect(report.outcome).toBe('failed');
    expect(report.execution).toMatchObject({ status: 'FAILED', error: 'ServiceUnavailableError' });
    expect(stateRecord(result, 'UpdateDns')).toMatchObject({ retries: 5, failed: 'ServiceUnavailableError' });
    expect(report.execution?.visited.slice(-3)).toEqual(['UpdateDns', 'NotifyFailed', 'Failed']);
    // Assess: the unplanned report records that the dark old primary was not fenced, within the fence's bound
    expect(report.execution?.fence).toMatchObject({ fenced: false, method: 'unreachable' });
    expect(stateRecord(result, 'Fence')?.retries).toBe(0);
    // Assess: the notification says where the world is and what to do
    expect(notifications.map((n) => n.type)).toEqual(['Failover Started', 'Failover Failed']);
    const failed = notifications[1];
    expect(failed?.detail).toMatchObject({
      error: 'ServiceUnavailableError',
      // Promote confirmed the standby writable as it promoted: no PromotionStatus step ran.
      lastCompletedStep: 'Promote',
      promoted: true,
      dnsSwitched: false,
      fence: { fenced: false, method: 'unreachable' },
      nextSteps: nextStepsFor('ServiceUnavailableError', { promoted: true, dnsSwitched: false }),
    });
    expect(failed?.detail.nextSteps).toMatch(/IS promoted and writable, but the DNS record still points at the old/);
    // Assess: the world, independently: standby promoted and writable, the record unchanged
    const standby = env.regions.standby.connectionConfig();
    expect(await inRecovery(standby)).toBe(false);
    expect(report.standbyInRecovery).toBe(false);
    expect(env.dns.get(env.plan.dns.recordName)?.address).toBe(env.regions.primary.host);
    // Assess: the RPO is counted although the run failed, and matches the new primary
    const { ackedByOld, missing } = await lossOnNewPrimary(env, acks);
    expect(report.rpo).toMatchObject({
      lostCount: missing.length,
      lostIds: missing,
      acknowledgedByOldPrimary: ackedByOld.length,
    });
    // Nothing was acknowledged by the new primary: the applications could not find it.
    expect(acks.filter((a) => a.server === env.regions.standby.host)).toEqual([]);
  }, 60_000);

  it('stops a planned run when fencing fails on a live primary: nothing promoted, nothing lost, notified', async () => {
    // Prepare: the primary refuses ALTER SYSTEM (allow_alter_system = off), so the read-only fence cannot be set.
    const beforeIncident = async ({ regions }: DrillEnvironment) => {
      await appendFile(join(regions.primary.dataDir, 'postgresql.conf'), '\nallow_alter_system = off\n');
      const primary = regions.primary.connectionConfig();
      await query(primary, 'SELECT pg_reload_conf()');
      await waitFor(
        'allow_alter_system = off',
        async () =>
          (await query<{ v: string }>(primary, "SELECT current_setting('allow_alter_system') AS v"))[0]?.v === 'off',
      );
    };

    // Act
    result = await faultDrill({ mode: 'planned', beforeIncident });

    // Assess: stopped at Fence, terminal (no retry), nothing promoted
    const { report, notifications } = result;
    const env = kept(result);
    expect(report.outcome).toBe('failed');
    expect(report.execution).toMatchObject({ status: 'FAILED', error: 'FenceFailedError' });
    expect(stateRecord(result, 'Fence')).toMatchObject({ retries: 0, failed: 'FenceFailedError' });
    expect(report.execution?.visited).not.toContain('Promote');
    expect(report.execution?.visited.slice(-2)).toEqual(['NotifyFailed', 'Failed']);
    expect(notifications.map((n) => n.type)).toEqual(['Failover Started', 'Failover Failed']);
    expect(notifications[1]?.detail).toMatchObject({
      error: 'FenceFailedError',
      promoted: false,
      dnsSwitched: false,
      nextSteps: nextStepsFor('FenceFailedError'),
    });
    expect(notifications[1]?.detail.message).toMatch(/ALTER SYSTEM is not allowed/);
    // Assess, independently: one primary (the old one, still writable), the standby still a standby, DNS unchanged
    expect(report.standbyInRecovery).toBe(true);
    expect(await inRecovery(env.regions.standby.connectionConfig())).toBe(true);
    expect(env.dns.get(env.plan.dns.recordName)?.address).toBe(env.regions.primary.host);
    expect(report.rpo).toBeUndefined();
    const endedAt = clock();
    const ack = await env.workload.waitForAck((a) => a.ackAt > endedAt, 5000);
    expect(ack.server).toBe(env.regions.primary.host);
    // Every acknowledged commit is on the primary that kept serving.
    const ids = env.workload.acks.map((a) => a.id);
    expect(await missingOn(env.regions.primary.connectionConfig(), ids)).toEqual([]);
  }, 60_000);
});
