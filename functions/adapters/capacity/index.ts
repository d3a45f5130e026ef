import type { CapacityConfig } from '#core/plan-capacity.js';
import type { CapacityControl } from '#core/ports.js';

/** Maps a capacity kind to its adapter, imported on first use: a step pays only for the SDK client it needs. */
export const capacityFor = async (config: CapacityConfig, region: string): Promise<CapacityControl> => {
  switch (config.kind) {
    case 'ecs-service': {
      const { EcsServiceCapacity } = await import('./ecs.js');
      return new EcsServiceCapacity(config, region);
    }
    case 'auto-scaling-group': {
      const { AutoScalingGroupCapacity } = await import('./asg.js');
      return new AutoScalingGroupCapacity(config.groupName, region);
    }
    case 'sagemaker-endpoint': {
      const { SageMakerEndpointCapacity } = await import('./sagemaker.js');
      return new SageMakerEndpointCapacity(config, region);
    }
  }
};
