/**
 * An ECS service's desired count (ECS API reference:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html). Ready when the running
 * count has reached the desired one and a single deployment is left (a rolling deployment is still moving tasks).
 */
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ConfigurationError } from '#core/errors.js';
import type { CapacityControl, CapacityObservation } from '#core/ports.js';

export class EcsServiceCapacity implements CapacityControl {
  readonly #ecs: ECSClient;

  constructor(
    private readonly target: { cluster: string; service: string },
    region: string,
    ecs?: ECSClient,
  ) {
    this.#ecs = ecs ?? clientFor(ECSClient, region);
  }

  async observe(): Promise<CapacityObservation> {
    const { cluster, service } = this.target;
    const what = `DescribeServices ${service} in ${cluster}`;
    const out = await this.#ecs
      .send(new DescribeServicesCommand({ cluster, services: [service] }))
      .catch((error: unknown) => {
        throw translateAwsError(error, what);
      });
    const found = out.services?.find((s) => s.serviceName === service || s.serviceArn?.endsWith(`/${service}`));
    if (!found || found.status === 'INACTIVE') {
      const reason = out.failures?.[0]?.reason ?? (found ? 'INACTIVE' : 'not found');
      throw new ConfigurationError(`${what}: the service is ${reason}`);
    }
    const deployments = found.deployments?.length ?? 0;
    return {
      desired: found.desiredCount ?? 0,
      ready: found.runningCount ?? 0,
      busy: deployments > 1,
      detail: `${found.runningCount ?? 0} running, ${found.pendingCount ?? 0} pending, ${deployments} deployment(s)`,
    };
  }

  async setDesired(count: number): Promise<void> {
    const { cluster, service } = this.target;
    await this.#ecs
      .send(new UpdateServiceCommand({ cluster, service, desiredCount: count }))
      .catch((error: unknown) => {
        throw translateAwsError(error, `UpdateService ${service} desiredCount ${count}`);
      });
  }
}
