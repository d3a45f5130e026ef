/**
 * The drill's stand-in for CloudWatch in the standby region, for `health-check` drills: one HTTP server on loopback
 * speaking the CloudWatch API's wire protocol (AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`),
 * which the real `@aws-sdk/client-cloudwatch` client reaches through the SDK's service endpoint setting
 * (`AWS_ENDPOINT_URL_CLOUDWATCH`). It serves PutMetricData and DescribeAlarms for the alarms it watches: a datapoint
 * of 1 or more on an alarm's metric puts it in ALARM after `evaluationMs` (CloudWatch evaluates once per period),
 * and without data it keeps its state (TreatMissingData `ignore`).
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

export interface LocalCloudWatch {
  readonly url: string;
  /** Watches `alarm` from OK, evaluating a datapoint `evaluationMs` after it arrives. */
  watch(alarm: WatchedAlarm, evaluationMs: number): void;
  state(name: string): string | undefined;
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

const start = async (): Promise<LocalCloudWatch> => {
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
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^GraniteServiceVersion20100801\./, '');
    readBody(req)
      .then((body) => {
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
  };
};

let shared: Promise<LocalCloudWatch> | undefined;

/** The process's CloudWatch stand-in, started on first use. */
export const localCloudWatch = (): Promise<LocalCloudWatch> => {
  shared ??= start();
  return shared;
};
