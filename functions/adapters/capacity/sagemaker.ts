/**
 * A SageMaker endpoint variant's instance count (SageMaker API reference:
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html).
 * It is Updating while instances are added, and ready when InService again with the variant's current count at the
 * plan's. The adapter asks for a change only of an InService endpoint: the API reference does not say whether one
 * that is Updating accepts another, so it does not find out.
 */
import {
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ConfigurationError } from '#core/errors.js';
import type { CapacityControl, CapacityObservation } from '#core/ports.js';

export class SageMakerEndpointCapacity implements CapacityControl {
  readonly #sm: SageMakerClient;

  constructor(
    private readonly target: { endpointName: string; variantName: string },
    region: string,
    sm?: SageMakerClient,
  ) {
    this.#sm = sm ?? clientFor(SageMakerClient, region);
  }

  async observe(): Promise<CapacityObservation> {
    const { endpointName, variantName } = this.target;
    const what = `DescribeEndpoint ${endpointName}`;
    const out = await this.#sm
      .send(new DescribeEndpointCommand({ EndpointName: endpointName }))
      .catch((error: unknown) => {
        throw translateAwsError(error, what);
      });
    const variant = out.ProductionVariants?.find((v) => v.VariantName === variantName);
    if (!variant) throw new ConfigurationError(`${what}: no production variant ${variantName}`);
    const status = out.EndpointStatus ?? 'unknown';
    if (status === 'Failed' || status === 'OutOfService') {
      throw new ConfigurationError(
        `${what}: the endpoint is ${status}${out.FailureReason ? `: ${out.FailureReason}` : ''}`,
      );
    }
    const current = variant.CurrentInstanceCount ?? 0;
    return {
      desired: variant.DesiredInstanceCount ?? current,
      ready: status === 'InService' ? current : 0,
      busy: status !== 'InService',
      detail: `${status}, ${current} instance(s) in ${variantName}`,
    };
  }

  async setDesired(count: number): Promise<void> {
    const { endpointName, variantName } = this.target;
    await this.#sm
      .send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: endpointName,
          DesiredWeightsAndCapacities: [{ VariantName: variantName, DesiredInstanceCount: count }],
        }),
      )
      .catch((error: unknown) => {
        throw translateAwsError(error, `UpdateEndpointWeightsAndCapacities ${endpointName}/${variantName} ${count}`);
      });
  }
}
