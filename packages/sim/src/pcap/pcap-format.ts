// The classic libpcap capture file format ("pcap"), as draft-ietf-opsawg-pcap specifies it, with
// link-layer types from draft-ietf-opsawg-pcaplinktype (https://www.tcpdump.org/linktypes.html).
//
// A file is a 24-byte file header followed by packet records, each a 16-byte header and then the
// captured bytes, unpadded (§5). Every multi-byte field is in the writing host's byte order,
// which a reader learns from the magic number (§3, §4).
//
//   file header (§4)                       record header (§5)
//    0  magic number                        0  timestamp: seconds since 1970-01-01 00:00:00 UTC
//    4  major version (16 bits)             4  timestamp: µs or ns past that second
//    6  minor version (16 bits)             8  captured length: bytes of data that follow
//    8  reserved1 (once the time zone)     12  original length: the packet's length on the wire
//   12  reserved2 (once sigfigs)
//   16  snap length
//   20  link type (low 16 bits); FCS length and reserved bits above

/** Magic number of a file whose timestamps are seconds and microseconds (§4). */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
/** Magic number of a file whose timestamps are seconds and nanoseconds (§4). */
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;

/** The current version of the format, 2.4 (§4). */
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** IEEE 802.3 Ethernet, frames from the destination MAC on, without FCS (pcaplinktype). */
export const LINKTYPE_ETHERNET = 1;

/**
 * tcpdump's default snap length, which is also the largest record libpcap accepts for most link
 * types (MAXIMUM_SNAPLEN): whole frames, 64 KiB TSO super-frames included.
 */
export const PCAP_DEFAULT_SNAP_LENGTH = 262144;

/** The unit of a record's timestamp fraction, chosen by the magic number. */
export type PcapResolution = 'us' | 'ns';

/** Timestamp fraction units in one millisecond: 1000 µs or 1 000 000 ns. */
export function fractionUnitsPerMs(resolution: PcapResolution): number {
  return resolution === 'us' ? 1_000 : 1_000_000;
}
