// A caching DNS resolver with blocklists, the Mirage Hole: names from a hosts file, blocked
// names answered with 0.0.0.0/:: or NXDOMAIN, the rest from the cache or resolved by upstream
// servers (forwarding) or from the root (recursive, QNAME minimisation). Blocklists are files or
// HTTP(S) URLs, refreshed periodically; SIGHUP re-reads the hosts file and every list, SIGUSR1
// logs the counters.

import { OasisError } from '@oasis/core';
import {
  DnsCache,
  DnsClient,
  DnsName,
  Forwarder,
  IANA_ROOT_HINTS,
  LocalHosts,
  makeQuery,
  parseHostsFile,
  parseRootHints,
  RecordClass,
  RecordType,
  RecursiveResolver,
  Resolver,
  startDnsServer,
  type Upstream,
} from '@oasis/dns';
import { arg, defineUnikernel, device, type KvRo } from '@oasis/runtime';
import { BlocklistSources } from './blocklist-sources.ts';
import { fetchText } from './fetch-text.ts';
import { parseServerAddress } from './server-address.ts';

export default defineUnikernel({
  name: 'dns-resolver',
  doc: 'a caching DNS resolver with blocklists, forwarding or recursive',
  devices: {
    net: device.stack(),
    files: device.kvRo('the directory holding the hosts file, root hints and blocklist files', {
      defaultDirectory: '.',
    }),
    clock: device.clock(),
    sleep: device.sleep(),
    random: device.random(),
    log: device.logger(),
  },
  args: {
    port: arg.port({ doc: 'the UDP and TCP port', default: 53 }),
    upstream: arg.list({
      doc: 'a resolver to forward to',
      placeholder: 'IP[:PORT]',
      check: (text) => {
        const parsed = parseServerAddress(text);
        return parsed.ok ? undefined : parsed.error;
      },
    }),
    recursive: arg.flag({ doc: 'resolve from the root servers instead of forwarding' }),
    rootHints: arg.string({
      doc: 'root hints (named.root format) for --recursive (default: IANA root servers)',
      placeholder: 'FILE',
    }),
    hosts: arg.string({
      doc: 'a hosts file whose names are answered locally',
      placeholder: 'FILE',
    }),
    blocklist: arg.list({
      doc: 'a list of names to block: hosts or domain format, a file or an http(s) URL',
      placeholder: 'FILE|URL',
    }),
    blockMode: arg.string({
      doc: 'how blocked names are answered',
      choices: ['null', 'nxdomain'],
      default: 'null',
    }),
    blocklistRefreshMinutes: arg.integer({
      doc: 'how often blocklists are read again',
      default: 1440,
      min: 1,
    }),
    cacheSize: arg.integer({ doc: 'answers kept in the cache', default: 10_000, min: 1 }),
  },
  async start({ net, files, clock, sleep, random, log }, args, context) {
    if (args.recursive === args.upstream.length > 0) {
      throw new OasisError(
        'EINVAL',
        'give either --upstream IP[:PORT] (forwarding) or --recursive',
      );
    }
    const client = new DnsClient({
      udp: net.udp,
      tcp: net.tcp,
      servers: [],
      clock,
      sleep,
      random,
      logger: log,
    });
    let upstream: Upstream;
    if (args.recursive) {
      const rootHints =
        args.rootHints === undefined
          ? IANA_ROOT_HINTS
          : unwrapText(parseRootHints(await readText(files, args.rootHints), args.rootHints));
      upstream = new RecursiveResolver({ client, rootHints, clock, random, logger: log });
    } else {
      const servers = args.upstream.map((text) => unwrapText(parseServerAddress(text)));
      upstream = new Forwarder({ client, servers });
    }
    let hosts = args.hosts === undefined ? undefined : await loadHosts(files, args.hosts);
    const resolver = new Resolver({
      upstream,
      cache: new DnsCache(clock, { maxEntries: args.cacheSize }),
      hosts: () => hosts,
      blocked: () => blocklists.current,
      blockMode: args.blockMode === 'nxdomain' ? 'nxdomain' : 'null',
      logger: log,
    });
    const lookup = async (host: string): Promise<string> => {
      const name = DnsName.parse(host.endsWith('.') ? host : `${host}.`);
      if (!name.ok) throw new OasisError('EINVAL', name.error);
      const answer = await resolver.answer(
        makeQuery(0, { name: name.value, type: RecordType.A, class: RecordClass.IN }),
      );
      const address = answer.answers.findLast((record) => record.data.kind === 'A');
      if (address?.data.kind !== 'A') throw new OasisError('ENOENT', `${host} has no IPv4 address`);
      return address.data.address;
    };
    const blocklists = new BlocklistSources(args.blocklist, {
      tree: files,
      fetchText: (url) => fetchText(url, { tcp: net.tcp, lookup, signal: context.signal }),
      logger: log,
    });
    const server = await startDnsServer({
      udp: net.udp,
      tcp: net.tcp,
      port: args.port,
      clock,
      sleep,
      logger: log,
      handler: (query) => resolver.answer(query),
    });
    // Lists load after the server answers: a list on a name the resolver must look up needs it.
    await blocklists.refresh();
    let refresh = sleep.setTimer(
      clock.nowMs() + args.blocklistRefreshMinutes * 60_000,
      function again() {
        void blocklists.refresh();
        refresh = sleep.setTimer(clock.nowMs() + args.blocklistRefreshMinutes * 60_000, again);
      },
    );
    context.signal.addEventListener('abort', () => {
      refresh.cancel();
      void server.close().then(() => upstream.close());
    });
    context.onReload(() => {
      void blocklists.refresh();
      if (args.hosts === undefined) return;
      loadHosts(files, args.hosts).then(
        (reloaded) => {
          hosts = reloaded;
        },
        (error: unknown) =>
          log.error('hosts file not reloaded, the old one still answers', { error }),
      );
    });
    context.onReport(() =>
      log.info('counters', {
        ...server.counters(),
        ...resolver.counters(),
        blocklist: blocklists.current.size,
      }),
    );
    log.info('resolving', {
      port: server.udpPort,
      mode: args.recursive ? 'recursive' : `forwarding to ${args.upstream.join(', ')}`,
      blocked: blocklists.current.size,
      hosts: hosts?.size ?? 0,
      stack: net.describe(),
    });
  },
});

async function readText(tree: KvRo, file: string): Promise<string> {
  return new TextDecoder().decode(await tree.get(file));
}

async function loadHosts(tree: KvRo, file: string): Promise<LocalHosts> {
  const parsed = parseHostsFile(await readText(tree, file));
  const first = parsed.errors[0];
  if (first !== undefined) {
    throw new OasisError('EINVAL', `${file}:${first.line}: ${first.reason}`);
  }
  return new LocalHosts(parsed.entries);
}

function unwrapText<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new OasisError('EINVAL', result.error);
  return result.value;
}
