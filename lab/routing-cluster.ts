/**
 * The drill's stand-in for an ARC cluster's data plane: five regional endpoints on loopback, each an HTTP server
 * speaking the cluster API's wire protocol (AWS JSON 1.0, `X-Amz-Target: ToggleCustomerAPI.<Operation>`), so the
 * real `@aws-sdk/client-route53-recovery-cluster` client calls it with only its endpoint overridden. The five share
 * one set of routing control states, as a cluster's endpoints do. An endpoint made unreachable drops every
 * connection, so the client sees a network failure and the adapter moves on to the next one.
 * https://docs.aws.amazon.com/routing-control/latest/APIReference/API_UpdateRoutingControlStates.html
 * https://docs.aws.amazon.com/routing-control/latest/APIReference/API_GetRoutingControlState.html
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The regions of the five endpoints, in the order the drill's plan lists them. */
export const CLUSTER_REGIONS = ['us-west-2', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-2', 'us-east-1'] as const;

export interface LocalRoutingCluster {
  /** The endpoints as a plan lists them (`traffic.clusterEndpoints`). */
  readonly endpoints: { region: string; url: string }[];
  /** A routing control's state now (`On` / `Off`), or undefined for a control the cluster does not hold. */
  state(arn: string): string | undefined;
  /** Makes the endpoints of these regions drop every connection (the rest keep answering). */
  unreachable(regions: readonly string[]): void;
  /** Requests answered, per region. */
  answered(): Record<string, number>;
  stop(): Promise<void>;
}

type Body = Record<string, unknown>;

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** An error as the service returns it: the code in `__type` (the SDK names the exception after it). */
const fault = (res: ServerResponse, status: number, type: string, message: string) =>
  send(res, status, { __type: type, message });

const readBody = async (req: IncomingMessage): Promise<Body> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Body);
};

const ON_OFF = new Set(['On', 'Off']);

/** One operation of the cluster API on the shared states; an error response when refused. */
const operate = (states: Map<string, string>, operation: string, body: Body, res: ServerResponse) => {
  if (operation === 'GetRoutingControlState') {
    const arn = String(body.RoutingControlArn ?? '');
    const state = states.get(arn);
    if (state === undefined) return fault(res, 404, 'ResourceNotFoundException', `no routing control ${arn}`);
    return send(res, 200, { RoutingControlArn: arn, RoutingControlState: state });
  }
  if (operation === 'UpdateRoutingControlStates') {
    const entries = (body.UpdateRoutingControlStateEntries ?? []) as {
      RoutingControlArn?: string;
      RoutingControlState?: string;
    }[];
    // All or nothing: every entry is checked before any state changes.
    for (const e of entries) {
      if (!states.has(String(e.RoutingControlArn))) {
        return fault(res, 404, 'ResourceNotFoundException', `no routing control ${e.RoutingControlArn}`);
      }
      if (!ON_OFF.has(String(e.RoutingControlState))) {
        return fault(res, 400, 'ValidationException', `state must be On or Off, not ${e.RoutingControlState}`);
      }
    }
    for (const e of entries) states.set(String(e.RoutingControlArn), String(e.RoutingControlState));
    return send(res, 200, {});
  }
  return fault(res, 400, 'ValidationException', `operation ${operation} is not served by the drill's cluster`);
};

const listen = (server: Server) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** Starts the five endpoints with `controls` in their initial states. */
export const startRoutingCluster = async (controls: Record<string, 'On' | 'Off'>): Promise<LocalRoutingCluster> => {
  const states = new Map(Object.entries(controls));
  const down = new Set<string>();
  const answered: Record<string, number> = {};
  const servers: Server[] = [];
  const endpoints: { region: string; url: string }[] = [];
  for (const region of CLUSTER_REGIONS) {
    const server = createServer((req, res) => {
      if (down.has(region)) {
        req.socket.destroy();
        return;
      }
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^ToggleCustomerAPI\./, '');
      readBody(req)
        .then((body) => {
          answered[region] = (answered[region] ?? 0) + 1;
          operate(states, operation, body, res);
        })
        .catch((error: unknown) => fault(res, 400, 'ValidationException', (error as Error).message));
    });
    servers.push(server);
    endpoints.push({ region, url: `http://127.0.0.1:${await listen(server)}` });
  }
  return {
    endpoints,
    state: (arn) => states.get(arn),
    unreachable: (regions) => {
      for (const r of regions) down.add(r);
    },
    answered: () => ({ ...answered }),
    stop: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
};
