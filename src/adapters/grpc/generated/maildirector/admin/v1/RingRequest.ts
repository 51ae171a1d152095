// Original file: maildirector/admin/v1/admin.proto


export interface RingRequest {
}

export interface RingRequest__Output {
}
