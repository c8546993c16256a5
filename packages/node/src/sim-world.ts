// The world of a `sim` run: one virtual clock and one seed behind everything, a learning switch
// per network of the topology, and on those switches the service's NICs and the clients' stacks.
// It is created empty, because the launcher needs the target (and so the providers that hold
// the world) before the command line is parsed; the target's environment() then loads it from
// the parsed arguments.

import { type ManualClock, SeededRandom } from '@oasis/core';
import { createNetStack, type NetStack } from '@oasis/net';
import {
  type ArgumentValues,
  arg,
  DeviceArgumentError,
  type NetDevice,
  type Opened,
  type TargetEnvironment,
  type UnikernelDefinition,
} from '@oasis/runtime';
import { type LearningSwitch, type LinkConditions, SimNetwork } from '@oasis/sim';
import { PcapFileCapture } from './pcap-file.ts';
import {
  readTopology,
  type SimTopology,
  type SimTopologyClient,
  TopologyError,
} from './sim-topology.ts';
import { SYSTEM_TARGET_ARGS, stderrLogger } from './system-environment.ts';

export const SIM_TARGET_ARGS = {
  topology: arg.string({
    doc: 'the networks, clients and duration, as JSON (default: a network per stack device)',
    placeholder: 'FILE',
  }),
  seed: arg.integer({
    doc: 'the seed of every random decision: the same seed gives the same run',
    default: 1,
    min: 0,
    max: 0xffff_ffff,
  }),
  durationMs: arg.integer({
    doc: "virtual time to run; overrides the topology's durationMs (10000 when neither gives it)",
    min: 1,
  }),
  ...SYSTEM_TARGET_ARGS,
};

interface Loaded {
  readonly values: ArgumentValues;
  readonly topology: SimTopology;
  readonly network: SimNetwork;
  readonly switches: ReadonlyMap<string, LearningSwitch>;
  /** The root of every random stream of the run. */
  readonly random: SeededRandom;
}

interface Attachment {
  /** The NIC's name in the simulated network, unique there. */
  readonly nic: string;
  readonly network: string;
  readonly link: LinkConditions;
  /** Each absent for none (a client has at least one; the service always has IPv4). */
  readonly ipv4?: string | undefined;
  readonly ipv6?: string | undefined;
  /** Names the stack's random stream and its log. */
  readonly source: string;
  readonly pcapPath?: string | undefined;
}

export class SimWorld {
  readonly #serviceName: string;
  readonly #stackDevices: readonly string[];
  #loaded: Loaded | undefined;

  constructor(definition: UnikernelDefinition) {
    this.#serviceName = definition.name;
    this.#stackDevices = Object.entries(definition.devices)
      .filter(([, declaration]) => declaration.kind === 'stack')
      .map(([name]) => name);
  }

  /**
   * Reads the topology and builds the networks. Throws DeviceArgumentError (a usage error) for
   * a topology that cannot be read or is malformed.
   */
  load(values: ArgumentValues): Opened<TargetEnvironment> {
    if (this.#loaded !== undefined) throw new TypeError('a SimWorld is loaded once, for one run');
    const file = values['topology'];
    let topology: SimTopology;
    try {
      topology = readTopology(typeof file === 'string' ? file : undefined, {
        stackDevices: this.#stackDevices,
        durationMs: values['durationMs'] as number | undefined,
      });
    } catch (error) {
      if (!(error instanceof TopologyError)) throw error;
      throw new DeviceArgumentError(`--topology ${String(file)}: ${error.message}`, {
        cause: error,
      });
    }
    const seed = Number(values['seed']);
    const network = new SimNetwork({ seed });
    // Switch names hold a '/', service NICs' a '.', clients' neither: names cannot clash.
    const switches = new Map(
      Object.keys(topology.networks).map((name) => [name, network.addSwitch(`switch/${name}`)]),
    );
    const random = new SeededRandom(seed);
    this.#loaded = { values, topology, network, switches, random };
    const { clock } = network;
    const environment: TargetEnvironment = {
      clock,
      sleep: clock,
      random: random.derive(this.#serviceName),
      logger: stderrLogger(this.#serviceName, values, clock),
    };
    return { value: environment, close: async () => {} };
  }

  /** Whether `load` has run: the clock, topology and stacks exist from then on. */
  get loaded(): boolean {
    return this.#loaded !== undefined;
  }

  get clock(): ManualClock {
    return this.#world.network.clock;
  }

  get topology(): SimTopology {
    return this.#world.topology;
  }

  /** The service's stack on the network of its stack device `device`, recorded to `pcapPath`. */
  serviceStack(device: string, pcapPath?: string): Promise<NetStack> {
    const network = this.#world.topology.networks[device];
    if (network === undefined)
      throw new RangeError(`${device} is not a stack device of the service`);
    return this.#attach({
      nic: `${this.#serviceName}.${device}`,
      network: device,
      ...network,
      source: `${this.#serviceName}.${device}`,
      pcapPath,
    });
  }

  /** A client's stack, on its network. */
  clientStack(client: SimTopologyClient): Promise<NetStack> {
    return this.#attach({ nic: client.name, ...client, source: client.name });
  }

  get #world(): Loaded {
    if (this.#loaded === undefined) throw new TypeError('the SimWorld is not loaded yet');
    return this.#loaded;
  }

  async #attach(attachment: Attachment): Promise<NetStack> {
    const { network, switches, random, values } = this.#world;
    const nic = network.addNic(attachment.nic);
    network.connect(nic, switches.get(attachment.network) as LearningSwitch, {
      conditions: attachment.link,
    });
    const { clock } = network;
    const device: NetDevice =
      attachment.pcapPath === undefined
        ? nic
        : PcapFileCapture.open(nic, clock, attachment.pcapPath, { resolution: 'ns' });
    const { ipv4, ipv6 } = attachment;
    try {
      return await createNetStack({
        interfaces: [
          {
            device,
            ipv4: ipv4 === undefined ? [] : [ipv4],
            ...(ipv6 === undefined ? {} : { ipv6: { addresses: [ipv6] } }),
          },
        ],
        clock,
        sleep: clock,
        random: random.derive(attachment.source),
        logger: stderrLogger(attachment.source, values, clock),
        // Every address in a topology is meant to be free; probing would only delay the start.
        probeAddresses: false,
        // The same for IPv6: DupAddrDetectTransmits 0 turns duplicate address detection off
        // (RFC 4862 §5.4), and the addresses are usable at once, at 0 ms. With DAD, `ready`
        // (awaited here) takes 1 s of virtual time: the service would start late, and the
        // clients, created before virtual time runs, would wait for ever.
        dadTransmits: 0,
      });
    } catch (error) {
      await device.close();
      throw error;
    }
  }
}
