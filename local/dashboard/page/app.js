/* global document, setTimeout */
// The dashboard's entry: polls the overview once a second (polling rather than a held-open stream, so
// the dev host's shutdown never waits on the page) and redraws every panel; the job search and an open
// trace follow along.

import { fetchOverview, fetchTrace, searchJobs } from './api.js';
import { LineChart, PALETTE } from './charts.js';
import { renderDeployments, renderJobs, renderQueues, renderStatuses } from './panels.js';
import { renderWaterfall } from './waterfall.js';

/** @typedef {import('../api-types.js').JobSummary} JobSummary */

/**
 * @template {Element} T
 * @param {string} selector
 * @param {new () => T} type
 * @returns {T}
 */
function find(selector, type) {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`The page has no ${selector}`);
  return found;
}

/** @param {string} selector */
const body = (selector) => find(`${selector} tbody`, HTMLTableSectionElement);

const STAGES = ['invoke', 'postprocess', 'persist', 'deliver', 'intake'];
/** @param {string} line `<stage> p50` or `<stage> p99` */
const stageColor = (line) => {
  const index = STAGES.indexOf(line.split(' ')[0] ?? '');
  return PALETTE[(index === -1 ? STAGES.length : index) % PALETTE.length] ?? '#000';
};

const charts = {
  throughput: new LineChart(find('#chart-throughput', HTMLElement)),
  latency: new LineChart(find('#chart-latency', HTMLElement), {
    color: stageColor,
    dashed: (line) => line.endsWith('p99'),
  }),
  queues: new LineChart(find('#chart-queues', HTMLElement), { decimals: 0 }),
  model: new LineChart(find('#chart-model', HTMLElement)),
};

const search = find('#job-search', HTMLInputElement);
const updated = find('#updated', HTMLElement);
const tracePanel = find('#trace-panel', HTMLElement);
/** @type {string | undefined} */
let openTrace;

/** @param {JobSummary} job */
async function showTrace(job) {
  openTrace = job.traceId;
  find('#trace-title', HTMLElement).textContent = `${job.jobId ?? ''} · ${job.traceId}`;
  tracePanel.hidden = false;
  await refreshTrace();
  tracePanel.scrollIntoView({ block: 'nearest' });
}

async function refreshTrace() {
  if (!openTrace) return;
  renderWaterfall(find('#waterfall', HTMLElement), await fetchTrace(openTrace));
}

/** @param {readonly JobSummary[]} jobs */
const showJobs = (jobs) => renderJobs(body('#jobs'), jobs, (job) => void showTrace(job));

async function refresh() {
  const overview = await fetchOverview();
  charts.throughput.update(overview.throughput);
  charts.latency.update(overview.latency);
  charts.queues.update(overview.queueDepth);
  charts.model.update(overview.modelCalls);
  renderStatuses(find('#statuses', HTMLElement), overview.statuses);
  renderQueues(body('#queues'), overview.queues);
  renderDeployments(body('#deployments'), overview.deployments);
  const query = search.value.trim();
  showJobs(query ? await searchJobs(query) : overview.recentJobs);
  find('#traces-held', HTMLElement).textContent =
    `${overview.traces.held} of at most ${overview.traces.capacity} recent traces held for search and waterfalls`;
  await refreshTrace();
  updated.textContent = `updated ${new Date(overview.now).toLocaleTimeString()}`;
  return overview.intervalSeconds * 1000;
}

async function poll() {
  let delay = 1000;
  try {
    delay = await refresh();
    updated.classList.remove('error');
  } catch (error) {
    updated.textContent = `disconnected: ${error instanceof Error ? error.message : String(error)}`;
    updated.classList.add('error');
  }
  setTimeout(() => void poll(), delay);
}

find('#search', HTMLFormElement).addEventListener('submit', (event) => event.preventDefault());
// Answers can arrive out of order while someone types: only the latest query's may fill the table.
let latestSearch = 0;
search.addEventListener('input', () => {
  const query = search.value.trim();
  const asked = (latestSearch += 1);
  void (query ? searchJobs(query) : fetchOverview().then((overview) => overview.recentJobs)).then((jobs) => {
    if (asked === latestSearch) showJobs(jobs);
  });
});
void poll();
