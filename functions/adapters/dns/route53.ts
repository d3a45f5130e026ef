/**
 * `route53` DnsSwitch: the plan's one record in a Route 53 hosted zone, changed with an UPSERT (idempotent),
 * followed with GetChange and read back by the zone's type: TestDNSAnswer for a public zone, ListResourceRecordSets
 * for a private one (TestDNSAnswer supports public zones only). See docs/architecture.md, "Verify and private zones".
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { AwsRequestFailedError, DnsChangeFailedError, type DrFailoverError } from '#core/errors.js';
import type { DnsScope } from '#core/plan.js';
import type { ChangeStatus, DnsSwitch } from '#core/ports.js';
import {
  canonicalName,
  type HostedZoneFacts,
  listRecordSetsNamed,
  ROUTE53_BUSY_CODES,
  readHostedZone,
  recordValues,
} from './route53-zone.js';

/**
 * Route 53's control plane (ChangeResourceRecordSets, GetChange, TestDNSAnswer) is served from us-east-1 only,
 * whatever region the caller runs in; its data plane (the authoritative name servers answering queries) is
 * global. So when us-east-1 is the failing region (the orders plan's primary), this adapter may be unable to
 * rewrite the record even though the standby is healthy: calls then fail with ServiceUnavailableError or
 * ThrottledError, the state machine retries them, and the run ends in NotifyFailed with the database already
 * promoted. Plans that must survive a us-east-1 outage need a data-plane DnsSwitch instead (ARC routing
 * controls, or failover records driven by health checks), which the DnsSwitch port is kept small enough for.
 * (Other partitions have their own control-plane region; this adapter targets the `aws` partition.)
 */
export const ROUTE53_CONTROL_PLANE_REGION = 'us-east-1';

/** Route 53 limits a change batch comment to 256 characters. */
const MAX_COMMENT = 256;

/** Route 53 accepts TTLs from 0 to 2147483647 seconds. */
const MAX_TTL = 2_147_483_647;

/**
 * A change's ChangeInfo.Status: PENDING until every Route 53 name server of the zone serves it, then INSYNC
 * (Route 53 API reference, ChangeInfo). Anything else is read as not yet in sync.
 */
const statusOf = (status: string | undefined): ChangeStatus => (status === 'INSYNC' ? 'insync' : 'pending');

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Keeps the retryable translation (throttling, busy, 5xx); a terminal refusal becomes a DNS-specific error. */
const asDnsError = (error: unknown, what: string): DrFailoverError => {
  const translated = translateAwsError(error, what, ROUTE53_BUSY_CODES);
  if (translated instanceof AwsRequestFailedError) {
    return new DnsChangeFailedError(translated.message, { cause: error });
  }
  return translated;
};

export interface Route53DnsSwitchDeps {
  /** Builds the client on first use; tests pass a mocked client. */
  route53?: () => Route53Client;
}

/** DnsSwitch on a Route 53 hosted zone: UPSERT the plan's one record, poll GetChange, read back with TestDNSAnswer. */
export class Route53DnsSwitch implements DnsSwitch {
  readonly #plan: DnsScope<'route53'>;
  readonly #makeClient: () => Route53Client;
  #client: Route53Client | undefined;
  #zone: Promise<HostedZoneFacts> | undefined;

  constructor(plan: DnsScope<'route53'>, deps: Route53DnsSwitchDeps = {}) {
    this.#plan = plan;
    this.#makeClient = deps.route53 ?? (() => clientFor(Route53Client, ROUTE53_CONTROL_PLANE_REGION));
  }

  /** Lazily: every step runs cold, and only UpdateDns, DnsStatus and Verify need Route 53 at all. */
  get #route53(): Route53Client {
    this.#client ??= this.#makeClient();
    return this.#client;
  }

  /**
   * UPSERT the plan's record to `target`. Idempotent: a retry, or a second run, writes the same record again and
   * never deletes it. Refuses, without calling Route 53, any record other than the plan's own: a step must not
   * be able to rewrite an arbitrary name in the zone.
   */
  async point(recordName: string, target: string, ttl: number): Promise<{ changeId: string; status: ChangeStatus }> {
    const dns = this.#plan.dns;
    if (canonicalName(recordName) !== canonicalName(dns.recordName)) {
      throw new DnsChangeFailedError(
        `refusing to change ${recordName}: plan ${this.#plan.name} may only change ${dns.recordName}`,
      );
    }
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
      throw new DnsChangeFailedError(`refusing to change ${dns.recordName}: TTL ${ttl} is not 0-${MAX_TTL} seconds`);
    }
    const value = target.trim();
    if (value === '' || /\s/.test(value)) {
      throw new DnsChangeFailedError(`refusing to point ${dns.recordName} at ${JSON.stringify(target)}: not a name`);
    }
    if (dns.recordType === 'A' && !IPV4.test(value)) {
      throw new DnsChangeFailedError(`refusing to point A record ${dns.recordName} at ${value}: not an IPv4 address`);
    }

    const what = `ChangeResourceRecordSets UPSERT ${dns.recordName} ${dns.recordType} ${value} in ${dns.hostedZoneId}`;
    try {
      const out = await this.#route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: dns.hostedZoneId,
          ChangeBatch: {
            Comment: `dr-failover: plan ${this.#plan.name} points ${dns.recordName} at ${value}`.slice(0, MAX_COMMENT),
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: dns.recordName,
                  Type: dns.recordType,
                  TTL: ttl,
                  ResourceRecords: [{ Value: value }],
                },
              },
            ],
          },
        }),
      );
      const changeId = out.ChangeInfo?.Id;
      if (!changeId) throw new DnsChangeFailedError(`${what}: Route 53 returned no change id`);
      return { changeId, status: statusOf(out.ChangeInfo?.Status) };
    } catch (error) {
      if (error instanceof DnsChangeFailedError) throw error;
      throw asDnsError(error, what);
    }
  }

  /**
   * PENDING until every Route 53 name server of the zone serves the change, then INSYNC. The id may be given with
   * or without its `/change/` prefix: the SDK strips it.
   */
  async changeStatus(changeId: string): Promise<ChangeStatus> {
    try {
      const out = await this.#route53.send(new GetChangeCommand({ Id: changeId }));
      return statusOf(out.ChangeInfo?.Status);
    } catch (error) {
      throw asDnsError(error, `GetChange ${changeId}`);
    }
  }

  /**
   * What the record answers now, each value without its trailing dot (a CNAME comes back as `writer.example.com.`).
   * Empty when the name does not exist. Chosen by the zone's type (GetHostedZone `Config.PrivateZone`, read once):
   * - public: TestDNSAnswer, the answer of Route 53's own authoritative name servers;
   * - private: ListResourceRecordSets, the record as the zone holds it. TestDNSAnswer only supports public zones,
   *   and the VPC resolver answers only inside the zone's VPCs, which the functions are not in. After GetChange
   *   says INSYNC every Route 53 name server serves the zone as listed, so this reads what the VPCs will resolve.
   * Refusals stay AwsRequestFailedError rather than a DNS change error: reading back failed, nothing was changed.
   */
  async resolve(recordName: string): Promise<string[]> {
    const zone = await this.#hostedZone();
    return zone.private ? this.#readBack(recordName) : this.#testDnsAnswer(recordName);
  }

  #hostedZone(): Promise<HostedZoneFacts> {
    this.#zone ??= readHostedZone(this.#route53, this.#plan.dns.hostedZoneId).catch((error: unknown) => {
      this.#zone = undefined; // a failed read is not remembered: the step's retry reads again
      throw error;
    });
    return this.#zone;
  }

  async #readBack(recordName: string): Promise<string[]> {
    const { hostedZoneId, recordType } = this.#plan.dns;
    const sets = await listRecordSetsNamed(this.#route53, hostedZoneId, recordName);
    return recordValues(sets.filter((s) => s.Type === recordType));
  }

  async #testDnsAnswer(recordName: string): Promise<string[]> {
    const dns = this.#plan.dns;
    try {
      const out = await this.#route53.send(
        new TestDNSAnswerCommand({
          HostedZoneId: dns.hostedZoneId,
          RecordName: recordName,
          RecordType: dns.recordType,
        }),
      );
      return (out.RecordData ?? []).map((value) => value.replace(/\.$/, ''));
    } catch (error) {
      throw translateAwsError(
        error,
        `TestDNSAnswer ${recordName} ${dns.recordType} in ${dns.hostedZoneId}`,
        ROUTE53_BUSY_CODES,
      );
    }
  }
}
