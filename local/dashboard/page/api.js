/* global fetch */
// The dashboard's JSON endpoints (local/dashboard/http.ts); the shapes are api-types.ts.

/**
 * @typedef {import('../api-types.js').Overview} Overview
 * @typedef {import('../api-types.js').JobSummary} JobSummary
 * @typedef {import('../api-types.js').TraceView} TraceView
 */

/**
 * @template T
 * @param {string} path
 * @returns {Promise<T>}
 */
async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  /** @type {unknown} */
  const value = await response.json();
  return /** @type {T} */ (value);
}

/** @returns {Promise<Overview>} */
export const fetchOverview = () => getJson('/dashboard/api/overview');

/**
 * @param {string} query
 * @returns {Promise<readonly JobSummary[]>}
 */
export async function searchJobs(query) {
  /** @type {{ jobs: readonly JobSummary[] }} */
  const found = await getJson(`/dashboard/api/jobs?limit=50&q=${encodeURIComponent(query)}`);
  return found.jobs;
}

/**
 * @param {string} traceId
 * @returns {Promise<TraceView>}
 */
export const fetchTrace = (traceId) => getJson(`/dashboard/api/traces/${encodeURIComponent(traceId)}`);
