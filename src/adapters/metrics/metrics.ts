/**
 * A minimal Prometheus registry: counters, gauges and histograms with fixed
 * label names. Labels never carry user names or IP addresses (unbounded, and
 * personal).
 */
type LabelValues = readonly string[];

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly values = new Map<string, { labels: LabelValues; value: number }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  protected slot(labels: LabelValues): { labels: LabelValues; value: number } {
    const key = labels.join('\u0000');
    let slot = this.values.get(key);
    if (slot === undefined) {
      slot = { labels, value: 0 };
      this.values.set(key, slot);
    }
    return slot;
  }

  protected header(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
  }

  render(): string {
    const lines = this.header();
    for (const { labels, value } of this.values.values()) lines.push(sample(this.name, this.labelNames, labels, value));
    return lines.join('\n');
  }
}

function sample(name: string, labelNames: readonly string[], labels: LabelValues, value: number, extra = ''): string {
  const parts = labels.map((v, i) => `${labelNames[i] ?? ''}="${v.replace(/["\\\n]/g, '_')}"`);
  if (extra !== '') parts.push(extra);
  const text = Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  return parts.length === 0 ? `${name} ${text}` : `${name}{${parts.join(',')}} ${text}`;
}

export class Counter extends Metric {
  readonly type = 'counter';
  inc(labels: LabelValues = [], by = 1): void {
    this.slot(labels).value += by;
  }
  /** Mirror a total that another part keeps (e.g. gossip stats), on scrape. */
  setTotal(labels: LabelValues, total: number): void {
    this.slot(labels).value = total;
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge';
  set(labels: LabelValues, value: number): void {
    this.slot(labels).value = value;
  }
  /** Replace every series at once (for values computed on scrape). */
  replaceAll(series: ReadonlyArray<{ labels: LabelValues; value: number }>): void {
    this.values.clear();
    for (const s of series) this.set(s.labels, s.value);
  }
}

/** Default buckets in seconds: a millisecond to ten seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

interface HistogramSeries {
  readonly labels: LabelValues;
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Cumulative buckets, `_sum` and `_count`, as Prometheus expects. */
export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: LabelValues, value: number): void {
    const key = labels.join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) (series.counts[i] as number) += 1;
    series.sum += value;
    series.count += 1;
  }

  override render(): string {
    const lines = this.header();
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) => lines.push(sample(`${this.name}_bucket`, this.labelNames, s.labels, s.counts[i] ?? 0, `le="${le}"`)));
      lines.push(sample(`${this.name}_bucket`, this.labelNames, s.labels, s.count, 'le="+Inf"'));
      lines.push(sample(`${this.name}_sum`, this.labelNames, s.labels, s.sum));
      lines.push(sample(`${this.name}_count`, this.labelNames, s.labels, s.count));
    }
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  readonly #metrics: Metric[] = [];
  readonly #collectors: Array<() => void> = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const metric = new Counter(name, help, labelNames);
    this.#metrics.push(metric);
    return metric;
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    const metric = new Gauge(name, help, labelNames);
    this.#metrics.push(metric);
    return metric;
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = DEFAULT_BUCKETS): Histogram {
    const metric = new Histogram(name, help, labelNames, buckets);
    this.#metrics.push(metric);
    return metric;
  }

  /** Run before each scrape to refresh gauges computed from live state. */
  onCollect(collector: () => void): void {
    this.#collectors.push(collector);
  }

  render(): string {
    for (const collect of this.#collectors) collect();
    return this.#metrics.map((m) => m.render()).join('\n') + '\n';
  }
}
