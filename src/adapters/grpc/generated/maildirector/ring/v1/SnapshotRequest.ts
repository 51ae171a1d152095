// Original file: maildirector/ring/v1/ring.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
