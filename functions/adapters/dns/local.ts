/**
 * `local` DnsSwitch: changes the drill's loopback DNS server (lab/dns-server.ts) through its HTTP
 * control API, and resolves through its UDP listener with Node's own DNS resolver, so verification exercises the
 * same DNS path the drill's clients use.
 */
import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { DnsChangeFailedError, type DrFailoverError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import type { DnsScope } from '#core/plan.js';
import type { ChangeStatus, DnsSwitch } from '#core/ports.js';

export interface LocalDnsSwitchDeps {
  /** Injected in tests (a spy, or a fetch that fails on purpose). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Bound of each control request and each DNS query. Default 5000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** DNS names compare case-insensitively and with or without the root dot. */
const sameDnsName = (a: string, b: string) =>
  a.trim().replace(/\.$/, '').toLowerCase() === b.trim().replace(/\.$/, '').toLowerCase();

/** Resolver codes meaning "the server answered: nothing there" (NXDOMAIN, NODATA). */
const NO_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);
/** Resolver codes meaning the server did not answer usefully this time. */
const TRANSIENT_DNS_CODES = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'ECANCELLED', 'EREFUSED']);

/** The control API's change status, as Route 53's: PENDING or INSYNC; anything else is a broken server. */
const changeStatusOf = (status: unknown, what: string): ChangeStatus => {
  if (status === 'PENDING') return 'pending';
  if (status === 'INSYNC') return 'insync';
  throw new DnsChangeFailedError(`${what}: unexpected status ${JSON.stringify(status)}`);
};

export class LocalDnsSwitch implements DnsSwitch {
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly baseUrl: string;

  constructor(
    private readonly plan: DnsScope<'local'>,
    deps: LocalDnsSwitchDeps = {},
  ) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.baseUrl = `http://${plan.dns.controlEndpoint}`;
  }

  async point(recordName: string, target: string, ttl: number): Promise<{ changeId: string; status: ChangeStatus }> {
    const dns = this.plan.dns;
    // The plan names the one record this run may change; anything else is a bug upstream, not a retry case.
    if (!sameDnsName(recordName, dns.recordName)) {
      throw new DnsChangeFailedError(
        `refusing to change ${recordName}: plan ${this.plan.name} manages ${dns.recordName}`,
      );
    }
    if (!isIPv4(target)) {
      throw new DnsChangeFailedError(
        `${dns.recordName} is an A record: target must be an IPv4 address, not "${target}"`,
      );
    }
    // ttl is validated by the server, which answers 400 with the reason (as Route 53 answers InvalidInput).
    const body = await this.request(
      'PUT',
      `/records/${encodeURIComponent(dns.recordName)}`,
      `UPSERT ${dns.recordName} A ${target} ttl ${ttl}`,
      { address: target, ttl },
    );
    const { changeId, status } = body as { changeId?: unknown; status?: unknown };
    if (typeof changeId !== 'string' || changeId === '') {
      throw new DnsChangeFailedError(`UPSERT ${dns.recordName}: the DNS server answered without a change id`);
    }
    return { changeId, status: changeStatusOf(status, `UPSERT ${dns.recordName}`) };
  }

  async changeStatus(changeId: string): Promise<ChangeStatus> {
    const what = `GetChange ${changeId}`;
    const body = await this.request('GET', `/changes/${encodeURIComponent(changeId)}`, what);
    return changeStatusOf((body as { status?: unknown }).status, what);
  }

  async resolve(recordName: string): Promise<string[]> {
    // A fresh Resolver per call: nothing cached, one bounded try against the plan's nameserver only.
    const resolver = new Resolver({ timeout: this.timeoutMs, tries: 1 });
    resolver.setServers([this.plan.dns.nameserver]);
    try {
      return await resolver.resolve4(recordName);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'UNKNOWN';
      if (NO_ANSWER_CODES.has(code)) return [];
      const detail = `resolve ${recordName} A via ${this.plan.dns.nameserver} failed: ${code}`;
      if (TRANSIENT_DNS_CODES.has(code)) throw new ServiceUnavailableError(detail, { cause: error });
      throw new DnsChangeFailedError(detail, { cause: error });
    }
  }

  /** One bounded JSON request to the control API; failures become named errors with the original as `cause`. */
  private async request(method: 'GET' | 'PUT', path: string, what: string, json?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: json === undefined ? {} : { 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // Connection refused or reset, or the timeout fired: the server may be back on the next try.
      throw new ServiceUnavailableError(`${what}: DNS control endpoint ${this.plan.dns.controlEndpoint} unreachable`, {
        cause: error,
      });
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ServiceUnavailableError(`${what}: response from ${this.plan.dns.controlEndpoint} cut short`, {
        cause: error,
      });
    }
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch (error) {
      body = { message: text.slice(0, 200) };
      if (response.ok) {
        throw new DnsChangeFailedError(`${what}: the DNS server answered with something other than JSON`, {
          cause: error,
        });
      }
    }

    if (response.ok) return body;
    throw statusError(response.status, what, body);
  }
}

const statusError = (status: number, what: string, body: unknown): DrFailoverError => {
  const message = (body as { message?: unknown } | null)?.message;
  const detail = `${what} failed: HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`;
  const cause = { status, body };
  if (status === 429) return new ThrottledError(detail, { cause });
  if (status >= 500) return new ServiceUnavailableError(detail, { cause });
  // 400 invalid record, 404 unknown change: the same request will fail the same way.
  return new DnsChangeFailedError(detail, { cause });
};
