import type { Admission, Refusal } from '../../shared/tenancy/admission-decision.js';

/** The error a refused admission carries, or the decision itself when it was not a refusal. */
export async function refusalOf(
  decision: Promise<Admission | Refusal | undefined>,
): Promise<Refusal['error'] | Admission | undefined> {
  const value = await decision;
  return value?.kind === 'refuse' ? value.error : value;
}
