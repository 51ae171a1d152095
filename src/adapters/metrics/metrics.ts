/**
 * A minimal Prometheus registry: counters and gauges with fixed label names.
 * Labels never carry user names or IP addresses (unbounded, and personal).
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

  abstract readonly type: 'counter' | 'gauge';

  protected slot(labels: LabelValues): { labels: LabelValues; value: number } {
    const key = labels.join('\u0000');
    let slot = this.values.get(key);
    if (slot === undefined) {
      slot = { labels, value: 0 };
      this.values.set(key, slot);
    }
    return slot;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values()) {
      const rendered = labels.map((v, i) => `${this.labelNames[i] ?? ''}="${v.replace(/["\\\n]/g, '_')}"`).join(',');
      lines.push(rendered === '' ? `${this.name} ${value}` : `${this.name}{${rendered}} ${value}`);
    }
    return lines.join('\n');
  }
}

export class Counter extends Metric {
  readonly type = 'counter';
  inc(labels: LabelValues = [], by = 1): void {
    this.slot(labels).value += by;
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

  /** Run before each scrape to refresh gauges computed from live state. */
  onCollect(collector: () => void): void {
    this.#collectors.push(collector);
  }

  render(): string {
    for (const collect of this.#collectors) collect();
    return this.#metrics.map((m) => m.render()).join('\n') + '\n';
  }
}
