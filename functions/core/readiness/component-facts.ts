/**
 * What readiness reads of a plan's components (plan `components`), one set of facts per component, judged by
 * ./components.ts. Each read is a `Part`: its answer, or why it could not be read, so that one refused call (say
 * the replication rule, read in the primary region) is judged beside the others instead of hiding them.
 *
 * On its own file beside ports.ts, which instantiates it with its own capacity, database and function facts
 * (`ComponentFacts`) and adds the probe to ReadinessProbes.
 */
import type { RouteState } from '../access-point.js';
import type { GateVerdict } from '../replication-gates.js';

/** A read that did not answer. */
export interface PartRefused {
  ok: false;
  /** The named error, `Name: message`. */
  error: string;
  /** Throttled, a 5xx, no answer in time: it may answer next time. */
  retryable: boolean;
  /** AWS refused for want of permission: the IAM action the readiness role lacks. */
  deniedAction?: string;
}

export type Part<T> = { ok: true; value: T } | PartRefused;

/** One replication rule of the source bucket, as GetBucketReplication returns it. */
export interface ReplicationRuleFacts {
  /** False when the bucket has no replication configuration or no rule of the plan's `ruleId`. */
  exists: boolean;
  /** `Enabled` | `Disabled`. */
  status?: string;
  /** The rule's destination bucket (its name, from the ARN the rule holds). */
  destinationBucket?: string;
  /** Replication Time Control: `Enabled` | `Disabled`; absent when the rule does not set it. */
  replicationTime?: string;
  /** Replication metrics: `Enabled` | `Disabled`; absent when the rule does not set them. */
  metrics?: string;
  detail: string;
}

/** The global table as DescribeTable answers in the standby region: its own table there, and the replicas it lists. */
export interface TableReplicaFacts {
  /** False when the standby region has no table of that name. */
  exists: boolean;
  /** `ACTIVE`, `UPDATING`, `CREATING`, `DELETING`, `INACCESSIBLE_ENCRYPTION_CREDENTIALS` ... */
  tableStatus?: string;
  replicas: { region: string; status?: string }[];
}

/** A Multi-Region Access Point's routes, from the failover control Region that answered. */
export interface AccessPointRouteFacts {
  routes: RouteState[];
  answeredBy: string;
}

/** The facts of one component, by kind; the capacity, standby, lag and function facts are the ports' own. */
export type ComponentFactsOf<Capacity, Standby, Lag, Fn> =
  | {
      kind: 's3-replication';
      gate: Part<GateVerdict>;
      rule: Part<ReplicationRuleFacts>;
      /** Only for a component with an `accessPoint`. */
      routes?: Part<AccessPointRouteFacts>;
    }
  | { kind: 'dynamodb-global-table'; gate: Part<GateVerdict>; replica: Part<TableReplicaFacts> }
  | { kind: 'capacity'; target: Part<Capacity> }
  | { kind: 'custom-action'; function: Part<Fn> }
  | { kind: 'database'; standby: Part<Standby>; lag: Part<Lag> };
