/**
 * The platform components' port over the existing adapters (replication gates, capacity, Multi-Region Access
 * Point routes, custom actions, the database and DNS adapters for a component database), each imported on first
 * use: a component step pays at cold start only for the SDK clients its plan's components need.
 */
import { COMPONENT_PROMOTE_WAIT_SECONDS } from '#core/limits.js';
import type { PlatformComponents } from '#core/ports.js';

export const platformComponents = async (): Promise<PlatformComponents> => ({
  readGate: async (component, regions) => {
    const gates = await import('#adapters/replication/index.js');
    return component.kind === 's3-replication'
      ? gates.readS3Replication(component, regions)
      : gates.readDynamoDbReplication(component, regions);
  },
  capacity: async (config, region) => (await import('#adapters/capacity/index.js')).capacityFor(config, region),
  switchRoutes: async (config) => (await import('#adapters/access-point/index.js')).switchAccessPoint(config),
  invoke: async (functionArn, request) =>
    (await import('#adapters/custom-action/index.js')).invokeCustomAction(functionArn, request),
  database: async (scope) =>
    (await import('#adapters/database/index.js')).databaseFor(scope, {
      promoteWaitSeconds: COMPONENT_PROMOTE_WAIT_SECONDS,
    }),
  record: async (scope) => (await import('#adapters/dns/index.js')).dnsFor(scope),
});
