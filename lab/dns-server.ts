/**
 * The drill's DNS server: a real authoritative DNS server on loopback (UDP, dns2) that the drill's clients
 * resolve through, plus a small HTTP control API the `local` DnsSwitch adapter changes records with.
 *
 * The control API mimics the shape of Route 53's (a change id per UPSERT, PENDING until propagated, then
 * INSYNC) so the state machine's UpdateDns → Wait → DnsStatus loop runs for real. A change becomes visible in
 * DNS answers when it turns INSYNC, as on Route 53's authoritative servers: a client resolving while a change
 * is PENDING still gets the old address.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createUDPServer, Packet, type Resource } from 'dns2';

export interface DnsRecord {
  address: string;
  ttl: number;
}

export interface LocalDnsServerOptions {
  /** Loopback address both listeners bind to. Default 127.0.0.1. */
  host?: string;
  /** UDP port of the DNS listener; 0 (default) lets the OS pick a free one. */
  dnsPort?: number;
  /** TCP port of the HTTP control API; 0 (default) lets the OS pick a free one. */
  controlPort?: number;
  /** Records served from the start (A records). */
  records?: Record<string, DnsRecord>;
  /** How long a change stays PENDING (and invisible in DNS answers) before INSYNC. Default 0. */
  propagationDelayMs?: number;
  /**
   * Monotonic milliseconds the propagation delay is counted on; injected by tests to step past it without racing
   * it. Default performance.now.
   */
  now?: () => number;
  /** Socket errors after start (there is nobody else to tell); before start they reject the start. */
  onError?: (error: Error) => void;
}

export interface LocalDnsServer {
  /** `host:port` of the UDP DNS listener (for `Resolver.setServers` and the plan's `dns.nameserver`). */
  readonly nameserver: string;
  /** `host:port` of the HTTP control API (the plan's `dns.controlEndpoint`). */
  readonly controlEndpoint: string;
  /** Sets a record at once, bypassing propagation (setup and tests); a change still PENDING lands over it later. */
  set(name: string, address: string, ttl: number): void;
  /** The record as DNS serves it now, or undefined. */
  get(name: string): DnsRecord | undefined;
  /**
   * Serves `name` as a failover record pair, as Route 53 does for records with health checks: the PRIMARY record's
   * address while `primaryHealthy()` says so, the SECONDARY's otherwise. Nothing in the control API changes it.
   */
  failover(name: string, pair: FailoverPair): void;
  /** `down`: the control API (the Route 53 control plane's stand-in) answers every request 503; DNS still answers. */
  controlPlane(state: 'up' | 'down'): void;
  /** Number of DNS queries received so far. */
  queries(): number;
  /** Closes both listeners. Idempotent. */
  stop(): Promise<void>;
}

/** A failover record pair: PRIMARY while it is healthy, SECONDARY otherwise. */
export interface FailoverPair {
  primary: DnsRecord;
  secondary: DnsRecord;
  primaryHealthy: () => boolean;
}

/** RFC 2181 §8: a TTL is an unsigned 31-bit number of seconds. */
const MAX_TTL = 2_147_483_647;
/** Control requests are a few dozen bytes; anything far larger is a mistake or abuse. */
const MAX_BODY_BYTES = 16 * 1024;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** DNS names compare case-insensitively and with or without the root dot. */
export const normalizeDnsName = (name: string): string => name.trim().replace(/\.$/, '').toLowerCase();

/** Why a record is invalid, or undefined when it is valid. */
const recordProblem = (name: string, address: unknown, ttl: unknown): string | undefined => {
  if (!DNS_NAME.test(name)) return `name: "${name}" is not a valid DNS name`;
  if (typeof address !== 'string' || !isIPv4(address)) return 'address: must be an IPv4 address (an A record)';
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
    return `ttl: must be an integer number of seconds from 0 to ${MAX_TTL}`;
  }
  return undefined;
};

const isLoopbackIPv4 = (host: string) => isIPv4(host) && host.startsWith('127.');

interface Change {
  name: string;
  record: DnsRecord;
  /** The zone's clock (performance.now() by default) at which the change is INSYNC (monotonic: wall-clock steps
   * must not reorder it). */
  insyncAt: number;
  applied: boolean;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

const readJsonBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpProblem(400, 'body must be JSON: { "address": "<IPv4>", "ttl": <seconds> }');
  }
};

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** The zone the server answers: records, and changes that become visible after the propagation delay. */
class Zone {
  readonly #records = new Map<string, DnsRecord>();
  readonly #changes = new Map<string, Change>();
  /** Changes not yet applied, in submission order (the delay is constant, so also in INSYNC order). */
  readonly #pending: Change[] = [];
  queries = 0;

  constructor(
    private readonly propagationDelayMs: number,
    private readonly now: () => number,
  ) {}

  /** Sets a record at once (no change id): the server's initial records, and tests. */
  set = (rawName: string, address: string, ttl: number): void => {
    const name = normalizeDnsName(rawName);
    const problem = recordProblem(name, address, ttl);
    if (problem) throw new TypeError(problem);
    this.#records.set(name, { address, ttl });
  };

  readonly pairs = new Map<string, FailoverPair>();
  controlDown = false;

  lookup = (name: string): DnsRecord | undefined => {
    this.#settle();
    const pair = this.pairs.get(normalizeDnsName(name));
    if (pair) return { ...(pair.primaryHealthy() ? pair.primary : pair.secondary) };
    const r = this.#records.get(normalizeDnsName(name));
    return r ? { ...r } : undefined;
  };

  /** An UPSERT, visible after the propagation delay; its id answers PENDING until then, INSYNC after. */
  submit(name: string, record: DnsRecord): string {
    const change: Change = { name, record, insyncAt: this.now() + this.propagationDelayMs, applied: false };
    // Random ids: a restarted server must not hand out an id an old client still polls.
    const changeId = `C${randomUUID().replaceAll('-', '').toUpperCase()}`;
    this.#changes.set(changeId, change);
    this.#pending.push(change);
    this.#settle();
    return changeId;
  }

  status(changeId: string): 'PENDING' | 'INSYNC' | undefined {
    const change = this.#changes.get(changeId);
    if (!change) return undefined;
    this.#settle();
    return change.applied ? 'INSYNC' : 'PENDING';
  }

  /** Applies every change whose propagation delay has passed; called lazily before each read. */
  #settle(): void {
    const now = this.now();
    while (this.#pending.length > 0 && (this.#pending[0]?.insyncAt ?? Number.POSITIVE_INFINITY) <= now) {
      const change = this.#pending.shift() as Change;
      this.#records.set(change.name, change.record);
      change.applied = true;
    }
  }
}

/** Answers A queries authoritatively from the zone; NXDOMAIN for unknown names, NODATA for other types. */
const dnsServer = (zone: Zone, onError: ((error: Error) => void) | undefined) => {
  const dns = createUDPServer((request, send) => {
    zone.queries += 1;
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1; // authoritative for every name it serves
    response.header.ra = 0; // it does not recurse
    const [question] = request.questions;
    const record = question ? zone.lookup(question.name) : undefined;
    if (!question || !record) {
      response.header.rcode = Packet.RCODE.NXDOMAIN;
    } else if (question.type === Packet.TYPE.A || question.type === Packet.TYPE.ANY) {
      response.answers.push({
        name: question.name,
        type: Packet.TYPE.A,
        class: Packet.CLASS.IN,
        ttl: record.ttl,
        address: record.address,
      } as Resource); // Resource.encode takes plain records; the typing's toBuffer belongs to parsed ones
    }
    // A known name asked for another type (AAAA ...) gets NOERROR with no answer (NODATA), as a real server does.
    send(response).catch((error: unknown) => onError?.(error as Error));
  });
  // A malformed packet must not take the server down.
  dns.on('requestError', (error) => onError?.(error));
  return dns;
};

const putRecord = async (zone: Zone, name: string, req: IncomingMessage) => {
  const body = await readJsonBody(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'body must be a JSON object: { "address": "<IPv4>", "ttl": <seconds> }');
  }
  const { address, ttl } = body as { address?: unknown; ttl?: unknown };
  const problem = recordProblem(name, address, ttl);
  if (problem) throw new HttpProblem(400, problem);
  const changeId = zone.submit(name, { address: address as string, ttl: ttl as number });
  // As Route 53's ChangeInfo: the change's status with its id (INSYNC at once when there is no propagation delay).
  return { status: 200, body: { changeId, status: zone.status(changeId) } };
};

/** The control API: GET/PUT /records/<name>, GET /changes/<id>. */
const controlRoute =
  (zone: Zone) =>
  async (req: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    if (zone.controlDown) throw new HttpProblem(503, 'the control plane is unavailable');
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    const [collection, rawKey, ...rest] = url.pathname.split('/').slice(1);
    if (rest.length > 0 || rawKey === undefined || rawKey === '') throw new HttpProblem(404, 'no such resource');
    let key: string;
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      throw new HttpProblem(400, 'malformed percent-encoding in the path');
    }
    if (collection === 'records') {
      const name = normalizeDnsName(key);
      if (req.method === 'PUT') return putRecord(zone, name, req);
      if (req.method !== 'GET') throw new HttpProblem(405, `${req.method} not allowed on /records/<name>`);
      const record = zone.lookup(name);
      if (!record) throw new HttpProblem(404, `no record ${name}`);
      return { status: 200, body: record };
    }
    if (collection === 'changes') {
      if (req.method !== 'GET') throw new HttpProblem(405, `${req.method} not allowed on /changes/<id>`);
      const status = zone.status(key);
      if (!status) throw new HttpProblem(404, `no change ${key}`);
      return { status: 200, body: { status } };
    }
    throw new HttpProblem(404, 'no such resource');
  };

const controlServer = (zone: Zone, onError: ((error: Error) => void) | undefined) => {
  const route = controlRoute(zone);
  return createHttpServer((req, res) => {
    route(req).then(
      ({ status, body }) => sendJson(res, status, body),
      (error: unknown) => {
        if (error instanceof HttpProblem) {
          // A request refused before its body was read must not leave the body to keep the socket busy.
          if (error.status === 413) res.setHeader('connection', 'close');
          sendJson(res, error.status, { message: error.message });
        } else {
          onError?.(error as Error);
          sendJson(res, 500, { message: 'internal error' });
        }
      },
    );
  });
};

/**
 * Starts the DNS server and its control API on loopback.
 * Throws TypeError for a non-loopback host or an invalid initial record.
 */
export const startLocalDnsServer = async (opts: LocalDnsServerOptions = {}): Promise<LocalDnsServer> => {
  const host = opts.host ?? '127.0.0.1';
  // The control API has no authentication: it must never be reachable from another machine.
  if (!isLoopbackIPv4(host)) throw new TypeError(`host must be an IPv4 loopback address (127.x.x.x), not "${host}"`);
  const propagationDelayMs = opts.propagationDelayMs ?? 0;
  if (!Number.isFinite(propagationDelayMs) || propagationDelayMs < 0) {
    throw new TypeError('propagationDelayMs must be a non-negative number');
  }
  const zone = new Zone(propagationDelayMs, opts.now ?? (() => performance.now()));
  for (const [name, r] of Object.entries(opts.records ?? {})) zone.set(name, r.address, r.ttl);

  const dns = dnsServer(zone, opts.onError);
  await new Promise<void>((resolve, reject) => {
    dns.once('error', reject);
    dns.listen(opts.dnsPort ?? 0, host).then(() => {
      dns.off('error', reject);
      dns.on('error', (error: Error) => opts.onError?.(error));
      resolve();
    }, reject);
  });
  const dnsAddress = dns.address();
  const http = controlServer(zone, opts.onError);

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ host, port: opts.controlPort ?? 0 }, () => {
        http.off('error', reject);
        http.on('error', (error: Error) => opts.onError?.(error));
        resolve();
      });
    });
  } catch (error) {
    dns.close();
    throw error;
  }
  const httpAddress = http.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= Promise.all([
      new Promise<void>((resolve) => dns.close(() => resolve())),
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Keep-alive sockets (fetch pools them) would otherwise hold close() open until they time out.
        http.closeAllConnections();
      }),
    ]).then(() => undefined);
    return stopped;
  };

  return {
    nameserver: `${dnsAddress.address}:${dnsAddress.port}`,
    controlEndpoint: `${httpAddress.address}:${httpAddress.port}`,
    set: zone.set,
    get: zone.lookup,
    failover: (name, pair) => {
      zone.pairs.set(normalizeDnsName(name), pair);
    },
    controlPlane: (state) => {
      zone.controlDown = state === 'down';
    },
    queries: () => zone.queries,
    stop,
  };
};
