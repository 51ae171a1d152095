import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/**
 * The director's Prometheus registry, on prom-client: its exposition writer
 * escapes label values as the text format says (backslash, quote, newline)
 * and its default collectors give the process series (CPU, memory, open
 * fds, event-loop delay, GC). Labels never carry user names or client
 * addresses (unbounded, and personal); docs/metrics.md lists every series.
 */

export { Counter, Gauge, Histogram };

/** One process's metrics as prom-client's JSON, the form workers send to the primary. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Login and backend-connect times: a millisecond to the login timeouts (30 s proxy_timeout, 40 s delay cap). */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export class MetricsRegistry {
  readonly registry = new Registry();
  readonly #collectors: Array<() => void> = [];

  /** processMetrics: CPU, memory, fds, event loop, GC of this process (prom-client's default collectors). */
  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics === true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named _total break Prometheus's naming rule (promtool check metrics
      // says so); each is the sum of its per-type series without the suffix.
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets: readonly number[] = LATENCY_BUCKETS): Histogram<L> {
    return new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }

  /** Run before each scrape to refresh series computed from live state. */
  onCollect(collector: () => void): void {
    this.#collectors.push(collector);
  }

  #collect(): void {
    for (const collect of this.#collectors) collect();
  }

  /** The text exposition of this process alone. */
  async render(): Promise<string> {
    this.#collect();
    return this.registry.metrics();
  }

  /** This process's metrics as JSON, for a primary to aggregate. */
  async snapshot(): Promise<MetricsSnapshot> {
    this.#collect();
    return this.registry.getMetricsAsJSON();
  }

  /**
   * This process and its workers as one director: counters, histograms and
   * most gauges summed per label set, prom-client's own rule for each
   * default process series (event-loop delay averaged, start time left out).
   */
  async renderWith(workers: readonly MetricsSnapshot[]): Promise<string> {
    if (workers.length === 0) return this.render();
    const own = await this.snapshot();
    return AggregatorRegistry.aggregate([own, ...workers]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Set a counter to a total another part keeps (gossip stats), on scrape. */
export function mirrorTotal<L extends string>(counter: Counter<L>, series: ReadonlyArray<{ readonly labels: Partial<Record<L, string>>; readonly total: number }>): void {
  counter.reset();
  for (const s of series) counter.inc(s.labels, s.total);
}

/** Replace every series of a gauge at once (values computed on scrape). */
export function replaceAll<L extends string>(gauge: Gauge<L>, series: ReadonlyArray<{ readonly labels: Partial<Record<L, string>>; readonly value: number }>): void {
  gauge.reset();
  for (const s of series) gauge.set(s.labels, s.value);
}

/** The worker messages carry snapshots as JSON: check the shape before aggregating. */
export function isMetricsSnapshot(value: unknown): value is MetricsSnapshot {
  return (
    Array.isArray(value) &&
    value.every(
      (m: unknown) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as { name?: unknown }).name === 'string' &&
        typeof (m as { help?: unknown }).help === 'string' &&
        typeof (m as { type?: unknown }).type === 'string' &&
        Array.isArray((m as { values?: unknown }).values),
    )
  );
}
