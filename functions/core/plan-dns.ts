/**
 * The plan's `dns` section: Route 53 (a record in a hosted zone) or the drill's local DNS server. What Route 53
 * would refuse at UpdateDns and the plan alone shows is refused here, when the plan is loaded, not after a
 * promotion: a CNAME at the zone apex, an A record for a host name. What only Route 53 shows (routing-policy
 * records, other types at the name, the zone's real apex) is the readiness dns check's (readiness/dns-route53.ts).
 */
import * as z from 'zod';

const canonical = (name: string) => name.replace(/\.$/, '').toLowerCase();

const dnsName = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i,
    'must be a fully qualified DNS name',
  );

const route53Dns = z
  .object({
    kind: z.literal('route53'),
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
    /** The zone's apex name; the record must lie inside it. */
    zoneName: dnsName,
    recordName: dnsName,
    recordType: z.enum(['CNAME', 'A']).default('CNAME'),
    ttl: z.number().int().min(0).max(86400),
  })
  .strict()
  .refine(
    (d) =>
      canonical(d.recordName) === canonical(d.zoneName) ||
      canonical(d.recordName).endsWith(`.${canonical(d.zoneName)}`),
    {
      message: 'recordName must lie inside zoneName',
      path: ['recordName'],
    },
  )
  // Route 53 refuses a CNAME at the zone apex (ChangeResourceRecordSets InvalidChangeBatch), after the promotion.
  .refine((d) => d.recordType !== 'CNAME' || canonical(d.recordName) !== canonical(d.zoneName), {
    message: 'a CNAME recordName must not be the zone apex (zoneName): Route 53 refuses it',
    path: ['recordName'],
  });

const loopbackHostPort = z
  .string()
  .regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$/, 'must be a loopback host:port such as 127.0.0.1:5353');

/** The drill's DNS server on loopback (lab/dns-server.ts). */
const localDns = z
  .object({
    kind: z.literal('local'),
    /** host:port of the server's HTTP control endpoint (record changes and their status). */
    controlEndpoint: loopbackHostPort,
    /** host:port of the server's DNS (UDP) listener, which clients resolve through. */
    nameserver: loopbackHostPort,
    recordName: dnsName,
    recordType: z.enum(['A']).default('A'),
    ttl: z.number().int().min(0).max(86400),
  })
  .strict();

export const dnsConfig = z.discriminatedUnion('kind', [route53Dns, localDns]);
export type DnsConfig = z.infer<typeof dnsConfig>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Why the record type cannot hold the DNS target (undefined when it can): an A record holds an IPv4 address, and
 * Route 53 refuses a host name in it (RDS and Aurora endpoints are host names: they need a CNAME).
 */
export const recordTypeRefusal = (dns: DnsConfig, target: string): string | undefined =>
  dns.kind === 'route53' && dns.recordType === 'A' && !IPV4.test(target)
    ? `must be CNAME: the DNS target is a host name (${target}), not an IPv4 address`
    : undefined;
