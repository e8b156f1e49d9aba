/**
 * Telemetry of one try at a deployment: a GenAI client span (OpenTelemetry semantic conventions for
 * generative AI: `chat {model}`, `gen_ai.*` attributes) under which the HTTP request leaves with its
 * `traceparent`, and the call and token metrics. Kept apart from the router so routing reads as routing.
 */
import { isEmbeddingsRequest } from '../jobs/embeddings.js';
import type { JobRequest } from '../jobs/job-request.js';
import { recordModelCall, recordTokens, type ModelCallOutcome } from '../telemetry/metrics.js';
import { SpanKind, inSpan, parentContext, type Span } from '../telemetry/tracing.js';
import type { EndpointResult } from './endpoint.js';
import { classifyModelFailure } from './failure.js';
import type { ModelCallContext } from './port.js';
import type { DeploymentSettings } from './settings.js';

export interface TriedDeployment {
  readonly settings: DeploymentSettings;
  /** How many deployments this call tried before this one: more than 0 is a failover. */
  readonly earlierTries: number;
}

export function observedCall(
  target: TriedDeployment,
  request: JobRequest,
  maxTokens: number,
  context: ModelCallContext,
  call: () => Promise<EndpointResult>,
): Promise<EndpointResult> {
  const deployment = target.settings.name;
  const serverAddress = hostOf(target.settings.endpoint);
  if (target.earlierTries > 0) recordModelCall(request.model, deployment, 'failed_over');
  return inSpan(
    `${isEmbeddingsRequest(request) ? 'embeddings' : 'chat'} ${request.model}`,
    {
      kind: SpanKind.CLIENT,
      // Invoke hands its traceparent down; the active span wins when it is of the same trace.
      parent: parentContext(context.traceparent),
      attributes: {
        'gen_ai.operation.name': isEmbeddingsRequest(request) ? 'embeddings' : 'chat',
        'gen_ai.provider.name': target.settings.kind === 'azure' ? 'azure.ai.openai' : 'openai',
        'gen_ai.request.model': request.model,
        'gen_ai.request.max_tokens': maxTokens,
        'gen_ai.deployment': deployment,
        'pipeline.model.failover': target.earlierTries > 0,
        'job.id': context.jobId,
        'tenant.id': context.tenantId,
        ...(serverAddress ? { 'server.address': serverAddress } : {}),
      },
    },
    async (span) => {
      try {
        const result = await call();
        onAnswer(span, result);
        recordModelCall(request.model, deployment, 'ok');
        recordTokens(
          { tenantId: context.tenantId, model: request.model, deployment },
          result.completion.usage.promptTokens,
          result.completion.usage.completionTokens,
        );
        return result;
      } catch (error) {
        recordModelCall(request.model, deployment, onFailure(span, error, deployment));
        throw error;
      }
    },
  );
}

function onAnswer(span: Span, result: EndpointResult): void {
  if (!span.isRecording()) return;
  const { completion } = result;
  span.setAttributes({
    'gen_ai.response.model': completion.model,
    'gen_ai.response.id': completion.responseId,
    'gen_ai.response.finish_reasons': [completion.finishReason],
    'gen_ai.usage.input_tokens': completion.usage.promptTokens,
    'gen_ai.usage.output_tokens': completion.usage.completionTokens,
  });
}

function onFailure(span: Span, error: unknown, deployment: string): ModelCallOutcome {
  const failure = classifyModelFailure(error, deployment);
  if (span.isRecording()) {
    span.setAttributes({
      'error.type': failure.status !== undefined ? String(failure.status) : failure.reason,
      'pipeline.model.failure': failure.kind,
      ...(failure.status !== undefined ? { 'http.response.status_code': failure.status } : {}),
      // How long the service asked us to wait: the job's message is rescheduled, nothing sleeps.
      ...(failure.retryAfterMs !== undefined
        ? { 'pipeline.model.retry_after_ms': failure.retryAfterMs }
        : {}),
    });
  }
  return failure.kind === 'throttled' ? 'throttled' : 'failed';
}

/** A call no deployment could take now: paced for quota, or every circuit open. */
export function recordUnroutedCall(model: string, reason: string): void {
  recordModelCall(model, 'none', reason === 'model_circuit_open' ? 'circuit_open' : 'paced');
}

function hostOf(endpoint: string): string | undefined {
  try {
    return new URL(endpoint).hostname;
  } catch {
    return undefined;
  }
}
