// The TAP device against the Linux kernel. A network namespace holds the TAP interface with
// 10.77.0.1/24; this process plays 10.77.0.2 with frames built by the wire codecs (Ethernet,
// ARP, IPv4, ICMP) and, until the TCP codec exists, TCP segments built by hand here (RFC 9293
// §3.1). All traffic stays between this process and the namespace.
// Needs root: skipped elsewhere, failed under CI when it cannot run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ClosedError,
  foldSum,
  internetChecksum,
  isOasisError,
  readU16BE,
  readU32BE,
  writeU16BE,
  writeU32BE,
} from '@oasis/core';
import { TapDevice } from '@oasis/node';
import type { Frame, FrameOffload } from '@oasis/runtime';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  emitEthernet,
  emitIcmpv4,
  emitIpv4,
  formatMac,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV4_HEADER_LENGTH,
  icmpv4Length,
  ipv4PseudoHeaderSum,
} from '@oasis/wire';
import { arpRequest } from '../../examples/three-hosts/frames.ts';
import { NetNamespace, skipUnlessTapAllowed } from './netns.ts';
import { run, skipUnless } from './tools.ts';

const skip = skipUnlessTapAllowed() || skipUnless('ip', 'Debian: apt-get install iproute2');

const NAMESPACE = `oasis-tap-${process.pid}`;
/** Interface names have at most 15 bytes; a pid has at most 7 digits (pid_max ≤ 2^22). */
const TAP_NAME = `otap${process.pid}`;
const SPARE_NAME = `otapx${process.pid}`;
const KERNEL_ADDRESS = '10.77.0.1';
const OUR_ADDRESS = '10.77.0.2';
const KERNEL_IP = 0x0a4d_0001;
const OUR_IP = 0x0a4d_0002;
/** How long to wait for the kernel's answer before failing the test. */
const WAIT_MS = 3000;

/** Ethernet + IPv4 without options: where the kernel's transport headers start. */
const L4 = ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

interface Received {
  readonly data: Uint8Array;
  readonly offload: FrameOffload | undefined;
}

/** Keeps copies of every received frame (the device lends them) and lets tests wait for one. */
class Inbox {
  readonly frames: Received[] = [];
  readonly #waiters = new Set<(frame: Received) => void>();

  readonly handler = (frames: readonly Frame[]): void => {
    for (const frame of frames) {
      const copy = { data: frame.data.slice(), offload: frame.offload };
      this.frames.push(copy);
      for (const waiter of this.#waiters) waiter(copy);
    }
  };

  /** The first frame, received so far or later, that `match` accepts; fails after WAIT_MS. */
  next(what: string, match: (frame: Received) => boolean): Promise<Received> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = (frame: Received): void => {
        if (!match(frame)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${what} from the kernel within ${WAIT_MS} ms`));
      }, WAIT_MS);
      this.#waiters.add(waiter);
    });
  }
}

/** Rejects if `promise` has not settled within WAIT_MS. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The pseudo-header sum between us and the kernel (the sum is the same either way). */
function pseudoHeaderSum(protocol: number, length: number): number {
  return ipv4PseudoHeaderSum(OUR_IP, KERNEL_IP, protocol, length);
}

/** Ethernet + IPv4 from us to the kernel: 20-byte header, DF, TTL 64, header checksum. */
function ipv4Frame(device: TapDevice, protocol: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(L4 + payload.length);
  emitEthernet(
    { destination: device.interfaceMac, source: device.mac, etherType: ETHERTYPE_IPV4, tags: [] },
    frame,
  );
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      identification: 0,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol,
      source: OUR_IP,
      destination: KERNEL_IP,
      options: new Uint8Array(0),
      payloadLength: payload.length,
      checksum: 'compute',
    },
    frame.subarray(ETHERNET_HEADER_LENGTH),
  );
  frame.set(payload, L4);
  return frame;
}

function icmpEcho(identifier: number, sequence: number, data: Uint8Array): Uint8Array {
  const repr = { kind: 'echo-request', checksum: 'compute', identifier, sequence, data } as const;
  const icmp = new Uint8Array(icmpv4Length(repr));
  emitIcmpv4(repr, icmp);
  return icmp;
}

interface TcpFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly options?: Uint8Array;
  readonly payload?: Uint8Array;
}

/** A TCP segment with a 65535-byte window and no checksum yet. */
function tcpSegment(fields: TcpFields): Uint8Array {
  const options = fields.options ?? new Uint8Array(0);
  const payload = fields.payload ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  const tcp = new Uint8Array(headerLength + payload.length);
  writeU16BE(tcp, 0, fields.srcPort);
  writeU16BE(tcp, 2, fields.dstPort);
  writeU32BE(tcp, 4, fields.seq);
  writeU32BE(tcp, 8, fields.ack);
  tcp[12] = (headerLength / 4) << 4;
  tcp[13] = fields.flags;
  writeU16BE(tcp, 14, 0xffff);
  tcp.set(options, 20);
  tcp.set(payload, headerLength);
  return tcp;
}

/** Whether the frame is an IPv4 packet of `protocol` from the kernel's address to ours. */
function fromKernel(frame: Received, protocol: number): boolean {
  const { data } = frame;
  return (
    data.length >= L4 + 8 &&
    readU16BE(data, 12) === ETHERTYPE_IPV4 &&
    data[14] === 0x45 &&
    data[23] === protocol &&
    readU32BE(data, 26) === KERNEL_IP &&
    readU32BE(data, 30) === OUR_IP
  );
}

describe('TapDevice.open refuses bad options before touching the kernel', () => {
  it('throws RangeError for a name longer than 15 bytes, naming the limit', async () => {
    await assert.rejects(TapDevice.open({ name: 'oasis-tap-name-16' }), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /1 to 15/);
      return true;
    });
  });

  it('throws RangeError for an empty name, a "/", an MTU out of range, a multicast MAC', async () => {
    await assert.rejects(TapDevice.open({ name: '' }), RangeError);
    await assert.rejects(TapDevice.open({ name: 'tap/0' }), RangeError);
    await assert.rejects(TapDevice.open({ name: 'tap0', mtu: 67 }), RangeError);
    await assert.rejects(TapDevice.open({ name: 'tap0', mtu: 65_522 }), RangeError);
    await assert.rejects(
      TapDevice.open({ name: 'tap0', mac: Uint8Array.of(1, 0, 0, 0, 0, 1) }),
      RangeError,
    );
  });
});

describe('TapDevice with the kernel at the other end', { skip }, () => {
  const inbox = new Inbox();
  let device: TapDevice | undefined;
  let namespace: NetNamespace | undefined;
  let sentFrames = 0;
  let sentBytes = 0;

  function tap(): TapDevice {
    assert.ok(device !== undefined, 'the device opened');
    return device;
  }

  function send(frames: Frame[]): void {
    tap().send(frames);
    for (const frame of frames) {
      sentFrames++;
      sentBytes += frame.data.length;
    }
  }

  before(async () => {
    device = await TapDevice.open({ name: TAP_NAME, mtu: 1500 });
    device.listen(inbox.handler);
    namespace = new NetNamespace(NAMESPACE);
    // The descriptor stays attached while the interface moves to the namespace.
    run('ip', ['link', 'set', TAP_NAME, 'netns', NAMESPACE]);
    namespace.ip(['addr', 'add', `${KERNEL_ADDRESS}/24`, 'dev', TAP_NAME]);
    namespace.ip(['link', 'set', TAP_NAME, 'up']);
    // So that the kernel's own traffic to us needs no ARP answer from the test.
    const lladdr = formatMac(device.mac);
    namespace.ip([
      'neigh',
      'replace',
      OUR_ADDRESS,
      'lladdr',
      lladdr,
      'dev',
      TAP_NAME,
      'nud',
      'permanent',
    ]);
  });

  after(async () => {
    await device?.close();
    namespace?.delete();
  });

  it('reports the interface it opened: name, MTU, MACs and offloads', () => {
    const [link] = JSON.parse(namespace!.ip(['-j', 'link', 'show', TAP_NAME])) as {
      address: string;
      mtu: number;
    }[];
    assert.equal(tap().name, TAP_NAME);
    assert.equal(tap().mtu, 1500);
    assert.equal(formatMac(tap().interfaceMac), link?.address);
    // Our end has its own locally administered unicast address (IEEE 802 §8.2).
    assert.notEqual(formatMac(tap().mac), link?.address);
    assert.equal(tap().mac[0]! & 0x03, 0x02);
    assert.equal(link?.mtu, 1500);
    assert.deepEqual(tap().offload, { txChecksum: true, rxChecksum: true, tso4: true, tso6: true });
  });

  it(`gets the kernel's ARP reply for ${KERNEL_ADDRESS}`, async () => {
    const mac = tap().mac;
    send([{ data: arpRequest(mac, OUR_IP, KERNEL_IP) }]);
    const reply = await inbox.next(
      'ARP reply',
      ({ data }) =>
        readU16BE(data, 12) === ETHERTYPE_ARP &&
        readU16BE(data, 20) === 2 &&
        readU32BE(data, 28) === KERNEL_IP,
    );
    // RFC 826: sender = the interface (the kernel's side of the link), target = the requester.
    assert.equal(formatMac(reply.data.subarray(22, 28)), formatMac(tap().interfaceMac));
    assert.equal(formatMac(reply.data.subarray(32, 38)), formatMac(mac));
    assert.equal(readU32BE(reply.data, 38), OUR_IP);
    assert.equal(reply.offload, undefined, 'a plain frame: all-zero virtio-net header');
  });

  it('gets an ICMP echo reply carrying our payload', async () => {
    const payload = new TextEncoder().encode('oasis tap device echo');
    send([{ data: ipv4Frame(tap(), IP_PROTOCOL_ICMP, icmpEcho(0x0a51, 7, payload)) }]);
    const reply = await inbox.next(
      'ICMP echo reply',
      (frame) =>
        fromKernel(frame, IP_PROTOCOL_ICMP) &&
        frame.data[L4] === 0 &&
        readU16BE(frame.data, L4 + 4) === 0x0a51,
    );
    const icmp = reply.data.subarray(L4, 14 + readU16BE(reply.data, 16));
    assert.equal(readU16BE(icmp, 6), 7);
    assert.deepEqual(icmp.subarray(8), payload);
    // The kernel computes ICMP checksums itself: the reply is complete and carries no offload.
    assert.equal(internetChecksum(icmp), 0);
    assert.equal(reply.offload, undefined);
  });

  it('receives a UDP datagram from the kernel with its checksum left partial (NEEDS_CSUM)', async () => {
    const port = 7000;
    const message = 'datagram from the namespace';
    namespace!.exec(process.execPath, [
      '-e',
      `const socket = require('node:dgram').createSocket('udp4');
       socket.send(${JSON.stringify(message)}, ${port}, '${OUR_ADDRESS}', (error) => {
         socket.close();
         if (error) { console.error(error.message); process.exitCode = 1; }
       });`,
    ]);
    const frame = await inbox.next(
      'UDP datagram',
      (received) =>
        fromKernel(received, IP_PROTOCOL_UDP) && readU16BE(received.data, L4 + 2) === port,
    );
    const udp = frame.data.subarray(L4, 14 + readU16BE(frame.data, 16));
    assert.equal(new TextDecoder().decode(udp.subarray(8)), message);
    // With TUN_F_CSUM the kernel leaves the UDP checksum for the "device": the field holds the
    // pseudo-header sum, and NEEDS_CSUM says where to sum from and where to store the result.
    assert.deepEqual(frame.offload, { checksumStart: L4, checksumOffset: 6 });
    const finished = internetChecksum(udp);
    const recomputed = udp.slice();
    writeU16BE(recomputed, 6, 0);
    // One's complement addition commutes: the sum is the same whichever address is the source.
    assert.equal(
      finished,
      internetChecksum(recomputed, pseudoHeaderSum(IP_PROTOCOL_UDP, udp.length)),
    );
  });

  it('receives a TCP super-frame (GSO_TCPV4) from the kernel and sends one it takes whole', async () => {
    const port = 7001;
    const ourIss = 0x1000_0000;
    const payload = new Uint8Array(3 * 1460).fill(0x6f);
    const client = namespace!.spawn(process.execPath, [
      '-e',
      `const socket = require('node:net').connect(${port}, '${OUR_ADDRESS}');
       let received = 0;
       socket.on('connect', () => socket.write(Buffer.alloc(64 * 1024, 120)));
       socket.on('data', (chunk) => {
         received += chunk.length;
         if (received >= ${payload.length}) { process.stdout.write(String(received)); process.exit(0); }
       });
       socket.on('error', (error) => { console.error(error.message); process.exit(1); });`,
    ]);
    try {
      const syn = await inbox.next(
        'TCP SYN',
        (frame) =>
          fromKernel(frame, IP_PROTOCOL_TCP) &&
          readU16BE(frame.data, L4 + 2) === port &&
          frame.data[L4 + 13] === TCP_SYN,
      );
      const clientPort = readU16BE(syn.data, L4);
      const clientIsn = readU32BE(syn.data, L4 + 4);
      const synAck = tcpSegment({
        srcPort: port,
        dstPort: clientPort,
        seq: ourIss,
        ack: (clientIsn + 1) >>> 0,
        flags: TCP_SYN | TCP_ACK,
        options: Uint8Array.of(2, 4, 0x05, 0xb4), // MSS 1460 (RFC 9293 §3.7.1)
      });
      writeU16BE(
        synAck,
        16,
        internetChecksum(synAck, pseudoHeaderSum(IP_PROTOCOL_TCP, synAck.length)),
      );
      send([{ data: ipv4Frame(tap(), IP_PROTOCOL_TCP, synAck) }]);

      const superFrame = await inbox.next(
        'TCP super-frame',
        (frame) =>
          fromKernel(frame, IP_PROTOCOL_TCP) &&
          readU16BE(frame.data, L4 + 2) === port &&
          frame.offload?.segmentation !== undefined,
      );
      // The kernel's TCP sends more than one MSS per frame and leaves segmenting to us, with
      // the TCP checksum partial; hdr_len is its linear header part: Ethernet + IPv4 + TCP.
      assert.ok(superFrame.data.length > 14 + tap().mtu, `${superFrame.data.length} bytes`);
      assert.deepEqual(superFrame.offload, {
        checksumStart: L4,
        checksumOffset: 16,
        segmentation: { kind: 'tcp4', segmentSize: 1460, headerLength: L4 + 20 },
      });

      // Three segments' worth in one frame, checksum partial: the kernel takes it whole.
      const data = tcpSegment({
        srcPort: port,
        dstPort: clientPort,
        seq: (ourIss + 1) >>> 0,
        ack: (clientIsn + 1) >>> 0,
        flags: TCP_ACK | TCP_PSH,
        payload,
      });
      writeU16BE(data, 16, foldSum(pseudoHeaderSum(IP_PROTOCOL_TCP, data.length)));
      send([
        {
          data: ipv4Frame(tap(), IP_PROTOCOL_TCP, data),
          offload: {
            checksumStart: L4,
            checksumOffset: 16,
            segmentation: { kind: 'tcp4', segmentSize: 1460, headerLength: L4 + 20 },
          },
        },
      ]);
      assert.equal(
        await within(client.done, 'the client reading our data'),
        String(payload.length),
      );
    } finally {
      client.kill();
      await within(
        client.done.catch(() => ''),
        'the client exiting',
      );
    }
  });

  it('counts what it sent and received, and drops frames it cannot send', () => {
    const before = tap().counters();
    assert.equal(before.txFrames, sentFrames);
    assert.equal(before.txBytes, sentBytes);
    assert.equal(before.txDropped, 0);
    assert.equal(before.rxFrames, inbox.frames.length);
    assert.equal(
      before.rxBytes,
      inbox.frames.reduce((sum, frame) => sum + frame.data.length, 0),
    );
    assert.equal(before.rxDropped, 0);
    const tooLong = ipv4Frame(tap(), IP_PROTOCOL_UDP, new Uint8Array(1481));
    const badOffload = { checksumStart: L4 } as FrameOffload;
    tap().send([
      { data: new Uint8Array(10) },
      { data: tooLong },
      { data: ipv4Frame(tap(), IP_PROTOCOL_UDP, new Uint8Array(8)), offload: badOffload },
    ]);
    const after = tap().counters();
    assert.equal(after.txDropped, 3);
    assert.equal(after.txFrames, before.txFrames);
  });
});

describe('TapDevice lifecycle', { skip }, () => {
  let device: TapDevice | undefined;

  after(async () => {
    await device?.close();
  });

  it('rejects a second open of an interface that is held with EADDRINUSE', async () => {
    device = await TapDevice.open({ name: SPARE_NAME, vnetHeader: false });
    assert.deepEqual(device.offload, {
      txChecksum: false,
      rxChecksum: false,
      tso4: false,
      tso6: false,
    });
    await assert.rejects(TapDevice.open({ name: SPARE_NAME, vnetHeader: false }), (error) => {
      assert.ok(isOasisError(error, 'EADDRINUSE'), String(error));
      assert.match(error.message, /TUNSETIFF/);
      return true;
    });
  });

  it('reports a failure when its interface is deleted, and counts sends as dropped', async () => {
    const tap = device!;
    run('ip', ['link', 'delete', SPARE_NAME]);
    const deadline = Date.now() + WAIT_MS;
    while (tap.failure === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(isOasisError(tap.failure, 'EIO'), 'the failure is an OasisError EIO');
    const frame = new Uint8Array(60);
    tap.send([{ data: frame }]);
    assert.equal(tap.counters().txDropped, 1);
  });

  it('closes twice without harm, and throws ClosedError on send after close', async () => {
    const tap = device!;
    await tap.close();
    await tap.close();
    assert.throws(() => tap.send([{ data: new Uint8Array(60) }]), ClosedError);
  });

  it('rejects with EPERM and says CAP_NET_ADMIN is needed when run without it', {
    skip: skipUnless('setpriv', 'Debian: apt-get install util-linux'),
  }, () => {
    // A child of this root process, with CAP_NET_ADMIN taken out of its bounding set
    // (setpriv(1)): still root for the files it reads, but the kernel refuses TUNSETIFF.
    const script = `import('@oasis/node')
        .then(({ TapDevice }) => TapDevice.open({ name: 'otapnocap' }))
        .then(
          () => console.log('{}'),
          (error) => console.log(JSON.stringify({ code: error.code, message: error.message })),
        );`;
    const dropCapability = ['--bounding-set=-net_admin', '--inh-caps=-net_admin', '--'];
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const child = spawnSync('setpriv', [...dropCapability, ...node], {
      cwd: join(import.meta.dirname, '..', '..'),
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const { code, message } = JSON.parse(child.stdout) as { code?: string; message?: string };
    assert.equal(code, 'EPERM');
    assert.match(message ?? '', /needs CAP_NET_ADMIN/);
  });
});
