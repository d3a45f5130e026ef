/**
 * ARN parsing, on its own so adapters can use it without bundling the plan schema (and zod) into every step.
 */
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
