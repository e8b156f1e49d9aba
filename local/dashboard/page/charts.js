/* global uPlot, ResizeObserver */
// Time-series panels drawn by uPlot (loaded as a classic script, the `uPlot` global, from node_modules
// through the dev host: nothing comes from outside).

/** @typedef {import('../api-types.js').SeriesView} SeriesView */

export const PALETTE = [
  '#2f6fde',
  '#2e9d5b',
  '#c78a1d',
  '#7b4fd0',
  '#c62f3b',
  '#1f9bb0',
  '#8a6d3b',
  '#d05fa2',
];

const HEIGHT = 220;

/**
 * @typedef {object} ChartOptions
 * @property {(name: string) => string} [color] A line's color; by its position otherwise.
 * @property {(name: string) => boolean} [dashed]
 * @property {number} [decimals]
 */

/** A line chart that takes new data each poll and rebuilds itself only when its set of lines changes. */
export class LineChart {
  /** @type {uPlot | undefined} */
  #plot;
  #key = '';

  /**
   * @param {HTMLElement} element
   * @param {ChartOptions} [options]
   */
  constructor(element, options = {}) {
    this.element = element;
    this.options = options;
    new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: HEIGHT })).observe(element);
  }

  /** @param {SeriesView} series */
  update(series) {
    const names = Object.keys(series.lines);
    /** @type {uPlot.AlignedData} */
    const data = [[...series.t], ...names.map((name) => [...(series.lines[name] ?? [])])];
    const key = names.join('\n');
    if (this.#plot && key === this.#key) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    this.#key = key;
    this.#plot = new uPlot(this.#optionsFor(names), data, this.element);
  }

  #width() {
    return Math.max(200, this.element.clientWidth);
  }

  /**
   * @param {string[]} names
   * @returns {uPlot.Options}
   */
  #optionsFor(names) {
    const { color, dashed, decimals = 1 } = this.options;
    return {
      width: this.#width(),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_plot, min, max) => [0, Math.max(1, max, min)] } },
      axes: [{}, { size: 56 }],
      series: [
        {},
        ...names.map((name, index) => ({
          label: name,
          stroke: color ? color(name) : (PALETTE[index % PALETTE.length] ?? '#000'),
          width: 1.5,
          ...(dashed?.(name) ? { dash: [6, 4] } : {}),
          /** @type {(plot: uPlot, value: number | null) => string} */
          value: (_plot, value) => (value === null || value === undefined ? '–' : value.toFixed(decimals)),
        })),
      ],
    };
  }
}
