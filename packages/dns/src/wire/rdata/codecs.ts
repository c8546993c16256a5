// The record types with their own codec; every other type is opaque RDATA (RFC 3597).

import { aaaaCodec, aCodec } from './address.ts';
import { dnskeyCodec, dsCodec, rrsigCodec } from './dnssec.ts';
import { mxCodec, srvCodec } from './mx-srv.ts';
import { cnameCodec, dnameCodec, nsCodec, ptrCodec } from './name-targets.ts';
import { nsec3Codec, nsecCodec } from './nsec.ts';
import type { RdataCodec } from './rdata-codec.ts';
import { soaCodec } from './soa.ts';
import { httpsCodec, svcbCodec } from './svcb.ts';
import { sshfpCodec, tlsaCodec } from './tlsa-sshfp.ts';
import { caaCodec, txtCodec } from './txt-caa.ts';

// Each codec is typed for its own data; the registry picks them by type and kind, so the list
// holds them as codecs of any record data (method parameters are checked bivariantly).
export const RDATA_CODECS: readonly RdataCodec[] = [
  aCodec,
  nsCodec,
  cnameCodec,
  soaCodec,
  ptrCodec,
  mxCodec,
  txtCodec,
  aaaaCodec,
  srvCodec,
  dnameCodec,
  dsCodec,
  sshfpCodec,
  rrsigCodec,
  nsecCodec,
  dnskeyCodec,
  nsec3Codec,
  tlsaCodec,
  svcbCodec,
  httpsCodec,
  caaCodec,
];
