import { inspect } from 'node:util';

/**
 * A credential that must never reach a log, an error message or JSON.
 * Every way of turning it into text yields a placeholder; only `reveal()`
 * gives the value, so a grep for `reveal(` finds every place a secret leaves.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
