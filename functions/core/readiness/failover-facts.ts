/** What the readiness `failover-records` probe reads (a port type, re-exported by core/ports.ts). */
/** One failover record set of a name the plan's traffic switches (`traffic.records`), as its zone holds it. */
export interface FailoverSetFacts {
  name: string;
  type: string;
  role: 'PRIMARY' | 'SECONDARY';
  setIdentifier: string;
  values: string[];
  healthCheckId?: string;
}

/** A health check a failover record names (GetHealthCheck), or the fact that it does not exist. */
export interface HealthCheckFacts {
  id: string;
  exists: boolean;
  /** `RECOVERY_CONTROL`, `CLOUDWATCH_METRIC`, `HTTPS`, ... */
  type?: string;
  routingControlArn?: string;
  alarm?: { region: string; name: string };
  inverted?: boolean;
  disabled?: boolean;
  /** CLOUDWATCH_METRIC: the status while the alarm has insufficient data (`Healthy`, `Unhealthy`, `LastKnownStatus`). */
  insufficientDataHealthStatus?: string;
}

/** The failover records of the plan's `traffic.records` and the health checks they name (readiness). */
export interface FailoverRecordFacts {
  sets: FailoverSetFacts[];
  healthChecks: HealthCheckFacts[];
}
