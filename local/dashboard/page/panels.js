/* global document, Node */
// The panels that are numbers rather than lines: status tiles and tables, built with textContent only
// (job ids and tenant names are data, never markup).

/**
 * @typedef {import('../api-types.js').QueueView} QueueView
 * @typedef {import('../api-types.js').DeploymentView} DeploymentView
 * @typedef {import('../api-types.js').JobSummary} JobSummary
 */

/**
 * @param {string} tag
 * @param {string | number} [text]
 * @param {string} [className]
 */
export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {ReadonlyArray<ReadonlyArray<string | number | Node>>} rows
 */
function fillTable(body, rows) {
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = element('tr');
      for (const cell of cells) {
        const td = element('td');
        if (cell instanceof Node) td.append(cell);
        else td.textContent = String(cell);
        row.append(td);
      }
      return row;
    }),
  );
}

const STATUS_ORDER = ['queued', 'succeeded', 'failed', 'cancelled', 'expired'];
const integer = new Intl.NumberFormat('en-US');

/**
 * @param {HTMLElement} container
 * @param {Readonly<Record<string, number>>} statuses
 */
export function renderStatuses(container, statuses) {
  const names = [...new Set([...STATUS_ORDER, ...Object.keys(statuses)])];
  container.replaceChildren(
    ...names.map((name) => {
      const tile = element('div', undefined, 'status');
      tile.dataset.status = name;
      tile.append(element('span', integer.format(statuses[name] ?? 0), 'count'), element('span', name));
      return tile;
    }),
  );
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly QueueView[]} queues
 */
export function renderQueues(body, queues) {
  fillTable(
    body,
    queues.map((queue) => [queue.name, queue.active, queue.scheduled, queue.locked, queue.deadLettered]),
  );
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly DeploymentView[]} deployments
 */
export function renderDeployments(body, deployments) {
  /** @param {string} outcome @param {DeploymentView} row */
  const calls = (outcome, row) => integer.format(row.calls[outcome] ?? 0);
  fillTable(
    body,
    deployments.map((row) => [
      row.model,
      row.deployment === 'none' ? '(paced: no deployment tried)' : row.deployment,
      row.tpm === undefined ? '–' : integer.format(row.tpm),
      row.quotaUsed === undefined ? '–' : `${(row.quotaUsed * 100).toFixed(1)} %`,
      row.requests ?? '–',
      row.throttled429 ?? '–',
      calls('ok', row),
      calls('throttled', row),
      `${calls('paced', row)} / ${calls('circuit_open', row)} circuit open`,
      `${calls('failed', row)} / ${calls('failed_over', row)}`,
    ]),
  );
}

const clock = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
});

/** @param {number} ms */
export const formatMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly JobSummary[]} jobs
 * @param {(job: JobSummary) => void} open
 */
export function renderJobs(body, jobs, open) {
  fillTable(
    body,
    jobs.map((job) => {
      const button = document.createElement('button');
      button.textContent = job.jobId ?? job.traceId;
      button.className = 'job';
      button.type = 'button';
      button.title = `trace ${job.traceId}`;
      button.addEventListener('click', () => open(job));
      const stages = element('span');
      stages.append(...job.stages.map((stage) => element('span', stage, 'chip')));
      return [
        button,
        job.tenantId ?? '',
        clock.format(job.startMs),
        formatMs(job.endMs - job.startMs),
        stages,
        `${job.spans}${job.error ? ' (error)' : ''}`,
      ];
    }),
  );
  jobs.forEach((job, index) => {
    if (job.error) body.rows[index]?.classList.add('failed');
  });
}
