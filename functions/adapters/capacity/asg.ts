/**
 * An EC2 Auto Scaling group's desired capacity (Auto Scaling API reference:
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetDesiredCapacity.html).
 * Ready counts the instances InService and Healthy. SetDesiredCapacity is refused outside the group's
 * MinSize..MaxSize, so a plan asking for more than MaxSize is refused before any call.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ConfigurationError } from '#core/errors.js';
import type { CapacityControl, CapacityObservation } from '#core/ports.js';

export class AutoScalingGroupCapacity implements CapacityControl {
  readonly #asg: AutoScalingClient;

  constructor(
    private readonly groupName: string,
    region: string,
    asg?: AutoScalingClient,
  ) {
    this.#asg = asg ?? clientFor(AutoScalingClient, region);
  }

  async observe(): Promise<CapacityObservation> {
    const what = `DescribeAutoScalingGroups ${this.groupName}`;
    const out = await this.#asg
      .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.groupName] }))
      .catch((error: unknown) => {
        throw translateAwsError(error, what);
      });
    const group = out.AutoScalingGroups?.[0];
    if (!group) throw new ConfigurationError(`${what}: no such group`);
    const instances = group.Instances ?? [];
    const ready = instances.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
    const activity = group.Status ? `, ${group.Status}` : '';
    return {
      desired: group.DesiredCapacity ?? 0,
      ready,
      ...(group.MaxSize !== undefined ? { max: group.MaxSize } : {}),
      busy: group.Status !== undefined,
      detail: `${ready} InService and Healthy of ${instances.length} instance(s)${activity}`,
    };
  }

  async setDesired(count: number): Promise<void> {
    await this.#asg
      .send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: this.groupName,
          DesiredCapacity: count,
          HonorCooldown: false,
        }),
      )
      .catch((error: unknown) => {
        throw translateAwsError(error, `SetDesiredCapacity ${this.groupName} ${count}`);
      });
  }
}
