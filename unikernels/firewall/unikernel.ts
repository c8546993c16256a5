// A firewall and NAT router between a client network and an uplink, the qubes-mirage-firewall's
// job: clients' new flows pass the rules file (Qubes' fields, first match wins, no match drops),
// are translated to the uplink address and tracked in a fixed-size table; DNS sent to the
// firewall goes to the upstream resolver where `specialtarget=dns` allows; port forwards open
// services inside. SIGHUP reloads the rules (a bad file is refused, the old rules stay, tracked
// flows go on); counters are logged every minute and on SIGUSR1. It runs on the tap target,
// whose stack owns both interfaces: `--client-tap ... --uplink-tap ...`.

import { OasisError, unwrap } from '@oasis/core';
import { DnsClient } from '@oasis/dns';
import {
  ConnectionTable,
  DstnameResolver,
  FirewallPolicy,
  parsePortForward,
  parseRules,
  RuleSet,
} from '@oasis/nat';
import { arg, defineUnikernel, device, type KvRo } from '@oasis/runtime';
import { parseIpv4Address } from '@oasis/wire';
import { lookUpIpv4Addresses } from './name-lookup.ts';
import { firewallReport } from './report.ts';

/** How often expired flows leave the table. */
const EXPIRY_INTERVAL_MS = 1000;

export default defineUnikernel({
  name: 'firewall',
  doc: 'a firewall and NAT router between a client network and an uplink',
  devices: {
    net: device.stack('the client network and the uplink', { interfaces: ['client', 'uplink'] }),
    files: device.kvRo('the directory holding the rules file', { defaultDirectory: '.' }),
    clock: device.clock(),
    sleep: device.sleep(),
    random: device.random(),
    log: device.logger(),
  },
  args: {
    rules: arg.string({
      doc: 'the rules file: one rule per line, first match wins, no match drops',
      placeholder: 'FILE',
      required: true,
    }),
    dnsUpstream: arg.string({
      doc: "the resolver for clients' DNS (sent to the firewall) and for dstname rules",
      placeholder: 'IP',
      check: (text) => (parseIpv4Address(text).ok ? undefined : 'expected an IPv4 address'),
    }),
    forward: arg.list({
      doc: 'forward a port of the uplink address to a client',
      placeholder: 'tcp|udp:PORT=IP:PORT',
      check: (text) => {
        const parsed = parsePortForward(text);
        return parsed.ok ? undefined : parsed.error;
      },
    }),
    maxFlows: arg.integer({
      doc: 'connections tracked at once; the closest to expiring make room for new ones',
      default: 65_536,
      min: 16,
      max: 1 << 22,
    }),
    reportSeconds: arg.integer({ doc: 'how often the counters are logged', default: 60, min: 1 }),
  },
  async start({ net, files, clock, sleep, random, log }, args, context) {
    const { forwarding } = net;
    if (forwarding === undefined) {
      throw new OasisError(
        'ENOTSUP',
        `the firewall forwards packets, which ${net.describe()} cannot: run it on the tap target`,
      );
    }
    const clientInterface = forwarding.interfaces.findIndex((iface) => iface.name === 'client');
    const uplinkInterface = forwarding.interfaces.findIndex((iface) => iface.name === 'uplink');
    const rules = new RuleSet(await loadRules(files, args.rules));
    const dnsUpstream =
      args.dnsUpstream === undefined ? undefined : unwrap(parseIpv4Address(args.dnsUpstream));
    if (rules.names().length > 0 && dnsUpstream === undefined) {
      throw new OasisError('EINVAL', `${args.rules}: dstname rules need --dns-upstream IP`);
    }
    const client =
      args.dnsUpstream === undefined
        ? undefined
        : new DnsClient({
            udp: net.udp,
            tcp: net.tcp,
            servers: [{ address: args.dnsUpstream, port: 53 }],
            clock,
            sleep,
            random,
            logger: log,
          });
    const table = new ConnectionTable({
      capacity: args.maxFlows,
      random,
      isPortUsedLocally: (protocol, port) => forwarding.portInUse(protocol, port),
    });
    const policy = new FirewallPolicy({
      forwarding,
      clientInterface,
      uplinkInterface,
      table,
      rules,
      ...(dnsUpstream === undefined ? {} : { dnsUpstream }),
      portForwards: args.forward.map((text) => {
        const parsed = parsePortForward(text);
        if (!parsed.ok) throw new OasisError('EINVAL', parsed.error);
        return parsed.value;
      }),
    });
    const names = new DstnameResolver({
      resolve: async (name) => {
        if (client === undefined) throw new OasisError('EINVAL', 'no --dns-upstream');
        return lookUpIpv4Addresses(client, name);
      },
      clock,
      sleep,
      logger: log,
    });
    forwarding.setPolicy(policy);
    const report = (): void => log.info('counters', firewallReport(policy, table));
    let expiry = sleep.setTimer(clock.nowMs() + EXPIRY_INTERVAL_MS, function expire() {
      table.expire(clock.nowMs());
      expiry = sleep.setTimer(clock.nowMs() + EXPIRY_INTERVAL_MS, expire);
    });
    let reporting = sleep.setTimer(clock.nowMs() + args.reportSeconds * 1000, function again() {
      report();
      reporting = sleep.setTimer(clock.nowMs() + args.reportSeconds * 1000, again);
    });
    context.signal.addEventListener('abort', () => {
      forwarding.setPolicy(undefined);
      expiry.cancel();
      reporting.cancel();
      names.close();
      void client?.close();
    });
    context.onReport(report);
    const reloadRules = async (): Promise<void> => {
      try {
        const next = new RuleSet(await loadRules(files, args.rules));
        if (next.names().length > 0 && client === undefined) {
          throw new OasisError('EINVAL', `${args.rules}: dstname rules need --dns-upstream IP`);
        }
        // Names the old rules knew keep their addresses at once; new ones are looked up.
        const following = names.follow(next);
        policy.setRules(next);
        log.info('rules reloaded', { rules: next.rules.length, flows: table.size });
        await following;
        log.info('rule names resolved', nameCounts(next));
      } catch (error) {
        log.error('rules not reloaded, the old rules stay in force', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    };
    context.onReload(() => void reloadRules());
    // Until a name's first answer its rules match nothing: the firewall fails closed.
    void names.follow(rules).then(() => log.info('rule names resolved', nameCounts(rules)));
    log.info('firewall ready', {
      rules: rules.rules.length,
      maxFlows: table.capacity,
      stack: net.describe(),
      ...(args.dnsUpstream === undefined ? {} : { dnsUpstream: args.dnsUpstream }),
      ...(args.forward.length === 0 ? {} : { forwards: args.forward.join(' ') }),
    });
  },
});

async function loadRules(files: KvRo, file: string) {
  const text = new TextDecoder().decode(await files.get(file));
  const parsed = parseRules(text, file);
  if (!parsed.ok) throw new OasisError('EINVAL', parsed.error);
  return parsed.value;
}

/** How many addresses each dstname of `rules` has now, for the log. */
function nameCounts(rules: RuleSet): Record<string, number> {
  return Object.fromEntries(rules.names().map((name) => [name, rules.addressesOf(name).length]));
}
