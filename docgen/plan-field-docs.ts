/**
 * What every plan field means, for people: docs/plans.md is generated from the schema (functions/core/plan.ts)
 * and these words (`npm run docs`).
 *
 * Kept here, on the docs side, and not in the schema (`.describe()`): every Lambda bundle imports the plan
 * schema, and every step runs cold, so prose that no step reads would be shipped and loaded on every cold start.
 * Keyed by dotted path; a field shared by several kinds of a union (`dns.recordName`) has one entry.
 * test/unit/docs.test.ts fails when a schema field has no entry here, or an entry names no field.
 */

/** `database.primary` and `database.standby` of a self-managed plan have the same shape. */
const pgEndpoint = (path: string, which: string, role: string): Record<string, string> => ({
  [path]: `How the functions reach the ${which} (${role}).`,
  [`${path}.host`]: `Host name or address of the ${which}, as the functions (in the standby region's network) reach it.`,
  [`${path}.port`]: 'PostgreSQL port.',
  [`${path}.database`]: 'Database to connect to; every check runs there.',
  [`${path}.credentials`]: `Where the ${which}'s user name and password are found: a reference, never the secret itself. The user needs \`pg_monitor\` for the lag checks, and superuser or \`pg_promote\`/\`ALTER SYSTEM\` rights for promotion and fencing.`,
  [`${path}.credentials.secretsManager`]:
    'Secrets Manager secret (ARN or name) whose SecretString is JSON `{"username": …, "password": …}`. An ARN must name the plan\'s account and its standby region (replicate a secret of the primary there): the stack reads it while the primary region may be dark. The only kind a deployed plan may use.',
  [`${path}.credentials.kmsKeyArn`]:
    "Optional: the ARN of the customer managed KMS key the secret is encrypted with (a key in the standby region, not an alias). The functions that read the secret are then allowed `kms:Decrypt` on that key, only through Secrets Manager in the stack's region (`kms:ViaService`); the key's policy must let IAM policies of the account grant it (the default key policy does). Leave it out for Secrets Manager's own key (`aws/secretsmanager`).",
  [`${path}.credentials.env`]:
    'Name of an environment variable holding JSON `{"username": …, "password": …}`. Local runs only: packaging refuses it, since it would put the password in the functions\' environment.',
  [`${path}.credentials.file`]:
    'Path of a JSON file `{"username": …, "password": …}`. The local drill uses this; packaging refuses it, since it would put the password in the deployment package.',
});

export const PLAN_FIELD_DOCS: Record<string, string> = {
  ...pgEndpoint(
    'artifacts.registry',
    'model registry database',
    "read-only: the artifact query, on the standby region's copy",
  ),
  name: 'The plan\'s name. It is what a run\'s input names (`"plan": "orders"`), and it becomes part of execution names (`<plan>-<kind>-<window>`), rule names and resource names, hence the short slug.',
  description: 'What the plan protects, in words. Shown in notifications.',
  regions: 'Where the database lives now and where it fails over to.',
  'regions.primary': 'The region of the current primary (the writer today).',
  'regions.standby':
    "The region the plan fails over to. The failover stack must be deployed there: Prepare refuses a plan whose standby region is not the stack's own.",
  accountId: "The AWS account that owns the plan's resources; every ARN in the plan must name it.",

  trigger: 'What starts a run without a person typing the command.',
  'trigger.alarms':
    'CloudWatch alarm names, in the standby region, whose transition into `ALARM` starts a run of this plan (a change from `ALARM` to `ALARM` does not). The alarms must observe the primary from outside its region (Route 53 health checks, canaries, metric alarms evaluated in the standby region), so they still fire when that region is dark.',
  'trigger.wayBackAlarms':
    "CloudWatch alarm names, in the primary region, that watch the standby region from outside it. Their transition into `ALARM` starts, in the primary region's stack, an unplanned run of the plan turned round: the next incident after a way out, when the standby region is the writer's. That run's Prepare goes on only once it observes the plan's primary streaming from its standby (rebuilt as its standby); as the pair is written it is refused, changing nothing. Self-managed PostgreSQL plans without components only (every run of them observes which node writes).",
  'trigger.automatic':
    '`true`: an alarm fails over by itself. `false`: an alarm starts a run that first publishes `Approval Required` and waits (up to `approval.timeoutMinutes`) for a person to approve or deny; runs started by hand or by a game day do not wait.',
  'trigger.windowMinutes':
    'Alarms of this plan within one window of this many minutes map to one execution name, so duplicates and several alarms of one incident start one run.',
  'trigger.cooldownMinutes':
    'After a real run of the plan succeeded, no other real run of it starts for this many minutes, whoever starts it (Prepare refuses it with AlreadyInProgressError), unless a person starts it by hand with `overrideCooldown: true`. Failed, aborted and dry runs (a dry game day) start no cooldown. `0` turns the cooldown off.',

  rpo: 'The RPO guard: how far behind the standby may be before the run promotes it, and what happens when it is further behind.',
  'rpo.maxLagSeconds':
    'The largest replication lag, in seconds, that is within the RPO. An unknown lag (no datapoints, a stale one, a standby that lost its primary) is never within it.',
  'rpo.maxLagBytes':
    'Optional: the largest lag in bytes of WAL that is within the RPO, where the adapter measures bytes (self-managed PostgreSQL). Both limits apply when both are given.',
  'rpo.maxLagChecks':
    'How many lag readings are taken (with `lagCheckIntervalSeconds` between them) before `onExceeded` applies. ' +
    'Under `proceed`, a standby that has lost its source (PostgreSQL: the primary does not answer and no WAL ' +
    'receiver streams; RDS: read replication broken) is read once when the plan has no gate a later reading could ' +
    'open (no `components`; in a planned run, no `artifacts`): no later reading could change what the run does, ' +
    'and nothing more can reach the standby while it waits.',
  'rpo.lagCheckIntervalSeconds': 'Seconds between two lag readings (the `WaitForLag` state).',
  'rpo.onExceeded':
    'What happens when the lag is still over the RPO after `maxLagChecks` readings: `abort` ends the run `ReplicationLagExceededError` with nothing changed; `wait-for-approval` publishes `Approval Required` with the measured lag and waits for a person; `proceed` fails over anyway and reports the lag (data loss accepted).',

  coldStarts: 'How a deployed run deals with cold starts (every step of a rare failover runs cold).',
  'coldStarts.warmUp':
    '`true` (default): when a run starts, the trigger and Prepare invoke every function the run will call asynchronously with a warm-up event (answered before any handler logic), so their cold starts overlap with the first steps instead of adding up along the run. A few extra invocations per run; `false` turns it off.',
  approval:
    'How long a person has to answer `Approval Required` (an alarm-started run of a plan with `trigger.automatic: false`, or `rpo.onExceeded: wait-for-approval`).',
  'approval.timeoutMinutes':
    'Minutes from the request to its deadline. A timer armed with the request (EventBridge Scheduler) ends an unanswered run `ApprovalTimedOutError` at the deadline, notified, with nothing changed. The notification states the deadline.',

  rto: 'The recovery time the plan aims at.',
  'rto.targetSeconds':
    'The target, in seconds, from the incident to writes on the new primary. Notifications report the measured RTO against it; it does not stop a run.',

  promotion: 'How the run waits for the promoted standby to become writable.',
  'promotion.maxStatusChecks':
    'How many promotion status checks before the run ends `PromotionTimedOutError` (the wait is at most `maxStatusChecks × statusCheckIntervalSeconds`).',
  'promotion.statusCheckIntervalSeconds': 'Seconds between two promotion status checks (the `WaitForPromotion` state).',

  database: 'The database to fail over; `kind` chooses the adapter.',
  'database.kind':
    'Which adapter fails the database over: `rds-instance` (RDS for PostgreSQL with a cross-region read replica), `aurora-global` (Aurora PostgreSQL Global Database), `postgres` (self-managed PostgreSQL with a streaming standby).',
  'database.replicaInstanceArn':
    'ARN of the cross-region read replica, in the standby region, that is promoted (`PromoteReadReplica`).',
  'database.sourceInstanceArn':
    'ARN of the current primary instance, in the primary region: fenced where reachable, and named in notifications.',
  'database.fenceParameterGroupName':
    "The source instance's custom DB parameter group. Fencing sets `default_transaction_read_only = 1` in it (a dynamic parameter: new sessions are read-only at once). Without it a planned run cannot fence and refuses to promote; an unplanned run reports the primary as not fenced.",
  'database.replicaFenceParameterGroupName':
    "The replica's custom DB parameter group, in the standby region. The way back (`dr-failover failback`) fences the promoted replica through it before promoting the rebuilt one; without it a failback is refused, nothing changed. A run finding the replica standalone and read-only through this group (as a way back leaves it) is refused: it is not the writer.",
  'database.rebuildKmsKeyArn':
    'KMS key in the primary region that encrypts the read replica the way back builds there. Required when the replica (now the writer) is encrypted: a cross-Region encrypted read replica needs a key of its own Region.',
  'database.globalClusterIdentifier': 'The global cluster identifier (`aws rds describe-global-clusters`).',
  'database.targetClusterArn':
    'ARN of the secondary cluster, in the standby region, that becomes the writer (`SwitchoverGlobalCluster` when planned, `FailoverGlobalCluster` with `AllowDataLoss` when unplanned).',
  'database.primaryClusterArn': 'ARN of the current writer cluster, in the primary region.',
  'database.preserveKmsKeyArn':
    "Customer managed KMS key, in the primary region, that encrypts the primary cluster (and so the `rds:unplanned-global-failover-…` snapshot Aurora takes of it). The way back's copy of that snapshot keeps this key, and only the way back's function may use it, through RDS in that region. Leave it out for an unencrypted cluster or one encrypted with the AWS managed key `aws/rds`.",
  ...pgEndpoint('database.primary', 'current primary', 'fenced where reachable, and its LSN read for the lag'),
  ...pgEndpoint('database.standby', 'standby', 'the streaming replica that is promoted'),
  'database.fence': 'How the old primary is fenced where it is reachable, so it takes no more writes.',
  'database.fence.method':
    '`read-only`: `ALTER SYSTEM SET default_transaction_read_only = on`, reload, and end client sessions. `stop`: a fast shutdown of the old primary.',
  'database.fence.timeoutSeconds':
    "How long fencing may take before it gives up; at most 44 s, so the fence ends inside the Fence function's 50 s Lambda timeout (less middy's 1 s early timeout and 5 s for reading the credentials). A planned run then fails `FenceFailedError`; an unplanned run goes on and reports the primary as not fenced. A PostgreSQL primary that was already set read-only when time ran out is reported as read-only (persisted) with the client sessions still open.",
  'database.writerAddress':
    'The address clients should reach the new writer at: the DNS target after the switch. Defaults to `database.standby.host`.',
  'database.vpc':
    'Hosts on private addresses: the functions that connect to the database (those granted its credentials) run in these subnets and security groups of the standby region, with the network-interface permissions Lambda needs. A function has one VPC configuration, so every postgres plan of a stack names the same `vpc`, or none (packaging refuses otherwise). The subnets need a route to the AWS APIs the functions call (VPC endpoints or a NAT gateway).',
  'database.vpc.subnetIds': 'Subnet ids (`subnet-…`), 1 to 16, in the standby region.',
  'database.vpc.securityGroupIds':
    'Security group ids (`sg-…`), 1 to 5, allowing the functions out to both hosts on their PostgreSQL port.',
  'database.wayBackVpc':
    "The same in the primary region, for the stack there, which runs the plan's way back (`dr-failover failback`, a round-trip game day) with the plan turned round. With `vpc`, packaging that stack refuses a plan without it. That stack reads the plan's secrets in the standby region (a secret named by name, as a partial ARN there), so its subnets need a route to Secrets Manager in the standby region (a NAT gateway: an interface endpoint serves its own region only), and to both hosts.",
  'database.wayBackVpc.subnetIds': 'Subnet ids (`subnet-…`), 1 to 16, in the primary region.',
  'database.wayBackVpc.securityGroupIds':
    'Security group ids (`sg-…`), 1 to 5, allowing the functions out to both hosts on their PostgreSQL port.',

  dns: 'The DNS record clients resolve to find the writer; `kind` chooses the adapter.',
  'dns.kind':
    'Which adapter switches the record: `route53` (Amazon Route 53), `local` (the DNS server of `npm run drill`, on loopback).',
  'dns.hostedZoneId': 'The Route 53 hosted zone holding the record.',
  'dns.zoneName': "The hosted zone's name (its apex); the record must lie inside it.",
  'dns.recordName':
    'The record clients resolve, which the run points at the new writer (UPSERT, idempotent, simple routing). Route 53 refuses it beside weighted, failover or other routing-policy records of the same name and type, and a CNAME beside other types: the readiness `dns` check reports both before any failover.',
  'dns.recordType':
    "`CNAME` points the name at the new writer's endpoint name; `A` needs the writer address to be an IPv4 address, so RDS and Aurora plans (endpoints are host names) must use `CNAME`: the plan is refused otherwise. The local server answers `A` only.",
  'dns.ttl':
    'TTL of the record, in seconds. Clients may keep resolving the old address for up to this long after the switch: it adds to the RTO clients see.',
  'dns.controlEndpoint': "host:port of the local DNS server's HTTP control endpoint (record changes and their status).",
  'dns.nameserver': "host:port of the local DNS server's UDP listener, which clients resolve through.",

  components:
    "Optional: the platform's other parts, failed over with the plan's database (which stays the main one: `database`, `dns` and `traffic` as before). Each item has a `name` (1-40 of a-z, 0-9, -; unique in the plan), a `kind` and a `stage` (default 1; stages are numbered 1, 2, … without gaps, at most 10 components each). Kinds: `s3-replication` (`sourceBucket`, `destinationBucket`, `ruleId`, `maxLatencySeconds`, `maxPendingOperations` default 0, optional `maxPendingBytes`: an RPO gate on the rule's S3 Replication metrics; optional `accessPoint` {`mrapArn`, `primary`/`standby` {`bucket`, `region`}}: its routes are switched to the standby bucket, standby 100 and primary 0 in one request, and must name the replication's buckets and the plan's regions); `dynamodb-global-table` (`tableName`, `maxLatencySeconds`, optional `metricsRegion`, the primary or the standby region: an RPO gate on ReplicationLatency, nothing to promote); `capacity` (`target`: `ecs-service` {`cluster`, `service`, `count`}, `auto-scaling-group` {`groupName`, `count`} or `sagemaker-endpoint` {`endpointName`, `variantName`, `count`}, in the standby region; raised, never lowered, then checked every `checkIntervalSeconds` (default 10) until healthy, at most `maxChecks` (default 30) times); `custom-action` (`functionArn` in the standby region and the plan's account, optional `input`: invoked synchronously with the run's context and an idempotency key, and done only when it answers `{\"ok\": true}`); `database` (a second database: `database`, the same kinds and fields as the plan's `database`, not the main database's resources nor another component's, PostgreSQL without `vpc` and with `fence.timeoutSeconds` at most 20; optional `dns`, the same fields as the plan's `dns`, a record of its own, UPSERT to its new writer; optional `rpo` {`maxLagSeconds`, optional `maxLagBytes`}, else the plan's limits; its lag is a gate, then it is fenced, promoted and its record moved as the main database is, one phase per check, every `checkIntervalSeconds` (default 10), at most `maxChecks` (default 30) checks). Every gate is read with the database's lag, before anything changes, counted against `rpo.maxLagChecks` and decided by `rpo.onExceeded`; an absent or stale metric is never within. The actions run after the database is promoted and before traffic moves, stage after stage, the components of a stage at once; a component that fails ends the run `ComponentActionFailedError` before traffic moves, and later stages are not started. A dry run reads, and says what each would do.",
  artifacts:
    "Optional: the model-artifact consistency check. The registry database's `query` lists the artifacts that must be loadable; each is asked for (`HeadObject`, 16 at a time) in its replica bucket in the standby region. A planned run checks once every RPO gate is within, before anything changes (`artifactGate` in the run state); every run checks again after Verify, once the registry is the writer and traffic has moved (`artifacts`), and its Succeeded, Failed and Aborted notifications carry both. A run over the RPO that proceeds or is approved is not gated (it has accepted a loss); unplanned runs are not gated either (the primary region is gone: holding back leaves the platform down), and the finding names what did not make it. Each artifact is `ok`, `missing`, `different` (ETag or size), `older` (last modified before `written_at`), `unmapped` or `unknown` (denied, throttled, timed out: never ok); a check that cannot complete is one `unknown` problem. At the gate (and in readiness), a `missing` or `older` artifact whose `written_at` is within its bucket's s3-replication `maxLatencySeconds` is `in-flight`: replication, within its limits by then, has not had the time it is allowed; it is reported and does not block, and the check after Verify says whether it arrived.",
  'artifacts.registry.credentials':
    "Where the registry's user name and password are found: a reference, never the secret itself. The user needs only SELECT on the tables the query reads. The component function is allowed `secretsmanager:GetSecretValue` on this secret (and `kms:Decrypt` on its `kmsKeyArn`).",
  'artifacts.query':
    "One SELECT (or WITH … SELECT), run in a read-only transaction on the registry, returning `model`, `version`, `location` (`s3://bucket/key` of one object that must exist, e.g. MLflow's `storage_location || '/MLmodel'`) and optionally `etag`, `size`, `written_at`. Bounded by `maxArtifacts` (one row more is read to see whether the list was cut).",
  'artifacts.buckets':
    "Optional: primary bucket → its replica in the standby region. Without it, the plan's `s3-replication` components' `sourceBucket` → `destinationBucket`; beside them, a bucket that one of them replicates must map to that component's `destinationBucket`, or the plan is refused. Required when the plan has no `s3-replication` component.",
  'artifacts.maxArtifacts':
    'Most artifacts checked per check (1 to 10,000, default 1,000). A registry that lists more is `truncated`: with `onMissing: block` that blocks too, since the rest were not checked.',
  'artifacts.onMissing':
    '`block` (default): a planned run whose gate finds a problem, or a truncated list, aborts `ArtifactsMissingError` before Fence, nothing changed, the notification naming the model versions and why. `report`: recorded and notified, the run goes on. A dry run checks and decides the same way. The finding after the promotion never fails a run.',
  traffic:
    "How a run moves clients to the standby; without it, `upsert`. Route 53's control plane (ChangeResourceRecordSets, GetChange) is served from us-east-1 only: plans whose primary is us-east-1 should move traffic on a data plane.",
  'traffic.kind':
    "`routing-control` (ARC routing controls on the cluster's data plane), `health-check` (a failover record pair whose primary health check follows an alarm in the standby region), or `upsert` (the `dns` record rewritten through Route 53's control plane).",
  'traffic.clusterArn': 'The ARC cluster that holds the routing controls.',
  'traffic.clusterEndpoints':
    "The cluster's regional endpoints (`region`, `url`), as DescribeCluster lists them; the run tries them in this order until one answers.",
  'traffic.routingControls': 'The routing control that sends traffic to each region of the plan.',
  'traffic.routingControls.primary':
    "The primary region's routing control: set Off by a run (in the same call that sets the standby's On).",
  'traffic.routingControls.standby': "The standby region's routing control: set On by a run.",
  'traffic.records':
    'The failover records, created ahead of time, that follow the mechanism (their health checks). Must include `dns.recordName`, which Verify resolves.',
  'traffic.endpointTimeoutMs':
    "Bound on each cluster endpoint's attempt, in milliseconds, before the next endpoint is tried.",
  'traffic.healthCheckId': "The PRIMARY failover record's Route 53 health check, which follows `traffic.alarm`.",
  'traffic.alarm':
    'The CloudWatch alarm in the standby region that the health check follows. It must go to ALARM on one datapoint of 1 (threshold 1, standard resolution) and keep its state without data (TreatMissingData `ignore`).',
  'traffic.alarm.name': 'The alarm name, in the standby region.',
  'traffic.alarm.namespace':
    'The namespace of the metric the run publishes (not an `AWS/` one); the grant is limited to it.',
  'traffic.alarm.metricName': 'The metric the run publishes a 1 on.',
  'traffic.verify':
    "How Verify checks what clients get: a DNS query through a resolver, never Route 53's control plane. Defaults for `routing-control` and `health-check`; on `upsert`, setting it replaces the read-back through the `dns` adapter.",
  'traffic.verify.resolvers':
    "Resolver addresses to ask (IP, optionally `:port`, up to 3). Default: the system resolver (with `traffic.verify.vpc`, the VPC's Route 53 Resolver at the VPC base + 2).",
  'traffic.verify.queryTimeoutMs': 'Bound on each DNS query, in milliseconds (one try each).',
  'traffic.verify.allowanceSeconds':
    'How long past the switch plus `dns.ttl` Verify keeps checking while a resolver still answers the old address (cached answers, health checks turning) before it fails with DnsVerificationFailedError.',
  'traffic.verify.vpc':
    "A private hosted zone is answered only by the resolvers of its associated VPCs: Verify runs in these subnets and security groups of the standby region, and asks that VPC's Route 53 Resolver. Without it Verify runs outside any VPC, where the Lambda service's resolver answers public names only (the readiness `dns` check is CRITICAL for a private zone then). A function has one VPC configuration: plans of a stack that name one name the same. The subnets need no route to AWS APIs for a data-plane plan (Verify only resolves); an `upsert` plan of the same stack that reads back through Route 53 needs a NAT gateway.",
  'traffic.verify.vpc.vpcId':
    'The VPC the subnets are in; readiness checks that the private zone is associated with it.',
  'traffic.verify.vpc.subnetIds': 'Subnet ids (`subnet-…`), 1 to 16, in the standby region.',
  'traffic.verify.vpc.securityGroupIds':
    'Security group ids (`sg-…`), 1 to 5, allowing DNS (UDP and TCP 53) out to the VPC resolver.',
  'traffic.verify.wayBackVpc':
    "The same in the primary region, for the stack there, which runs the plan's way back: a VPC of that region associated with the private zone. With `vpc`, packaging that stack refuses a plan without it; readiness checks its association too.",
  'traffic.verify.wayBackVpc.vpcId':
    'The VPC the subnets are in; readiness checks that the private zone is associated with it.',
  'traffic.verify.wayBackVpc.subnetIds': 'Subnet ids (`subnet-…`), 1 to 16, in the primary region.',
  'traffic.verify.wayBackVpc.securityGroupIds':
    'Security group ids (`sg-…`), 1 to 5, allowing DNS (UDP and TCP 53) out to the VPC resolver.',

  dnsSync: 'How the run waits for the DNS change to be in sync.',
  'dnsSync.maxStatusChecks':
    'How many DNS change status checks before the run ends `DnsSyncTimedOutError` (the standby is promoted by then).',
  'dnsSync.statusCheckIntervalSeconds': 'Seconds between two DNS change status checks (the `WaitForDns` state).',

  notify: 'Where notifications go.',
  'notify.eventBus':
    'EventBridge bus (name or ARN, in the standby region) that receives `Failover Started`, `Failover Step Completed`, `Failover Succeeded`, `Failover Failed`, `Failover Aborted`, `Approval Required` and `Readiness Report` events. A bus named here (not an ARN) is created by the stack.',
  'notify.snsTopicArn':
    'Optional SNS topic, in the standby region, for people (paging, chat). The stack creates it, encrypted with KMS.',

  gameday: 'Optional: a scheduled rehearsal of this plan.',
  'gameday.schedule':
    'When the game day runs: an EventBridge schedule expression, `cron(...)` or `rate(...)`, in UTC (for example `cron(0 14 ? * TUE#2 *)`, the second Tuesday of each month at 14:00).',
  'gameday.dryRun':
    '`true` (the default): every read and check runs for real and each mutating step reports what it would do, changing nothing. `false`: a real failover on schedule.',
  'gameday.mode':
    '`planned`: a switchover with the old primary healthy (fence first, no data loss). `unplanned`: as if the primary region were lost.',
  'gameday.roundTrip':
    "Optional: the game day comes back. When the way out succeeds, its Failover Succeeded notification first arms the way back: a one-time EventBridge Scheduler schedule in the primary region that starts the failback there (trigger kind `failback`, one execution name per game day). Needs `dryRun: false`, `mode: planned`, no `components`, and a self-managed PostgreSQL or an Aurora database (Aurora: traffic not by `health-check`); RDS plans are refused, their way back ending on an instance the plan does not name. The old primary must be the new writer's standby and caught up by then (Aurora's is, right after the switchover), or the failback refuses, changing nothing.",
  'gameday.roundTrip.returnAfterMinutes': "Minutes from the way out's success to the way back (5 to 720, default 60).",

  readiness:
    'DR readiness: the `readiness` function checks, on a schedule, that this plan could fail over now (standby, replication lag, backup, DNS record, trigger alarms, state machine and functions, and one `component:<name>` check per component: its RPO gate, replication rule, access point routes, capacity target, custom action function or standby) and publishes a `Readiness Report` event and the `DrFailover` metrics `CheckStatus` (per check) and `ReadinessStatus` (0 OK, 1 WARN, 2 CRITICAL) for an alarm to page on.',
  'readiness.enabled':
    '`false`: no readiness schedule is deployed for this plan (the checks can still be run by hand).',
  'readiness.schedule':
    'How often the checks run: an EventBridge schedule expression, `rate(...)` or `cron(...)`, in UTC.',
  'readiness.checkTimeoutSeconds':
    'Bound on each check, in seconds. The checks run at once; one that needs the primary region (the DNS record, the current writer) and does not answer in time is reported WARN, a standby-region one CRITICAL, and neither holds up the others.',
  'readiness.maxBackupAgeHours':
    'The newest snapshot or replicated automated backup in the standby region must be at most this many hours old, else CRITICAL. Self-managed PostgreSQL backups are not visible to dr-failover: WARN, not checked.',
  'readiness.lagWarnPercent':
    "Replication lag above this percentage of `rpo.maxLagSeconds` (or `rpo.maxLagBytes`) is WARN; above the limit itself, or unknown, CRITICAL. The component checks apply it to each limit of a component's RPO gate (S3 Replication, DynamoDB `ReplicationLatency`) and to a component database's `rpo`.",
  'readiness.alarmInsufficientDataMinutes':
    'A trigger alarm in `INSUFFICIENT_DATA` for longer than this many minutes is blind: CRITICAL (a shorter spell is WARN).',
};

/** Rules that span fields and are checked after each field is valid (their messages depend on the values). */
export const PLAN_RULES: readonly string[] = [
  '`regions.standby` must differ from `regions.primary`.',
  "Every ARN must name `accountId`, the right region and that region's partition: `database.replicaInstanceArn` and `database.targetClusterArn` the standby region; `database.sourceInstanceArn` and `database.primaryClusterArn` the primary region; `notify.snsTopicArn`, `notify.eventBus` and a `secretsManager` credential when they are ARNs, the standby region (the standby region's stack reads both endpoints' secrets, also while the primary region is dark: a secret of the primary's belongs there as a Secrets Manager replica).",
  "The longest run the plan allows must fit inside the state machine's `TimeoutSeconds` (86,400 s), or the run could end `TIMED_OUT` half done: every Task on the longest path at its timeout with all its retries, each approval the plan can ask for (`trigger.automatic: false`, `rpo.onExceeded: wait-for-approval`) waiting up to its 14,700 s backstop, and every lag, promotion and DNS check the plan allows with the waits between them (`functions/core/limits.ts`). A plan that does not fit is refused, naming `rpo.maxLagChecks`, `promotion.maxStatusChecks`, `dnsSync.maxStatusChecks` and the approval fields with the seconds each adds.",
  'Unknown fields are errors, named by their path (`trigger.alarm: unknown field`), so a typo never passes silently.',
];
