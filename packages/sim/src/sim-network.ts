// A whole simulated network in one process: NICs, learning switches and the links between them,
// all driven by one manual clock and one seed. Each link direction draws from its own random
// stream derived from the seed and the link's name, so a run is reproducible from the seed, and
// adding a link leaves what the others do unchanged.

import { ManualClock, SeededRandom } from '@oasis/core';
import { LearningSwitch, type LearningSwitchOptions } from './learning-switch.ts';
import { Link, type LinkEnd, type LinkOptions } from './link.ts';
import { SimNic } from './sim-nic.ts';

export interface SimNetworkOptions {
  /** The seed of every random decision (default 1). */
  readonly seed?: number;
  /** The clock that drives the network (default: a new ManualClock reading 0). */
  readonly clock?: ManualClock;
}

export interface NicOptions {
  /** Default: 02:00:00:00:xx:yy from the NIC's number, locally administered (IEEE 802 §8.2). */
  readonly mac?: Uint8Array;
  /** Default 1500. */
  readonly mtu?: number;
  /** Pass up every frame, not only those for this NIC's MAC, broadcast and multicast. */
  readonly promiscuous?: boolean;
}

/** 2026-01-01T00:00:00Z: the wall-clock reading of a new network's clock, so captures look current. */
const DEFAULT_WALL_START_MS = Date.UTC(2026, 0, 1);

export class SimNetwork {
  readonly clock: ManualClock;
  readonly seed: number;
  readonly #random: SeededRandom;
  readonly #names = new Set<string>();
  readonly #links: Link[] = [];
  #nicCount = 0;

  constructor(options: SimNetworkOptions = {}) {
    this.seed = options.seed ?? 1;
    this.clock = options.clock ?? new ManualClock({ wallStartMs: DEFAULT_WALL_START_MS });
    this.#random = new SeededRandom(this.seed);
  }

  get links(): readonly Link[] {
    return this.#links;
  }

  addNic(name: string, options: NicOptions = {}): SimNic {
    this.#claim(name);
    const number = ++this.#nicCount;
    const mac = options.mac ?? Uint8Array.of(0x02, 0, 0, 0, number >>> 8, number & 0xff);
    return new SimNic(name, mac, options.mtu ?? 1500, options.promiscuous ?? false);
  }

  addSwitch(name: string, options: LearningSwitchOptions = {}): LearningSwitch {
    this.#claim(name);
    return new LearningSwitch(name, this.clock, options);
  }

  /** Cables `a` to `b` (a NIC to a NIC or a switch, a switch to a switch). */
  connect(a: LinkEnd, b: LinkEnd, options: LinkOptions = {}): Link {
    const name = `${a.name}<->${b.name}`;
    const random = {
      aToB: this.#random.derive(`${name}:ab`),
      bToA: this.#random.derive(`${name}:ba`),
    };
    const link = new Link(this.clock, random, a, b, options);
    this.#links.push(link);
    return link;
  }

  /** Runs the clock forward by `durationMs`, delivering every frame that arrives meanwhile. */
  run(durationMs: number): void {
    this.clock.advance(durationMs);
  }

  /** Runs until nothing is in flight and no timer is pending. */
  runUntilIdle(): void {
    this.clock.runUntilIdle();
  }

  #claim(name: string): void {
    if (this.#names.has(name))
      throw new RangeError(`the network already has a device named '${name}'`);
    this.#names.add(name);
  }
}
