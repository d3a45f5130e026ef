/**
 * Reads of a Route 53 hosted zone that the DnsSwitch (Verify on a private zone) and the readiness check share:
 * the zone itself (GetHostedZone) and every record set of one name (ListResourceRecordSets). Both work for public
 * and private zones and need no VPC attachment: they are control-plane reads (us-east-1, see ./route53.ts).
 */
import {
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { translateAwsError } from '#adapters/aws-errors.js';
import type { DrFailoverError } from '#core/errors.js';

/** PriorRequestNotComplete: another change to the zone is still being processed; the same request succeeds later. */
export const ROUTE53_BUSY_CODES = ['PriorRequestNotComplete'] as const;

/** Names compare without case and without the trailing dot (Route 53 answers with it, plans are written without). */
export const canonicalName = (name: string | undefined) => (name ?? '').replace(/\.$/, '').toLowerCase();

export interface HostedZoneFacts {
  /** The zone's apex name, without the trailing dot. */
  name: string;
  private: boolean;
  /** A private zone's associated VPCs (GetHostedZone `VPCs`): only their resolvers answer it. */
  vpcs?: { id: string; region: string }[];
}

const translated = (error: unknown, what: string): DrFailoverError =>
  translateAwsError(error, what, ROUTE53_BUSY_CODES);

/** GetHostedZone: the zone's name and whether it is private (`Config.PrivateZone`). */
export const readHostedZone = async (client: Route53Client, zoneId: string): Promise<HostedZoneFacts> => {
  try {
    const out = await client.send(new GetHostedZoneCommand({ Id: zoneId }));
    const isPrivate = out.HostedZone?.Config?.PrivateZone === true;
    return {
      name: canonicalName(out.HostedZone?.Name),
      private: isPrivate,
      ...(isPrivate ? { vpcs: (out.VPCs ?? []).map((v) => ({ id: v.VPCId ?? '', region: v.VPCRegion ?? '' })) } : {}),
    };
  } catch (error) {
    throw translated(error, `GetHostedZone ${zoneId}`);
  }
};

/** A name has a handful of record sets (one per type, or one per routing-policy member): a few pages at most. */
const MAX_PAGES = 5;
const PAGE_SIZE = 20;

/**
 * Every record set of `name`, of every type and routing policy. The listing is ordered by name then type and starts
 * at the name, so the name's sets come first; paging stops at the first set of another name.
 */
export const listRecordSetsNamed = async (
  client: Route53Client,
  zoneId: string,
  name: string,
): Promise<ResourceRecordSet[]> => {
  const sets: ResourceRecordSet[] = [];
  let start: { type?: string; id?: string } | undefined = {};
  try {
    for (let page = 0; start && page < MAX_PAGES; page++) {
      const out: ListResourceRecordSetsCommandOutput = await client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: name,
          ...(start.type ? { StartRecordType: start.type as ResourceRecordSet['Type'] } : {}),
          ...(start.id ? { StartRecordIdentifier: start.id } : {}),
          MaxItems: PAGE_SIZE,
        }),
      );
      const listed = out.ResourceRecordSets ?? [];
      sets.push(...listed.filter((s) => canonicalName(s.Name) === canonicalName(name)));
      const more = out.IsTruncated === true && canonicalName(out.NextRecordName) === canonicalName(name);
      start = more
        ? {
            ...(out.NextRecordType ? { type: out.NextRecordType } : {}),
            ...(out.NextRecordIdentifier ? { id: out.NextRecordIdentifier } : {}),
          }
        : undefined;
    }
  } catch (error) {
    throw translated(error, `ListResourceRecordSets ${name} in ${zoneId}`);
  }
  return sets;
};

/** The values of record sets as a resolver would see them: alias targets and plain values, without trailing dots. */
export const recordValues = (sets: ResourceRecordSet[]): string[] =>
  sets.flatMap((s) =>
    s.AliasTarget?.DNSName
      ? [s.AliasTarget.DNSName.replace(/\.$/, '')]
      : (s.ResourceRecords ?? []).flatMap((r) => (r.Value ? [r.Value.replace(/\.$/, '')] : [])),
  );
