/**
 * The plan's record as its Route 53 zone holds it (ListResourceRecordSets): works for private zones too, unlike
 * TestDNSAnswer. Route 53's control plane is served from us-east-1 only (see dns/route53.ts).
 */
import {
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ROUTE53_CONTROL_PLANE_REGION } from '#adapters/dns/route53.js';
import type { PlanWithDns } from '#core/plan.js';
import type { DnsRecordFacts } from '#core/ports.js';

export interface Route53ReadinessDeps {
  route53?: () => Route53Client;
}

const canonical = (name: string) => name.replace(/\.$/, '').toLowerCase();
const MAX_PAGES = 5;

export class Route53RecordReader {
  readonly #plan: PlanWithDns<'route53'>;
  readonly #makeClient: () => Route53Client;

  constructor(plan: PlanWithDns<'route53'>, deps: Route53ReadinessDeps = {}) {
    this.#plan = plan;
    this.#makeClient =
      deps.route53 ??
      (() => clientFor(Route53Client, ROUTE53_CONTROL_PLANE_REGION, { maxAttempts: 2, requestTimeoutMs: 5000 }));
  }

  /**
   * Every value of the plan's record name and type: plain records, alias targets, and each set of a weighted or
   * failover routing policy (they share name and type, so they may span pages).
   */
  async dnsRecord(): Promise<DnsRecordFacts> {
    const { hostedZoneId, recordName, recordType } = this.#plan.dns;
    const what = `ListResourceRecordSets ${recordName} ${recordType} in ${hostedZoneId}`;
    const client = this.#makeClient();
    const sets: ResourceRecordSet[] = [];
    let start: { name: string; type: string; id?: string } | undefined = { name: recordName, type: recordType };
    try {
      for (let page = 0; start && page < MAX_PAGES; page++) {
        const out: ListResourceRecordSetsCommandOutput = await client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            StartRecordName: start.name,
            StartRecordType: start.type as ResourceRecordSet['Type'],
            ...(start.id ? { StartRecordIdentifier: start.id } : {}),
            MaxItems: 10,
          }),
        );
        const mine = (out.ResourceRecordSets ?? []).filter(
          (s) => canonical(s.Name ?? '') === canonical(recordName) && s.Type === recordType,
        );
        sets.push(...mine);
        // Listing is ordered by name then type: once another name or type shows up, ours are all read.
        const more: boolean =
          out.IsTruncated === true &&
          canonical(out.NextRecordName ?? '') === canonical(recordName) &&
          out.NextRecordType === recordType;
        start = more
          ? {
              name: recordName,
              type: recordType,
              ...(out.NextRecordIdentifier ? { id: out.NextRecordIdentifier } : {}),
            }
          : undefined;
      }
    } catch (error) {
      throw translateAwsError(error, what, ['PriorRequestNotComplete']);
    }
    const values = sets.flatMap((s) =>
      s.AliasTarget?.DNSName
        ? [s.AliasTarget.DNSName.replace(/\.$/, '')]
        : (s.ResourceRecords ?? []).flatMap((r) => (r.Value ? [r.Value.replace(/\.$/, '')] : [])),
    );
    return {
      values,
      detail:
        sets.length === 0
          ? `${recordName} ${recordType} not found in zone ${hostedZoneId}`
          : `${recordName} ${recordType} in ${hostedZoneId}: ${values.join(', ')}`,
    };
  }
}
