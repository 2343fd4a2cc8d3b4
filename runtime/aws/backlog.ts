/**
 * The stack's backlog-per-task expression for a buffer of `buffer` inputs (the provider's and
 * updateAutoscaler's one rule). The buffer is headroom while there is work (Modal's
 * buffer_containers: extra idle containers while the function is active), as on Kubernetes
 * (runtime/redis/scaled-object.ts): with no input waiting or running the metric is 0, so the unit
 * scales in to minContainers after its scale-down window instead of keeping the buffer forever.
 */
export function backlogExpression(buffer: number): string {
  return buffer > 0 ? `(visible + inflight + IF((visible + inflight) > 0, ${buffer}, 0)) / running` : "(visible + inflight) / running";
}
