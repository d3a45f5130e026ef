/**
 * The plan's record as its Route 53 zone holds it (ListResourceRecordSets), with the zone (GetHostedZone: its apex
 * name, public or private) and every record set of the record's name: what UpdateDns's UPSERT will be validated
 * against and how Verify will read the record back. Works for private zones too, unlike TestDNSAnswer. Route 53's
 * control plane is served from us-east-1 only (see dns/route53.ts).
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { clientFor } from '#adapters/client-cache.js';
import { ROUTE53_CONTROL_PLANE_REGION } from '#adapters/dns/route53.js';
import { listRecordSetsNamed, readHostedZone, recordValues } from '#adapters/dns/route53-zone.js';
import type { PlanWithDns } from '#core/plan.js';
import type { DnsRecordFacts } from '#core/ports.js';

export interface Route53ReadinessDeps {
  route53?: () => Route53Client;
}

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
   * Every value of the plan's record name and type (plain records, alias targets, each set of a weighted or
   * failover routing policy), the zone, and the types and routing policies of every set of that name.
   */
  async dnsRecord(): Promise<DnsRecordFacts> {
    const { hostedZoneId, recordName, recordType } = this.#plan.dns;
    const client = this.#makeClient();
    const [zone, sets] = await Promise.all([
      readHostedZone(client, hostedZoneId),
      listRecordSetsNamed(client, hostedZoneId, recordName),
    ]);
    const mine = sets.filter((s) => s.Type === recordType);
    const values = recordValues(mine);
    const role = (r: 'PRIMARY' | 'SECONDARY') => recordValues(mine.filter((s) => s.Failover === r));
    const failover = mine.some((s) => s.Failover)
      ? { primary: role('PRIMARY'), secondary: role('SECONDARY') }
      : undefined;
    return {
      values,
      detail:
        mine.length === 0
          ? `${recordName} ${recordType} not found in zone ${hostedZoneId}`
          : `${recordName} ${recordType} in ${hostedZoneId}: ${values.join(', ')}`,
      zone,
      sameName: sets.map((s) => ({ type: s.Type ?? '', routingPolicy: s.SetIdentifier !== undefined })),
      ...(failover ? { failover } : {}),
    };
  }
}
