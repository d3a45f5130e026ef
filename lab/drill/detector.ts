/**
 * The drill's detector: a canary that probes the primary on an interval, as a CloudWatch alarm on a health check
 * would, and after N consecutive failed probes emits the event EventBridge delivers for a `CloudWatch Alarm State
 * Change` into ALARM, field for field, so the real trigger handler receives exactly what it would on AWS.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The EventBridge envelope of a CloudWatch alarm state change, with every field AWS sends. */
export interface CloudWatchAlarmStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: 'ALARM'; reason: string; reasonData: string; timestamp: string };
    previousState: { value: 'OK'; reason: string; reasonData: string; timestamp: string };
    configuration: {
      description: string;
      metrics: {
        id: string;
        metricStat: {
          metric: { namespace: string; name: string; dimensions: Record<string, string> };
          period: number;
          stat: string;
        };
        returnData: boolean;
      }[];
    };
  };
}

export interface Probe {
  at: number;
  ok: boolean;
  ms: number;
  code?: string;
}

export interface DetectorOptions {
  host: string;
  port: number;
  credentials: { username: string; password: string };
  intervalMs: number;
  /** Consecutive failed probes that put the alarm into ALARM. */
  failuresToAlarm: number;
  alarmName: string;
  accountId: string;
  /** Where the alarm lives: the plan's standby region (it watches the primary from outside it). */
  region: string;
  clock: () => number;
}

export interface Alarm {
  event: CloudWatchAlarmStateChangeEvent;
  /** When the event was emitted, and when the first of the failed probes in the streak started. */
  at: number;
  firstFailedProbeAt: number;
}

export interface Detector {
  readonly probes: readonly Probe[];
  /** Resolves when the alarm fires (once). */
  readonly alarm: Promise<Alarm>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** CloudWatch writes state timestamps as `2026-11-25T03:12:00.123+0000`. */
const cloudWatchTimestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
/** EventBridge's envelope `time` has whole seconds. */
const eventTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

const METRIC = { namespace: 'DrFailover/Drill', name: 'PrimaryProbeSuccess' };

export const alarmEvent = (
  opts: Pick<
    DetectorOptions,
    'alarmName' | 'accountId' | 'region' | 'host' | 'port' | 'intervalMs' | 'failuresToAlarm'
  >,
  at: number,
  okSince: number,
  failed: readonly Probe[],
): CloudWatchAlarmStateChangeEvent => {
  const period = Math.max(1, Math.round(opts.intervalMs / 1000));
  const endpoint = `${opts.host}:${opts.port}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: opts.accountId,
    time: eventTime(at),
    region: opts.region,
    resources: [`arn:aws:cloudwatch:${opts.region}:${opts.accountId}:alarm:${opts.alarmName}`],
    detail: {
      alarmName: opts.alarmName,
      state: {
        value: 'ALARM',
        reason:
          `Threshold Crossed: ${failed.length} datapoints [${failed.map(() => '0.0').join(', ')}] were less than ` +
          `the threshold (1.0) (minimum ${opts.failuresToAlarm} datapoints for OK -> ALARM transition).`,
        reasonData: JSON.stringify({
          version: '1.0',
          queryDate: cloudWatchTimestamp(at),
          startDate: cloudWatchTimestamp(failed[0]?.at ?? at),
          statistic: 'Minimum',
          period,
          recentDatapoints: failed.map(() => 0),
          threshold: 1,
          evaluatedDatapoints: failed.map((p) => ({ timestamp: cloudWatchTimestamp(p.at), sampleCount: 1, value: 0 })),
        }),
        timestamp: cloudWatchTimestamp(at),
      },
      previousState: {
        value: 'OK',
        reason: `Threshold Crossed: 1 datapoint [1.0] was not less than the threshold (1.0).`,
        reasonData: JSON.stringify({ version: '1.0', queryDate: cloudWatchTimestamp(okSince), threshold: 1 }),
        timestamp: cloudWatchTimestamp(okSince),
      },
      configuration: {
        description: `dr-failover drill: primary ${endpoint} unreachable from the standby region`,
        metrics: [
          {
            id: 'probe',
            metricStat: {
              metric: { ...METRIC, dimensions: { Endpoint: endpoint } },
              period,
              stat: 'Minimum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
};

/** One probe: connect and `SELECT 1`, bounded by the interval (at most 1 s). Never throws. */
const probeOnce = async (opts: DetectorOptions): Promise<Probe> => {
  const at = opts.clock();
  const bound = Math.max(50, Math.min(opts.intervalMs, 1000));
  const client = new pg.Client({
    host: opts.host,
    port: opts.port,
    user: opts.credentials.username,
    password: opts.credentials.password,
    database: 'postgres',
    application_name: 'dr-drill-detector',
    connectionTimeoutMillis: bound,
    query_timeout: bound,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { at, ok: true, ms: opts.clock() - at };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { at, ok: false, ms: opts.clock() - at, code: typeof code === 'string' ? code : 'ERROR' };
  } finally {
    await Promise.race([client.end().catch(() => undefined), sleep(200)]);
  }
};

export const startDetector = (opts: DetectorOptions): Detector => {
  const probes: Probe[] = [];
  let stopped = false;
  let fire: (alarm: Alarm) => void = () => undefined;
  const alarm = new Promise<Alarm>((resolve) => {
    fire = resolve;
  });
  const loop = async () => {
    let streak: Probe[] = [];
    let okSince = opts.clock();
    let next = opts.clock();
    while (!stopped) {
      const probe = await probeOnce(opts);
      if (stopped) break;
      probes.push(probe);
      if (probe.ok) {
        if (streak.length > 0) okSince = probe.at;
        streak = [];
      } else {
        streak.push(probe);
        if (streak.length >= opts.failuresToAlarm) {
          const at = opts.clock();
          fire({ event: alarmEvent(opts, at, okSince, streak), at, firstFailedProbeAt: streak[0]?.at ?? at });
          // An alarm in ALARM stays there: no second event, as CloudWatch sends one per state change.
          return;
        }
      }
      next += opts.intervalMs;
      await sleep(next - opts.clock());
    }
  };
  const done = loop();
  return {
    probes,
    alarm,
    async stop() {
      stopped = true;
      await done;
    },
  };
};
