/**
 * Reads the plan's record the way clients do: a DNS query through a resolver (node:dns), never Route 53's control
 * plane. In a Lambda function attached to a VPC the system resolver is the VPC's Route 53 Resolver (AmazonProvidedDNS,
 * at the VPC's base address + 2, reached from inside the VPC), which answers a private zone's failover records with
 * the member Route 53 picks from its health checks, where a read-back of the zone lists both members of the pair.
 * A resolver may answer from its cache for up to the record's TTL (Route 53 recommends 60 s or less for records with
 * a health check); Verify (core/steps/dns-steps.ts) allows for that.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver.html
 * https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html (TTL)
 */
// The module object, not a named import: node:dns/promises rebinds `getServers` when the default servers change,
// and a named ESM import keeps the first binding.
import dnsPromises, { Resolver } from 'node:dns/promises';
import { DnsChangeFailedError, ServiceUnavailableError } from '#core/errors.js';
import type { VerifyConfig } from '#core/plan-traffic.js';
import type { DnsSwitch } from '#core/ports.js';

/** The resolver answered: nothing of that type there (NXDOMAIN, NODATA). */
const NO_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);
/** The resolver did not answer usefully this time; the next check may get an answer. */
const TRANSIENT_CODES = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'ECANCELLED', 'EREFUSED', 'EAI_AGAIN']);

type Query = (resolver: Resolver, name: string) => Promise<string[]>;
const QUERIES: [string, Query][] = [
  ['CNAME', (r, name) => r.resolveCname(name)],
  ['A', (r, name) => r.resolve4(name)],
];

export class ResolverRecords implements Pick<DnsSwitch, 'resolve'> {
  readonly #config: Pick<VerifyConfig, 'resolvers' | 'queryTimeoutMs'>;

  constructor(config: Pick<VerifyConfig, 'resolvers' | 'queryTimeoutMs'>) {
    this.#config = config;
  }

  /** The resolvers asked: the plan's, else the system's (read at each call, as the system may change them). */
  get servers(): string[] {
    return this.#config.resolvers ?? dnsPromises.getServers();
  }

  /**
   * The record's CNAME target (a database endpoint) and its IPv4 addresses, as the resolver answers now: one
   * bounded try of each query on a fresh resolver. Nothing there answers []; a resolver that does not answer throws
   * ServiceUnavailableError (retried), any other failure DnsChangeFailedError.
   */
  async resolve(recordName: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: this.#config.queryTimeoutMs, tries: 1 });
    const servers = this.servers;
    resolver.setServers(servers);
    const via = `via ${servers.join(', ') || 'the system resolver'}`;
    const answers = await Promise.allSettled(QUERIES.map(([, query]) => query(resolver, recordName)));
    const failures = answers.flatMap((a, i) => {
      if (a.status === 'fulfilled') return [];
      const code = (a.reason as { code?: string }).code ?? 'UNKNOWN';
      return NO_ANSWER_CODES.has(code) ? [] : [{ type: QUERIES[i]?.[0], code, cause: a.reason as unknown }];
    });
    const [failure] = failures;
    if (failure) {
      const detail = `resolve ${recordName} ${failure.type} ${via} failed: ${failure.code}`;
      if (failures.every((f) => TRANSIENT_CODES.has(f.code))) {
        throw new ServiceUnavailableError(detail, { cause: failure.cause });
      }
      throw new DnsChangeFailedError(detail, { cause: failure.cause });
    }
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value.map((v) => v.replace(/\.$/, '')) : []));
  }
}
