// The record types with their own codec; every other type is opaque RDATA (RFC 3597).

import type { RdataCodec } from './rdata-codec.ts';

export const RDATA_CODECS: readonly RdataCodec<never>[] = [];
