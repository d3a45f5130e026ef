/**
 * The database section of a plan: which kind of database, where its standby and primary are, and how to reach
 * and fence them. Split from plan.ts (the whole plan) to keep each file to one subject.
 */
import * as z from 'zod';
import { parseArn } from './arn.js';
import { FENCE_TIMEOUT_MAX_SECONDS } from './limits.js';
import { functionVpc } from './plan-vpc.js';
import { cleanText } from './text.js';

/** Printable text without control characters, bounded. */
const text = cleanText;

/**
 * An ARN of one service whose resource part matches `resource` (the identifier rules of that service, so a 1 MB
 * or path-like name is refused here rather than by the API in the middle of a failover).
 */
export const arnOf = (service: string, resource: RegExp, example: string) =>
  z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .refine((v) => {
      const arn = parseArn(v);
      return arn !== undefined && arn.service === service && resource.test(arn.resource);
    }, `must be an ARN of the form arn:aws:${service}:<region>:<account>:${example}`);

const RDS_ID = '[a-zA-Z][a-zA-Z0-9-]{0,62}';
const rdsInstanceArn = arnOf('rds', new RegExp(`^db:${RDS_ID}$`), 'db:<instance identifier>');
const rdsClusterArn = arnOf('rds', new RegExp(`^cluster:${RDS_ID}$`), 'cluster:<cluster identifier>');
/** A host name or an IP address: what a driver connects to, nothing else (no URL, no user, no password). */
const hostAddress = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[?[0-9A-Fa-f:.]{2,45}\]?)$/,
    'must be a host name or an IP address',
  );

/** A KMS key named by its key ARN (not an alias: IAM grants on the key's ARN). */
const kmsKeyArn = arnOf(
  'kms',
  /^key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
  'key/<key id>',
);

const rdsIdentifier = z
  .string()
  .regex(new RegExp(`^${RDS_ID}$`), 'must be an RDS identifier: a letter, then letters, digits or -, at most 63');

/** A reference to a secret: never the secret itself. */
export const secretRef = z.union(
  [
    z
      .object({
        secretsManager: z
          .string()
          .max(2048, 'must be at most 2048 characters')
          .regex(
            /^(?:arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/,
            'must be a Secrets Manager secret name or ARN',
          )
          .describe('Secrets Manager secret ARN or name holding {username,password}'),
        /** The customer managed key the secret is encrypted with, if not Secrets Manager's own (aws/secretsmanager). */
        kmsKeyArn: kmsKeyArn.optional(),
      })
      .strict(),
    z
      .object({
        env: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name'),
      })
      .strict(),
    z.object({ file: text(1024).describe('path of a JSON file holding {username,password}') }).strict(),
  ],
  { error: 'must be a secret reference ({secretsManager}, {env} or {file}), never the secret itself' },
);
export type SecretRef = z.infer<typeof secretRef>;

export const pgEndpoint = z
  .object({
    host: hostAddress,
    port: z.number().int().min(1).max(65535).default(5432),
    database: text(63).default('postgres'),
    credentials: secretRef,
  })
  .strict();
export type PgEndpoint = z.infer<typeof pgEndpoint>;

const rdsInstanceDatabase = z
  .object({
    kind: z.literal('rds-instance'),
    /** The cross-region read replica to promote, in the standby region. */
    replicaInstanceArn: rdsInstanceArn,
    /** The current primary, in the primary region (for best-effort fencing and lag context). */
    sourceInstanceArn: rdsInstanceArn,
    /**
     * The source's custom DB parameter group. Fencing sets `default_transaction_read_only = 1` on it (a dynamic
     * parameter: new sessions are read-only at once). Without it a planned run cannot fence and refuses to promote.
     */
    fenceParameterGroupName: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/, 'must be a DB parameter group name')
      .optional(),
    /**
     * The replica's custom DB parameter group, in the standby region. The way back (failback) fences the promoted
     * replica through it, as a run from the primary fences the source; without it a failback is refused.
     */
    replicaFenceParameterGroupName: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/, 'must be a DB parameter group name')
      .optional(),
    /**
     * The KMS key, in the primary region, that encrypts the read replica the way back builds there. Required when
     * the replica is encrypted: a cross-Region encrypted read replica needs a key of its own Region
     * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html, KmsKeyId).
     */
    rebuildKmsKeyArn: kmsKeyArn.optional(),
  })
  .strict();

const auroraGlobalDatabase = z
  .object({
    kind: z.literal('aurora-global'),
    globalClusterIdentifier: rdsIdentifier,
    /** The secondary cluster in the standby region that becomes the writer. */
    targetClusterArn: rdsClusterArn,
    /** The current writer cluster, in the primary region. */
    primaryClusterArn: rdsClusterArn,
    /**
     * The customer managed KMS key, in the primary region, that encrypts the primary cluster, and so the snapshot
     * Aurora takes of its old volume after an unplanned failover. The way back copies that snapshot; creating an RDS
     * resource with a customer managed key needs kms:CreateGrant and kms:DescribeKey on it (RDS User Guide,
     * "Authorizing use of a customer managed key",
     * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html), granted on this key only.
     */
    preserveKmsKeyArn: kmsKeyArn.optional(),
  })
  .strict();

const postgresDatabase = z
  .object({
    kind: z.literal('postgres'),
    primary: pgEndpoint,
    standby: pgEndpoint,
    /** How the old primary is fenced where reachable: read-only (default) or a fast shutdown. */
    fence: z
      .object({
        method: z.enum(['read-only', 'stop']).default('read-only'),
        // The fence must end inside the Fence function's Lambda timeout (functions/core/limits.ts).
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(
            FENCE_TIMEOUT_MAX_SECONDS,
            `must be at most ${FENCE_TIMEOUT_MAX_SECONDS}: the fence must end inside the Fence function's timeout`,
          )
          .default(5),
      })
      .strict()
      .default({ method: 'read-only', timeoutSeconds: 5 }),
    /** The address clients should reach the new writer at (the DNS target). Defaults to standby.host. */
    writerAddress: hostAddress.optional(),
    /**
     * Private hosts: the subnets and security groups (in the standby region) that the functions which connect to
     * the database run in. The subnets need a route to the AWS APIs those functions call (VPC endpoints or NAT).
     */
    vpc: functionVpc.optional(),
    /**
     * The same for the stack in the primary region, which runs the plan's way back (`dr-failover failback`, a
     * round-trip game day): its subnets and security groups there. Required with `vpc` for that stack to be
     * deployed (infra/wiring.ts): without it the way back could not reach the hosts.
     */
    wayBackVpc: functionVpc.optional(),
  })
  .strict();

export const databaseConfig = z.discriminatedUnion('kind', [
  rdsInstanceDatabase,
  auroraGlobalDatabase,
  postgresDatabase,
]);
export type DatabaseConfig = z.infer<typeof databaseConfig>;

/**
 * The ARNs a database section names, each with the side of the pair whose region it must be in: the standby's
 * resources (replica, target cluster, the secrets the standby region's stack reads) and the primary's. The plan and
 * its component databases check them with the same list.
 */
export const databaseArns = (
  db: DatabaseConfig,
): { value: string | undefined; path: string[]; side: 'primary' | 'standby' }[] => {
  switch (db.kind) {
    case 'rds-instance':
      return [
        { value: db.replicaInstanceArn, path: ['replicaInstanceArn'], side: 'standby' },
        { value: db.sourceInstanceArn, path: ['sourceInstanceArn'], side: 'primary' },
        { value: db.rebuildKmsKeyArn, path: ['rebuildKmsKeyArn'], side: 'primary' },
      ];
    case 'aurora-global':
      return [
        { value: db.targetClusterArn, path: ['targetClusterArn'], side: 'standby' },
        { value: db.primaryClusterArn, path: ['primaryClusterArn'], side: 'primary' },
        { value: db.preserveKmsKeyArn, path: ['preserveKmsKeyArn'], side: 'primary' },
      ];
    case 'postgres':
      // Both endpoints' secrets are read from the standby region's stack, also while the primary region is dark
      // (a secret of the primary's belongs there as a Secrets Manager replica).
      return (['primary', 'standby'] as const).flatMap((side) => {
        const ref = db[side].credentials;
        if (!('secretsManager' in ref)) return [];
        const at = [side, 'credentials'];
        return [
          ...(ref.secretsManager.startsWith('arn:')
            ? [{ value: ref.secretsManager, path: [...at, 'secretsManager'], side: 'standby' as const }]
            : []),
          { value: ref.kmsKeyArn, path: [...at, 'kmsKeyArn'], side: 'standby' as const },
        ];
      });
  }
};

/**
 * What identifies the databases a section names (instances, clusters, PostgreSQL servers), so that a plan cannot
 * name one database twice: as its main database and a component, or as two components.
 */
export const databaseIdentities = (db: DatabaseConfig): string[] => {
  switch (db.kind) {
    case 'rds-instance':
      return [db.replicaInstanceArn, db.sourceInstanceArn];
    case 'aurora-global':
      return [`global-cluster:${db.globalClusterIdentifier}`, db.targetClusterArn, db.primaryClusterArn];
    case 'postgres':
      return [db.primary, db.standby].map((e) => `postgres://${e.host.replace(/\.$/, '').toLowerCase()}:${e.port}`);
  }
};

/** What UpdateDns points the record at: RDS and Aurora endpoints are host names; PostgreSQL's writer address. */
export const dnsTargetOf = (db: DatabaseConfig): string =>
  db.kind === 'postgres' ? (db.writerAddress ?? db.standby.host) : `${db.kind} endpoint`;
