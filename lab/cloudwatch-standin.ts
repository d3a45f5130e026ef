/**
 * The drill's stand-in for CloudWatch in the standby region, for `health-check` drills: one HTTP server on loopback
 * speaking the CloudWatch API's wire protocol (AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`),
 * which the real `@aws-sdk/client-cloudwatch` client reaches through the SDK's service endpoint setting
 * (`AWS_ENDPOINT_URL_CLOUDWATCH`). It serves PutMetricData and DescribeAlarms for the alarms it watches: a datapoint
 * of 1 or more on an alarm's metric puts it in ALARM after `evaluationMs` (CloudWatch evaluates once per period),
 * and without data it keeps its state (TreatMissingData `ignore`).
 *
 * For the ML platform drill it also serves GetMetricData for the metrics the lab registers (`serve`): S3
 * Replication's per-rule metrics, computed from the lab replicator's real backlog, and DynamoDB's
 * ReplicationLatency, from the online-feature table stand-in. Each is served in the Region AWS publishes it in (S3
 * Replication metrics in the destination's Region, DynamoDB's per source Region); the Region of a request is the one
 * its SigV4 credential scope names, as it is the endpoint's on AWS. A metric with no value now returns no datapoint
 * (CloudWatch returns no datapoint for a period without data: unknown, never zero), and a Region made dark
 * (`darken`) drops every connection, as an unreachable endpoint does.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudwatch.TreatMissingData.html ("IGNORE: The current alarm
 *   state is maintained.")
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WatchedAlarm {
  name: string;
  namespace: string;
  metricName: string;
}

/** A metric as GetMetricData names it, in the Region that publishes it. */
export interface ServedMetric {
  region: string;
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
}

export interface LocalCloudWatch {
  readonly url: string;
  /** Watches `alarm` from OK, evaluating a datapoint `evaluationMs` after it arrives. */
  watch(alarm: WatchedAlarm, evaluationMs: number): void;
  state(name: string): string | undefined;
  /** Serves `metric`: its value now, or undefined for no datapoint. Returns how to stop serving it. */
  serve(metric: ServedMetric, read: () => number | undefined): () => void;
  /** Makes `region`'s endpoint drop every connection. Returns how to bring it back. */
  darken(region: string): () => void;
}

type Body = Record<string, unknown>;

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const readBody = async (req: IncomingMessage): Promise<Body> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Body);
};

const metricKey = (m: Omit<ServedMetric, 'region'>, region: string) =>
  [
    region,
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
  ].join('|');

/** The Region a SigV4-signed request is for: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
export const signedRegion = (authorization: string | undefined): string | undefined =>
  /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? '')?.[1];

type MetricQuery = {
  Id?: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] };
  };
};

/** One datapoint per served metric that has a value now (timestamps in epoch seconds, as the JSON protocol has them). */
const getMetricData = (sources: Map<string, () => number | undefined>, region: string, body: Body) => ({
  MetricDataResults: ((body.MetricDataQueries ?? []) as MetricQuery[]).map((q) => {
    const metric = q.MetricStat?.Metric ?? {};
    const dimensions = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
    const key = metricKey(
      { namespace: metric.Namespace ?? '', metricName: metric.MetricName ?? '', dimensions },
      region,
    );
    const value = sources.get(key)?.();
    const found = value !== undefined && Number.isFinite(value);
    return {
      Id: q.Id,
      Label: metric.MetricName,
      Timestamps: found ? [Date.now() / 1000] : [],
      Values: found ? [value] : [],
      StatusCode: 'Complete',
    };
  }),
});

const start = async (): Promise<LocalCloudWatch> => {
  const sources = new Map<string, () => number | undefined>();
  const dark = new Set<string>();
  const alarms = new Map<string, WatchedAlarm & { state: string; evaluationMs: number }>();
  const putMetricData = (body: Body) => {
    const data = (body.MetricData ?? []) as { MetricName?: string; Value?: number }[];
    for (const alarm of alarms.values()) {
      const breaching = data.some((d) => d.MetricName === alarm.metricName && (d.Value ?? 0) >= 1);
      if (body.Namespace !== alarm.namespace || !breaching) continue;
      setTimeout(() => {
        alarm.state = 'ALARM';
      }, alarm.evaluationMs).unref();
    }
    return {};
  };
  const describeAlarms = (body: Body) => ({
    MetricAlarms: ((body.AlarmNames ?? []) as string[]).flatMap((name) => {
      const alarm = alarms.get(name);
      return alarm
        ? [{ AlarmName: name, Namespace: alarm.namespace, MetricName: alarm.metricName, StateValue: alarm.state }]
        : [];
    }),
  });
  const server = createServer((req, res) => {
    const region = signedRegion(req.headers.authorization) ?? '';
    if (dark.has(region)) {
      req.socket.destroy();
      return;
    }
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^GraniteServiceVersion20100801\./, '');
    readBody(req)
      .then((body) => {
        if (operation === 'GetMetricData') return send(res, 200, getMetricData(sources, region, body));
        if (operation === 'PutMetricData') return send(res, 200, putMetricData(body));
        if (operation === 'DescribeAlarms') return send(res, 200, describeAlarms(body));
        return send(res, 400, { __type: 'InvalidAction', message: `${operation} is not served by the drill` });
      })
      .catch((error: unknown) =>
        send(res, 400, { __type: 'InvalidParameterValue', message: (error as Error).message }),
      );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  // One server for the life of the process (SDK clients are kept per region): it must not keep the process alive.
  server.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    watch: (alarm, evaluationMs) => {
      alarms.set(alarm.name, { ...alarm, state: 'OK', evaluationMs });
    },
    state: (name) => alarms.get(name)?.state,
    serve: (metric, read) => {
      const key = metricKey(metric, metric.region);
      sources.set(key, read);
      return () => {
        if (sources.get(key) === read) sources.delete(key);
      };
    },
    darken: (region) => {
      dark.add(region);
      return () => dark.delete(region);
    },
  };
};

let shared: Promise<LocalCloudWatch> | undefined;

/** The process's CloudWatch stand-in, started on first use. */
export const localCloudWatch = (): Promise<LocalCloudWatch> => {
  shared ??= start();
  return shared;
};
