/**
 * The capacity a plan raises in the standby region (an ECS service, an EC2 Auto Scaling group, a SageMaker
 * endpoint's variant), as the plan names it; core/capacity.ts raises it and judges it.
 */
import * as z from 'zod';

const name = (what: string, pattern: RegExp) => z.string().regex(pattern, `must be ${what}`);

export const capacityConfig = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('ecs-service'),
      /** Cluster name or ARN, in the standby region. */
      cluster: name(
        'an ECS cluster name or ARN',
        /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/)?[A-Za-z0-9_-]{1,255}$/,
      ),
      service: name('an ECS service name', /^[A-Za-z0-9_-]{1,255}$/),
      count: z.number().int().min(1).max(5_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('auto-scaling-group'),
      groupName: name('an Auto Scaling group name', /^[^\p{Cc}:]{1,255}$/u),
      count: z.number().int().min(1).max(10_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('sagemaker-endpoint'),
      endpointName: name('a SageMaker endpoint name', /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
      variantName: name('a production variant name', /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/),
      count: z.number().int().min(1).max(1_000),
    })
    .strict(),
]);
export type CapacityConfig = z.infer<typeof capacityConfig>;
