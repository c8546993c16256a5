// The zones one server is authoritative for, found by the longest apex that contains a name.
// A set is immutable: reloading builds a new one and swaps it in whole, so a query is always
// answered from one consistent set of zones.

import type { DnsName } from '../wire/name.ts';
import type { Zone } from './zone.ts';

export class ZoneSet {
  readonly #byApex = new Map<string, Zone>();

  /** Throws RangeError when two zones have the same apex (the caller reports the files). */
  constructor(zones: readonly Zone[]) {
    for (const zone of zones) {
      if (this.#byApex.has(zone.apex.key)) {
        throw new RangeError(`the zone ${zone.apex} is given twice`);
      }
      this.#byApex.set(zone.apex.key, zone);
    }
  }

  /** The zone with the longest apex at or above `name`, if any. */
  find(name: DnsName): Zone | undefined {
    for (let count = name.labels.length; count >= 0; count--) {
      const zone = this.#byApex.get(name.ancestor(count).key);
      if (zone !== undefined) return zone;
    }
    return undefined;
  }

  get zones(): readonly Zone[] {
    return [...this.#byApex.values()];
  }
}
