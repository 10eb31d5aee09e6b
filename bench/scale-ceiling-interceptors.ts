/**
 * Workflow code (bundled into the scale section's ceiling worker only, bench/scale-ceiling.ts): tells the benchmark,
 * through a sink, when a ceiling workflow has run its first task (its deadline's timer is armed) and when it has
 * returned, with what. The benchmark's clock thus stops at the ceiling's last completion without polling the server,
 * which would load the very server being measured. Sinks run after the activation that called them, never on replay.
 */
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory, workflowInfo } from '@temporalio/workflow';

export interface ScaleCeilingSinks extends Sinks {
  scaleCeiling: {
    armed(workflowId: string): void;
    closed(workflowId: string, result: string): void;
  };
}

const { scaleCeiling } = proxySinks<ScaleCeilingSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        scaleCeiling.armed(workflowInfo().workflowId);
        const result: unknown = await next(input);
        scaleCeiling.closed(workflowInfo().workflowId, String(result));
        return result;
      },
    },
  ],
});
