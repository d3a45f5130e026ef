import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_MOCKS } from '../statemachine/support.js';
import { type Clock, virtualClock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;
const client = new CloudWatchClient({ region: 'eu-west-1' });
const START = new Date('2026-12-07T10:00:00.000Z').getTime();

const query = (over: Partial<NonNullable<MetricDataQuery['MetricStat']>> = {}, dimensions = { Id: 'db-1' }) => ({
  Id: 'q',
  MetricStat: {
    Metric: {
      Namespace: 'AWS/RDS',
      MetricName: 'Lag',
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    },
    Period: 60,
    Stat: 'Maximum',
    ...over,
  },
});

const read = async (clock: Clock, q: MetricDataQuery, backMs = 10 * MINUTE, scanBy?: 'TimestampAscending') => {
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: new Date(clock.now() - backMs),
      EndTime: new Date(clock.now()),
      MetricDataQueries: [q],
      ...(scanBy ? { ScanBy: scanBy } : {}),
    }),
  );
  const r = out.MetricDataResults?.[0];
  return (r?.Timestamps ?? []).map((t, i) => [(t.getTime() - START) / MINUTE, r?.Values?.[i]]);
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the simulated CloudWatch GetMetricData', () => {
  /** A sample every 10 s whose value is the minute it falls in (relative to START); none in minutes -4 and -3. */
  const setUp = () => {
    const clock = virtualClock(new Date(START));
    const world = new CloudWatchWorld(clock);
    world.add({
      namespace: 'AWS/RDS',
      metricName: 'Lag',
      dimensions: { Id: 'db-1' },
      sampleAt: (t) => {
        const minute = Math.floor((t - START) / MINUTE);
        return minute === -4 || minute === -3 ? undefined : minute + ((t / 1000) % 60) / 100;
      },
      sampleEveryMs: 10_000,
      publishDelayMs: 30_000,
    });
    return { clock, world };
  };

  it('answers one datapoint per period newest first, none for a period without samples, the newest one partial', async () => {
    // Prepare
    const { clock } = setUp();
    clock.advance(MINUTE + 45_000);

    // Act
    const points = await read(clock, query(), 7 * MINUTE + 45_000);

    // Assess: minute 1 holds only the samples published by now (taken up to 1:15), minutes -4 and -3 are missing.
    expect(points).toEqual([
      [1, 1.1],
      [0, 0.5],
      [-1, -0.5],
      [-2, -1.5],
      [-5, -4.5],
      [-6, -5.5],
    ]);
  });

  it('aggregates by the statistic and the period asked, oldest first when asked', async () => {
    // Prepare
    const { clock } = setUp();

    // Act
    const fiveMinutes = await read(
      clock,
      query({ Period: 300, Stat: 'SampleCount' }),
      10 * MINUTE,
      'TimestampAscending',
    );
    const minimum = await read(clock, query({ Stat: 'Minimum' }), 2 * MINUTE);

    // Assess: 6 samples a minute; in the second period 2 minutes have none and the last 20 s are not yet published.
    expect(fiveMinutes).toEqual([
      [-10, 30],
      [-5, 16],
    ]);
    expect(minimum).toEqual([
      [-1, -1],
      [-2, -2],
    ]);
  });

  it('finds a metric only by its whole dimension set', async () => {
    // Prepare
    const { clock } = setUp();

    // Act
    const fewer = await read(clock, query({}, {} as { Id: string }));
    const more = await read(clock, query({}, { Id: 'db-1', Role: 'WRITER' } as { Id: string }));
    const other = await read(clock, query({}, { Id: 'db-2' }));

    // Assess
    expect([fewer, more, other]).toEqual([[], [], []]);
  });
});
