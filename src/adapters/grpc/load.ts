import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import { PROTO_LOADER_OPTIONS } from './proto-options.js';

let adminProto: AdminProto | undefined;

/** The `maildirector.admin.v1` package, parsed once per process. */
export function loadAdminProto(): AdminProto {
  if (adminProto === undefined) {
    const definition = loadSync('maildirector/admin/v1/admin.proto', PROTO_LOADER_OPTIONS);
    // The generated ProtoGrpcType describes exactly this package definition.
    adminProto = loadPackageDefinition(definition) as unknown as AdminProto;
  }
  return adminProto;
}
