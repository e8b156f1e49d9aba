// One trace as a waterfall: a row per span in start order, indented under its parent, its bar placed
// on the trace's time line. Positions are set through the CSSOM (element.style), which the page's
// Content-Security-Policy allows, unlike inline style attributes.

import { element, formatMs } from './panels.js';

/** @typedef {import('../api-types.js').TraceView} TraceView */
/** @typedef {import('../api-types.js').SpanView} SpanView */

const SHOWN_ATTRIBUTES = [
  'job.id',
  'messaging.destination.name',
  'messaging.message.id',
  'gen_ai.deployment',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'http.response.status_code',
  'dead_letter.reason',
  'error.type',
];

/**
 * Depth of each span under the trace's roots (a parent missing from the trace counts as a root).
 * @param {readonly SpanView[]} spans
 */
function depths(spans) {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  /** @type {Map<string, number>} */
  const depth = new Map();
  /** @param {SpanView} span @returns {number} */
  const of = (span) => {
    const known = depth.get(span.spanId);
    if (known !== undefined) return known;
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
    // Depth is bounded by the span count, which also ends a (malformed) cycle.
    const value = parent && depth.size < spans.length ? Math.min(of(parent) + 1, 12) : 0;
    depth.set(span.spanId, value);
    return value;
  };
  for (const span of spans) of(span);
  return depth;
}

/**
 * @param {HTMLElement} container
 * @param {TraceView} trace
 */
export function renderWaterfall(container, trace) {
  const start = trace.startMs;
  const total = Math.max(1, trace.endMs - trace.startMs);
  const depth = depths(trace.spanList);
  const rows = trace.spanList.map((span) => {
    const row = element('div', undefined, 'span-row');
    row.dataset.spanName = span.name;
    const name = element('div', span.name, 'span-name');
    name.style.paddingLeft = `${(depth.get(span.spanId) ?? 0) * 14}px`;
    name.title = SHOWN_ATTRIBUTES.filter((key) => span.attributes[key] !== undefined)
      .map((key) => `${key}: ${String(span.attributes[key])}`)
      .join('\n');
    const track = element('div', undefined, 'span-track');
    const bar = element('div', undefined, `span-bar ${span.kind}${span.error ? ' error' : ''}`);
    bar.style.left = `${((span.startMs - start) / total) * 100}%`;
    bar.style.width = `${(span.durationMs / total) * 100}%`;
    bar.title = `${span.name} ${formatMs(span.durationMs)}${span.error ? ` (${span.error})` : ''}`;
    track.append(bar);
    row.append(name, track, element('div', formatMs(span.durationMs), 'span-ms'));
    return row;
  });
  const dropped = trace.droppedSpans > 0 ? [element('p', `${trace.droppedSpans} more spans not kept`)] : [];
  container.replaceChildren(...rows, ...dropped);
}
