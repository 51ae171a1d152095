import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Options } from '@grpc/proto-loader';

/**
 * proto/ at the repository root: the one source of truth for every gRPC
 * message. Three levels up from src/adapters/grpc, four from the compiled
 * dist/src/adapters/grpc.
 */
export const PROTO_ROOT = ['../../../proto/', '../../../../proto/']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((dir) => existsSync(`${dir}maildirector`)) ?? fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * Run-time decoding options. They must match the flags in scripts/gen-proto,
 * or the generated types in ./generated/ lie about what arrives:
 * - keepCase false: fields are camelCase in TypeScript (snake_case in .proto).
 * - longs Number: int64 arrives as a number (exact to 2^53: ms and byte counts).
 * - enums String: enum values arrive as their names.
 * - defaults: an omitted scalar arrives as its zero value, never undefined.
 * - oneofs: a oneof arrives with a virtual field naming the present member.
 */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});
