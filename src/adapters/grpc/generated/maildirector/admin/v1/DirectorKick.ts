// Original file: maildirector/admin/v1/admin.proto


export interface DirectorKick {
  'directorId'?: (string);
  'kicked'?: (number);
}

export interface DirectorKick__Output {
  'directorId': (string);
  'kicked': (number);
}
