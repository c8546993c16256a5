// An authoritative DNS server (RFC 1034, RFC 1035) for zones in zone files: answers with AA,
// CNAME chains inside a zone, wildcards, delegations with glue, negative answers with the SOA,
// UDP with truncation and TCP, zone transfers to listed clients. SIGHUP reloads the zone files;
// a bad one is refused with its file, line and reason and the old zones keep answering.

import { AddressList, answerAuthoritatively, startDnsServer, type ZoneSet } from '@oasis/dns';
import { arg, defineUnikernel, device } from '@oasis/runtime';
import { defaultZoneSpecs, loadZones, parseZoneSpec, type ZoneFileSpec } from './zone-files.ts';

export default defineUnikernel({
  name: 'dns-primary',
  doc: 'an authoritative DNS server for zone files',
  devices: {
    net: device.stack(),
    zones: device.kvRo('the directory holding the zone files', { defaultDirectory: '.' }),
    clock: device.clock(),
    sleep: device.sleep(),
    log: device.logger(),
  },
  args: {
    zone: arg.list({
      doc: 'a zone file in the zones directory, its origin before `=` or taken from NAME.zone (default: every *.zone file)',
      placeholder: '[ORIGIN=]FILE',
      check: (text) => {
        const spec = parseZoneSpec(text);
        return spec.ok ? undefined : spec.error;
      },
    }),
    port: arg.port({ doc: 'the UDP and TCP port', default: 53 }),
    address: arg.string({
      doc: 'the local address to answer on (default: every address)',
      placeholder: 'IP',
    }),
    axfrAllow: arg.list({
      doc: 'a network that may transfer zones (AXFR over TCP)',
      placeholder: 'CIDR',
      check: (text) => {
        const list = AddressList.parse([text]);
        return list.ok ? undefined : list.error;
      },
    }),
  },
  async start(
    { net, zones: tree, clock, sleep, log },
    { zone, port, address, axfrAllow },
    context,
  ) {
    const specs: readonly ZoneFileSpec[] =
      zone.length > 0
        ? zone.map((text) => {
            const spec = parseZoneSpec(text);
            if (!spec.ok) throw new Error(spec.error);
            return spec.value;
          })
        : await defaultZoneSpecs(tree);
    const allow = AddressList.parse(axfrAllow);
    if (!allow.ok) throw new Error(allow.error);
    const loaded = await loadZones(tree, specs);
    if (!loaded.ok) throw new Error(loaded.error);
    let current: ZoneSet = loaded.value;
    const server = await startDnsServer({
      udp: net.udp,
      tcp: net.tcp,
      port,
      ...(address === undefined ? {} : { address }),
      clock,
      sleep,
      logger: log,
      handler: (query, source) =>
        answerAuthoritatively(current, query, source, { axfrAllow: allow.value }),
    });
    context.signal.addEventListener('abort', () => void server.close());
    context.onReload(() => {
      loadZones(tree, specs).then((reloaded) => {
        if (!reloaded.ok) {
          log.error('zones not reloaded, the old ones still answer', { reason: reloaded.error });
          return;
        }
        current = reloaded.value;
        log.info('zones reloaded', { zones: describeZones(current) });
      });
    });
    context.onReport(() => log.info('counters', server.counters()));
    log.info('serving', {
      port: server.udpPort,
      zones: describeZones(current),
      stack: net.describe(),
    });
  },
});

function describeZones(zones: ZoneSet): string {
  return zones.zones.map((zone) => `${zone.apex} (${zone.records.length} records)`).join(', ');
}
