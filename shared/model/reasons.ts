/**
 * RetryAfterError reasons shared by the model client and the attempt policy. Their own module, so that
 * the attempt policy (imported by the invoke stage, hence by the function registrations) does not load
 * the model client and with it the openai SDK, @azure/identity and the tokenizer at start-up
 * (bench/startup.ts measures the import).
 */

/** Reason on RetryAfterError when the call was never made because no deployment had quota for it. */
export const QUOTA_PACED_REASON = 'quota_paced';

/** Reason on RetryAfterError when the call was not made because its tenant is at its token limit. */
export const TENANT_PACED_REASON = 'tenant_paced';
