/**
 * A stateful Route 53, plugged behind the `route53` mock of test/statemachine/support.ts so the real handlers see
 * it: hosted zones (public and private), record sets with routing policies, ChangeResourceRecordSets validated as
 * AWS validates it, GetChange PENDING → INSYNC on a virtual clock, TestDNSAnswer (public zones only),
 * ListResourceRecordSets and GetHostedZone, and a control plane that lives in us-east-1 and can be down.
 *
 * Every behaviour names the AWS page it is modelled on. Where AWS documents that a request is refused but not the
 * exact message, the error class is the one the API reference lists and the message is ours (said so below).
 */
import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsRequest,
  GetChangeCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsRequest,
  NoSuchHostedZone,
  type ResourceRecordSet,
  Route53ServiceException,
  TestDNSAnswerCommand,
  type TestDNSAnswerRequest,
} from '@aws-sdk/client-route-53';
import { route53 } from '../statemachine/support.js';

export interface WorldZone {
  id: string;
  /** The zone's apex name, without the trailing dot. */
  name: string;
  private: boolean;
  records: ResourceRecordSet[];
}

interface WorldChange {
  id: string;
  submittedAt: number;
}

const canonical = (name: string | undefined) => (name ?? '').replace(/\.$/, '').toLowerCase();
const fqdn = (name: string | undefined) => `${canonical(name)}.`;
const bareZoneId = (id: string | undefined) => (id ?? '').replace(/^\/hostedzone\//, '');

/** Routing policies other than simple: a record set that has one carries a SetIdentifier (API_ResourceRecordSet). */
const hasRoutingPolicy = (s: ResourceRecordSet) => s.SetIdentifier !== undefined;

/**
 * Route 53's control plane is served from us-east-1 only: https://docs.aws.amazon.com/general/latest/gr/r53.html
 * ("Route 53 in AWS Regions other than the Beijing and Ningxia Regions: specify us-east-1 as the Region", the
 * endpoint route53.amazonaws.com for every region). A client configured for another region is a
 * bug of ours, not something AWS would refuse (the SDK routes it to the global endpoint), so the world fails the
 * test loudly instead of answering it.
 */
const CONTROL_PLANE_REGION = 'us-east-1';

const invalidChangeBatch = (message: string) =>
  new InvalidChangeBatch({ $metadata: { httpStatusCode: 400 }, message, messages: [message] });

/**
 * `propagationSeconds`: how long a change stays PENDING. `secondsPerStatusCheck`: how far the clock moves before
 * each GetChange, standing in for the state machine's WaitForDns (which the tests run with zero waits).
 */
export const route53Zones = (options: { propagationSeconds?: number; secondsPerStatusCheck?: number } = {}) => {
  const zones = new Map<string, WorldZone>();
  const changes = new Map<string, WorldChange>();
  const propagationMs = (options.propagationSeconds ?? 30) * 1000;
  let clock = 0;
  let down = false;
  let changeCount = 0;
  const regions: string[] = [];

  const zoneOf = (id: string | undefined): WorldZone => {
    const zone = zones.get(bareZoneId(id));
    // NoSuchHostedZone is the documented error of every zone-scoped action (API_GetHostedZone, API_ChangeResourceRecordSets).
    if (!zone)
      throw new NoSuchHostedZone({
        $metadata: { httpStatusCode: 404 },
        message: `No hosted zone found with ID: ${id}`,
      });
    return zone;
  };

  /** The control plane in us-east-1: down → every call is a 503, as a regional outage of it would answer. */
  const controlPlane = async <T>(getClient: () => { config: { region: () => Promise<string> } }, answer: () => T) => {
    const region = await getClient().config.region();
    regions.push(region);
    if (region !== CONTROL_PLANE_REGION) {
      throw new Error(`test world: Route 53 control-plane call sent from ${region}, not ${CONTROL_PLANE_REGION}`);
    }
    if (down) {
      throw new Route53ServiceException({
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'Service Unavailable',
      });
    }
    return answer();
  };

  const sameNameAndType = (zone: WorldZone, s: ResourceRecordSet) =>
    zone.records.filter((r) => canonical(r.Name) === canonical(s.Name) && r.Type === s.Type);

  /**
   * What ChangeResourceRecordSets refuses with InvalidChangeBatch, one rule per documented source. The batch is
   * transactional (API_ChangeResourceRecordSets: "Route 53 validates the changes in the request and then either
   * makes all or none of the changes"), so every change is validated before any is applied.
   */
  const refusal = (zone: WorldZone, s: ResourceRecordSet): string | undefined => {
    const name = canonical(s.Name);
    // The record must lie in the zone (API_ChangeResourceRecordSets, InvalidChangeBatch; message as AWS words it).
    if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
      return `RRSet with DNS name ${fqdn(name)} is not permitted in zone ${fqdn(zone.name)}`;
    }
    // "If you're creating a record that has a value of CNAME for Record type, the name of the record can't be the
    // same as the name of the hosted zone." resource-record-sets-values-shared.html#rrsets-values-common-name, and
    // resource-record-sets-choosing-alias-non-alias.html ("You can't create a CNAME record for example.com"). The
    // wording follows what Route 53 is reported to answer; AWS does not document it.
    if (s.Type === 'CNAME' && name === zone.name) {
      return `RRSet of type CNAME with DNS name ${fqdn(name)} is not permitted at apex in zone ${fqdn(zone.name)}`;
    }
    // A CNAME may not share its name with any other record (RFC 1034 3.6.2, which Route 53 enforces; the alias page
    // above: an alias for example.com may route to www.example.com "as long as the record type for www.example.com
    // is not of type CNAME"). InvalidChangeBatch; the wording is ours.
    const sameName = zone.records.filter((r) => canonical(r.Name) === name);
    if (sameName.some((r) => (s.Type === 'CNAME') !== (r.Type === 'CNAME'))) {
      return `RRSet of type ${s.Type} with DNS name ${fqdn(name)} is not permitted because a conflicting RRSet of type ${s.Type === 'CNAME' ? sameName.find((r) => r.Type !== 'CNAME')?.Type : 'CNAME'} with the same DNS name already exists in zone ${fqdn(zone.name)}.`;
    }
    // A simple record (no SetIdentifier) cannot sit beside weighted, failover, latency ... records of the same name
    // and type, nor they beside it: resource-record-sets-values-basic.html (simple routing: one record per name and
    // type) and API_ResourceRecordSet.html (SetIdentifier: "for each group of ... records that have the same name
    // and type"). The message is ours: AWS documents the refusal (InvalidChangeBatch), not its wording.
    const group = sameNameAndType(zone, s).filter((r) => r.SetIdentifier !== s.SetIdentifier);
    if (group.some((r) => hasRoutingPolicy(r) !== hasRoutingPolicy(s))) {
      return `Tried to create resource record set ${fqdn(name)} type ${s.Type} with${hasRoutingPolicy(s) ? '' : 'out'} a routing policy, but ${fqdn(name)} type ${s.Type} already has record sets with${hasRoutingPolicy(s) ? 'out' : ''} one`;
    }
    return undefined;
  };

  const apply = (zone: WorldZone, action: string, s: ResourceRecordSet) => {
    const same = (r: ResourceRecordSet) =>
      canonical(r.Name) === canonical(s.Name) && r.Type === s.Type && r.SetIdentifier === s.SetIdentifier;
    const existing = zone.records.findIndex(same);
    if (action === 'CREATE' && existing >= 0) {
      // API_Change (Action): CREATE fails when a record set of that name and type exists; DELETE when none does.
      throw invalidChangeBatch(
        `Tried to create resource record set ${fqdn(s.Name)} type ${s.Type} but it already exists`,
      );
    }
    if (action === 'DELETE') {
      if (existing < 0) {
        throw invalidChangeBatch(
          `Tried to delete resource record set ${fqdn(s.Name)} type ${s.Type} but it was not found`,
        );
      }
      zone.records.splice(existing, 1);
      return;
    }
    const record = { ...structuredClone(s), Name: fqdn(s.Name) };
    if (existing >= 0) zone.records[existing] = record;
    else zone.records.push(record);
  };

  route53.on(ChangeResourceRecordSetsCommand).callsFake((input: ChangeResourceRecordSetsRequest, getClient) =>
    controlPlane(getClient, () => {
      const zone = zoneOf(input.HostedZoneId);
      const batch = input.ChangeBatch?.Changes ?? [];
      const draft: WorldZone = { ...zone, records: structuredClone(zone.records) };
      for (const c of batch) {
        const s = c.ResourceRecordSet;
        // API_ChangeResourceRecordSets: a change without its record set is InvalidInput.
        if (!s)
          throw new InvalidInput({ $metadata: { httpStatusCode: 400 }, message: 'ResourceRecordSet is required' });
        if (c.Action !== 'DELETE') {
          const problem = refusal(
            {
              ...draft,
              records: draft.records.filter(
                (r) =>
                  !(
                    canonical(r.Name) === canonical(s.Name) &&
                    r.Type === s.Type &&
                    r.SetIdentifier === s.SetIdentifier
                  ),
              ),
            },
            s,
          );
          if (problem) throw invalidChangeBatch(`[${problem}]`);
        }
        apply(draft, c.Action ?? 'UPSERT', s);
      }
      zone.records = draft.records;
      changeCount += 1;
      const id = `C${String(changeCount).padStart(12, '0')}`;
      changes.set(id, { id, submittedAt: clock });
      // API_ChangeResourceRecordSets: a change is PENDING until every Route 53 name server serves it.
      return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: new Date(clock) } };
    }),
  );

  // API_ChangeResourceRecordSets: "Initially, the status of a change is PENDING. This means the change has not yet
  // propagated to all the authoritative Route 53 DNS servers. When the change is propagated to all hosts, the change
  // returns a status of INSYNC" (GetChange reads it). Here: after `propagationSeconds` of the clock.
  route53.on(GetChangeCommand).callsFake((input: { Id?: string }, getClient) =>
    controlPlane(getClient, () => {
      clock += (options.secondsPerStatusCheck ?? 5) * 1000;
      const change = changes.get((input.Id ?? '').replace(/^\/change\//, ''));
      if (!change)
        throw new Route53ServiceException({
          name: 'NoSuchChange',
          $fault: 'client',
          $metadata: { httpStatusCode: 404 },
          message: `A change with the specified change ID does not exist: ${input.Id}`,
        });
      const insync = clock - change.submittedAt >= propagationMs;
      return {
        ChangeInfo: {
          Id: `/change/${change.id}`,
          Status: insync ? 'INSYNC' : 'PENDING',
          SubmittedAt: new Date(change.submittedAt),
        },
      };
    }),
  );

  // API_GetHostedZone: HostedZone.Config.PrivateZone says whether the zone is private.
  route53.on(GetHostedZoneCommand).callsFake((input: { Id?: string }, getClient) =>
    controlPlane(getClient, () => {
      const zone = zoneOf(input.Id);
      return {
        HostedZone: {
          Id: `/hostedzone/${zone.id}`,
          Name: fqdn(zone.name),
          CallerReference: zone.id,
          Config: { PrivateZone: zone.private },
          ResourceRecordSetCount: zone.records.length,
        },
      };
    }),
  );

  // API_ListResourceRecordSets: sorted by name (labels reversed) then type, starting at StartRecordName/Type.
  route53.on(ListResourceRecordSetsCommand).callsFake((input: ListResourceRecordSetsRequest, getClient) =>
    controlPlane(getClient, () => {
      const zone = zoneOf(input.HostedZoneId);
      const key = (name: string | undefined) => canonical(name).split('.').reverse().join('.');
      const sorted = [...zone.records].sort(
        (a, b) => key(a.Name).localeCompare(key(b.Name)) || (a.Type ?? '').localeCompare(b.Type ?? ''),
      );
      const start = sorted.findIndex(
        (r) =>
          key(r.Name) > key(input.StartRecordName) ||
          (key(r.Name) === key(input.StartRecordName) &&
            (!input.StartRecordType || (r.Type ?? '') >= input.StartRecordType)),
      );
      const from = start < 0 ? [] : sorted.slice(start);
      const max = input.MaxItems ?? 300;
      const page = from.slice(0, max);
      const next = from[max];
      return {
        ResourceRecordSets: structuredClone(page),
        IsTruncated: next !== undefined,
        MaxItems: max,
        ...(next
          ? {
              NextRecordName: next.Name,
              NextRecordType: next.Type,
              ...(next.SetIdentifier ? { NextRecordIdentifier: next.SetIdentifier } : {}),
            }
          : {}),
      };
    }),
  );

  // API_TestDNSAnswer: "This call only supports querying public hosted zones." Its documented errors are
  // InvalidInput and NoSuchHostedZone; AWS does not document the message for a private zone, so it is ours.
  route53.on(TestDNSAnswerCommand).callsFake((input: TestDNSAnswerRequest, getClient) =>
    controlPlane(getClient, () => {
      const zone = zoneOf(input.HostedZoneId);
      if (zone.private) {
        throw new InvalidInput({
          $metadata: { httpStatusCode: 400 },
          message: `TestDNSAnswer does not support private hosted zone ${zone.id}`,
        });
      }
      const sets = zone.records.filter(
        (r) => canonical(r.Name) === canonical(input.RecordName) && r.Type === input.RecordType,
      );
      const data = sets.flatMap((s) =>
        s.AliasTarget?.DNSName ? [s.AliasTarget.DNSName] : (s.ResourceRecords ?? []).map((r) => r.Value ?? ''),
      );
      return {
        Nameserver: 'ns-1.awsdns-01.org',
        RecordName: input.RecordName,
        RecordType: input.RecordType,
        RecordData: data,
        ResponseCode: sets.length > 0 ? 'NOERROR' : 'NXDOMAIN',
        Protocol: 'UDP',
      };
    }),
  );

  return {
    /** A hosted zone; `records` as ResourceRecordSets (names without the trailing dot are fine). */
    zone(zone: { id: string; name: string; private: boolean; records?: ResourceRecordSet[] }) {
      zones.set(zone.id, {
        id: zone.id,
        name: canonical(zone.name),
        private: zone.private,
        records: (zone.records ?? []).map((r) => ({ ...r, Name: fqdn(r.Name) })),
      });
    },
    records: (zoneId: string): ResourceRecordSet[] => structuredClone(zoneOf(zoneId).records),
    /** The virtual clock: changes propagate when it passes their propagation delay. */
    advance(seconds: number) {
      clock += seconds * 1000;
    },
    setDown(value: boolean) {
      down = value;
    },
    /** The regions the control-plane calls were sent from. */
    regions: () => [...regions],
  };
};
