/**
 * What only Route 53 can tell about the plan's record before a failover: whether UpdateDns's simple UPSERT would be
 * refused (InvalidChangeBatch, after the database was promoted), and how Verify will read the record back. The plan
 * schema refuses what the plan alone shows (functions/core/plan-dns.ts); this needs the zone and its records.
 */
import type { Plan } from '../plan.js';
import type { DnsConfig } from '../plan-dns.js';
import type { DnsRecordFacts } from '../ports.js';

const canonical = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** The two ways Verify reads a Route 53 record back (functions/adapters/dns/route53.ts `resolve`). */
export const verifyMethodOf = (zone: { private: boolean }): string =>
  zone.private
    ? 'ListResourceRecordSets (private zone: the record as the zone holds it; TestDNSAnswer supports public zones only)'
    : "TestDNSAnswer (public zone: the answer of Route 53's authoritative name servers)";

/**
 * Each refusal Route 53 would give UpdateDns, as `field: why`. The rules are those of ChangeResourceRecordSets:
 * no CNAME at the zone apex, a CNAME shares its name with no other type, and a simple record does not sit beside
 * weighted, failover, latency or other routing-policy records of the same name and type.
 */
export const route53Refusals = (dns: Extract<DnsConfig, { kind: 'route53' }>, facts: DnsRecordFacts): string[] => {
  const refusals: string[] = [];
  const name = canonical(dns.recordName);
  const { zone, sameName = [] } = facts;
  if (zone && zone.name !== canonical(dns.zoneName)) {
    refusals.push(`dns.zoneName: zone ${dns.hostedZoneId} is ${zone.name}, not ${canonical(dns.zoneName)}`);
  }
  if (zone && dns.recordType === 'CNAME' && name === zone.name) {
    refusals.push(`dns.recordName: ${name} is the apex of zone ${zone.name}, where Route 53 refuses a CNAME`);
  }
  const otherTypes = [...new Set(sameName.map((s) => s.type).filter((t) => t !== dns.recordType))];
  if (dns.recordType === 'CNAME' && otherTypes.length > 0) {
    refusals.push(`dns.recordType: ${name} also has ${otherTypes.join(', ')} records; a CNAME may not share its name`);
  }
  if (dns.recordType !== 'CNAME' && otherTypes.includes('CNAME')) {
    refusals.push(`dns.recordType: ${name} is a CNAME in the zone; an ${dns.recordType} record may not share its name`);
  }
  if (sameName.some((s) => s.type === dns.recordType && s.routingPolicy)) {
    refusals.push(
      `dns.recordName: ${name} ${dns.recordType} has routing-policy records (weighted, failover, latency...); ` +
        'Route 53 refuses the simple UPSERT UpdateDns sends beside them',
    );
  }
  return refusals;
};

/**
 * Can Verify's resolver answer the record? A plan whose Verify resolves (`routing-control`, `health-check`, or
 * `upsert` with `traffic.verify`) on a private hosted zone needs a resolver of a VPC associated with the zone:
 * "a private hosted zone ... how you want Route 53 to respond to DNS queries for a domain and its subdomains within
 * one or more VPCs" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html). A function
 * outside any VPC asks the Lambda service's resolver, which answers public names only. Undefined: nothing to say.
 */
export const verifyReach = (
  plan: Pick<Plan, 'traffic' | 'regions'>,
  zone: NonNullable<DnsRecordFacts['zone']>,
): { status: 'OK' | 'WARN' | 'CRITICAL'; text: string } | undefined => {
  const resolves = plan.traffic.kind !== 'upsert' || plan.traffic.verify !== undefined;
  if (!resolves || !zone.private) return undefined;
  const vpc = plan.traffic.verify?.vpc;
  const region = plan.regions.standby;
  const associated = (zone.vpcs ?? []).map((v) => `${v.id} (${v.region})`).join(', ') || 'none listed';
  const isAssociated = (id: string, at: string) => (zone.vpcs ?? []).some((v) => v.id === id && v.region === at);
  if (vpc && !isAssociated(vpc.vpcId, region)) {
    return {
      status: 'CRITICAL',
      text: `Verify runs in ${vpc.vpcId} (${region}), which is not associated with the private zone (associated: ${associated}): its resolver cannot answer the record, so every run would fail Verify after moving traffic`,
    };
  }
  // The way back runs in the primary region's stack, Verify there in traffic.verify.wayBackVpc (core/direction.ts).
  const back = plan.traffic.verify?.wayBackVpc;
  if (vpc && back && !isAssociated(back.vpcId, plan.regions.primary)) {
    return {
      status: 'WARN',
      text: `Verify resolves in ${vpc.vpcId}, associated with the private zone; but the way back's Verify runs in ${back.vpcId} (${plan.regions.primary}), which is not (associated: ${associated}): a failback would fail Verify after moving traffic back`,
    };
  }
  if (vpc) return { status: 'OK', text: `Verify resolves in ${vpc.vpcId}, associated with the private zone` };
  const resolvers = plan.traffic.verify?.resolvers;
  if (resolvers) {
    return {
      status: 'WARN',
      text: `Verify runs outside any VPC and asks ${resolvers.join(', ')} for a private zone: they must be reachable from the Lambda service's network and answer the zone (set traffic.verify.vpc to a VPC associated with it)`,
    };
  }
  return {
    status: 'CRITICAL',
    text: `Verify runs outside any VPC, where the Lambda service's resolver does not answer a private zone: every run would fail Verify after moving traffic (set traffic.verify.vpc to a VPC of ${region} associated with the zone; associated: ${associated})`,
  };
};
