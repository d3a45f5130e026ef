/**
 * ARN parsing, on its own so adapters can use it without bundling the plan schema (and zod) into every step.
 */
/** An AWS region code such as eu-west-1, us-gov-west-1 or us-iso-east-1 (AWS General Reference, Regions and endpoints). */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** A parsed ARN. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export const parseArn = (value: string): Arn | undefined => {
  const m = /^arn:(aws|aws-us-gov|aws-cn):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(value);
  if (!m) return undefined;
  return { partition: m[1] ?? '', service: m[2] ?? '', region: m[3] ?? '', account: m[4] ?? '', resource: m[5] ?? '' };
};

/** The ARN of a plan's trigger alarm: the resource its rule's pattern names (infra/) and the readiness checks read. */
export const alarmArn = (plan: { regions: { standby: string }; accountId: string }, name: string): string =>
  `arn:aws:cloudwatch:${plan.regions.standby}:${plan.accountId}:alarm:${name}`;
