import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { closest } from './did-you-mean.js';
import { parseDuration, parseSize } from './durations.js';
import type { ConfigProblem } from './problems.js';

/**
 * Walks the YAML node tree (not its plain-JS form) so every problem can
 * name the line and column of the offending key, and keeps going after a
 * problem so one `config check` run shows them all.
 */
export class Reader {
  readonly problems: ConfigProblem[] = [];
  /** What works but an operator should change (a world-readable secret); never stops a load. */
  readonly warnings: ConfigProblem[] = [];
  readonly #file: string;
  readonly #lines: LineCounter;
  readonly #doc: Document;

  constructor(file: string, lines: LineCounter, doc: Document) {
    this.#file = file;
    this.#lines = lines;
    this.#doc = doc;
  }

  reportAt(offset: number, key: string, message: string): void {
    const { line, col } = this.#lines.linePos(offset);
    this.problems.push({ file: this.#file, line, column: col, key, message });
  }

  report(node: Node | null | undefined, key: string, message: string): void {
    this.reportAt(node?.range?.[0] ?? 0, key, message);
  }

  /** The config file these problems are about. */
  get file(): string {
    return this.#file;
  }

  warn(node: Node | null | undefined, key: string, message: string): void {
    const { line, col } = this.#lines.linePos(node?.range?.[0] ?? 0);
    this.warnings.push({ file: this.#file, line, column: col, key, message });
  }

  /** Follows `*alias` references; a dangling alias reads as absent. */
  deref(node: unknown): Node | null {
    if (isAlias(node)) return node.resolve(this.#doc) ?? null;
    return isScalar(node) || isMap(node) || isSeq(node) ? node : null;
  }

  /** A mapping with the given keys; anything else is reported (with a did-you-mean for typos). */
  map(node: Node | null, path: string, known: readonly string[], keyNode: Node | null = null): MapView | undefined {
    const n = this.deref(node);
    if (n === null || isNull(n)) return undefined;
    if (!isMap(n)) {
      this.report(n, path, 'expected a mapping of keys');
      return undefined;
    }
    const view = new MapView(this, n, path, keyNode ?? n);
    for (const pair of n.items) {
      const keyNode = this.deref(pair.key);
      const name = keyNode !== null && isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof name !== 'string' && typeof name !== 'number') {
        this.report(keyNode, path, 'keys must be plain names');
        continue;
      }
      const key = String(name);
      const keyPath = join(path, key);
      if (!known.includes(key)) {
        const hint = closest(key, known);
        this.report(keyNode, keyPath, hint === undefined ? 'unknown key' : `unknown key; did you mean "${hint}"?`);
        continue;
      }
      view.entries.set(key, { keyNode, node: this.deref(pair.value), path: keyPath });
    }
    return view;
  }

  /** The mapping under `name` in `parent`, missing keys reported at `name:`. */
  section(parent: MapView | undefined, name: string, known: readonly string[]): MapView | undefined {
    const e = parent?.entries.get(name);
    return e === undefined ? undefined : this.map(e.node, e.path, known, e.keyNode);
  }
}

export interface Entry {
  readonly keyNode: Node | null;
  /** null for `key:` with nothing after it. */
  readonly node: Node | null;
  readonly path: string;
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

interface IntOptions {
  readonly min?: number;
  readonly max?: number;
}

/** Typed access to one mapping's keys; each getter reports what it cannot use and returns the default. */
export class MapView {
  readonly entries = new Map<string, Entry>();
  readonly reader: Reader;
  readonly node: YAMLMap;
  readonly path: string;
  /** Where a missing key is reported: the section's own key (`passdb:`), else the mapping. */
  readonly anchor: Node;

  constructor(reader: Reader, node: YAMLMap, path: string, anchor: Node) {
    this.reader = reader;
    this.node = node;
    this.path = path;
    this.anchor = anchor;
  }

  has(name: string): boolean {
    const e = this.entries.get(name);
    return e !== undefined && e.node !== null && !isNull(e.node);
  }

  /** The entry if it has a value; `required` reports a missing key at the mapping. */
  value(name: string, required = false): Entry | undefined {
    const e = this.entries.get(name);
    if (e !== undefined && e.node !== null && !isNull(e.node)) return e;
    if (required) {
      if (e === undefined) this.reader.report(this.anchor, join(this.path, name), 'required key is missing');
      else this.reader.report(e.keyNode, e.path, 'required value is empty');
    }
    return undefined;
  }

  problem(entry: Entry, message: string): void {
    this.reader.report(entry.node ?? entry.keyNode, entry.path, message);
  }

  string(name: string, required = false): string | undefined {
    const e = this.value(name, required);
    return e === undefined ? undefined : scalarString(this.reader, e.node, e.path);
  }

  bool(name: string, fallback: boolean): boolean {
    const e = this.value(name);
    if (e === undefined) return fallback;
    const v = isScalar(e.node) ? e.node.value : undefined;
    if (typeof v === 'boolean') return v;
    this.problem(e, 'expected true or false');
    return fallback;
  }

  int(name: string, fallback: number, options: IntOptions = {}): number {
    const e = this.value(name);
    if (e === undefined) return fallback;
    const v = isScalar(e.node) ? e.node.value : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.problem(e, 'expected a whole number');
      return fallback;
    }
    return checkRange(this, e, v, options) ? v : fallback;
  }

  duration(name: string, fallback: number, options: IntOptions = {}): number {
    return this.#quantity(name, fallback, options, parseDuration);
  }

  size(name: string, fallback: number, options: IntOptions = {}): number {
    return this.#quantity(name, fallback, options, parseSize);
  }

  /** A list of strings; a single string is taken as a list of one. */
  stringList(name: string, required = false): { values: string[]; entries: Entry[] } | undefined {
    const e = this.value(name, required);
    if (e === undefined) return undefined;
    if (isScalar(e.node)) {
      const s = scalarString(this.reader, e.node, e.path);
      return s === undefined ? { values: [], entries: [] } : { values: [s], entries: [e] };
    }
    if (!isSeq(e.node)) {
      this.problem(e, 'expected a list');
      return { values: [], entries: [] };
    }
    const values: string[] = [];
    const entries: Entry[] = [];
    e.node.items.forEach((item, i) => {
      const path = `${e.path}[${i}]`;
      const node = this.reader.deref(item);
      const s = scalarString(this.reader, node, path);
      if (s !== undefined) {
        values.push(s);
        entries.push({ keyNode: node, node, path });
      }
    });
    if (required && values.length === 0 && e.node.items.length === 0) this.problem(e, 'must not be empty');
    return { values, entries };
  }

  #quantity(
    name: string,
    fallback: number,
    options: IntOptions,
    parse: (raw: unknown) => { ok: true; value: number } | { ok: false; message: string },
  ): number {
    const e = this.value(name);
    if (e === undefined) return fallback;
    const raw = isScalar(e.node) ? e.node.value : undefined;
    const r = parse(raw);
    if (!r.ok) {
      this.problem(e, r.message);
      return fallback;
    }
    return checkRange(this, e, r.value, options) ? r.value : fallback;
  }
}

function checkRange(view: MapView, e: Entry, v: number, { min, max }: IntOptions): boolean {
  if (min !== undefined && v < min) {
    view.problem(e, `must be at least ${min}`);
    return false;
  }
  if (max !== undefined && v > max) {
    view.problem(e, `must be at most ${max}`);
    return false;
  }
  return true;
}

/** Strings, and numbers taken as written (`id: 1`, a password of digits); anything else is reported. */
export function scalarString(reader: Reader, node: Node | null, path: string): string | undefined {
  if (node !== null && isScalar(node)) {
    if (typeof node.value === 'string') return node.value;
    if (typeof node.value === 'number') return node.source ?? String(node.value);
  }
  reader.report(node, path, 'expected a string');
  return undefined;
}
