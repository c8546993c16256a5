// The blocklists a resolver serves from: files in its file tree and lists fetched over
// HTTP(S), read at start and refreshed periodically and on reload. A source that fails to load
// keeps its last good list (or none), so a flaky list server never unblocks everything at once.

import type { Logger } from '@oasis/core';
import { BlockedNames, type DnsName, parseBlocklist } from '@oasis/dns';
import type { KvRo } from '@oasis/runtime';

export interface BlocklistSourcesOptions {
  readonly tree: KvRo;
  readonly fetchText: (url: string) => Promise<string>;
  readonly logger: Logger;
}

export class BlocklistSources {
  readonly #sources: readonly string[];
  readonly #options: BlocklistSourcesOptions;
  readonly #lists = new Map<string, readonly DnsName[]>();
  #blocked = new BlockedNames([]);

  constructor(sources: readonly string[], options: BlocklistSourcesOptions) {
    this.#sources = sources;
    this.#options = options;
  }

  get current(): BlockedNames {
    return this.#blocked;
  }

  /** Loads every source again; returns how many failed. */
  async refresh(): Promise<number> {
    let failed = 0;
    await Promise.all(
      this.#sources.map(async (source) => {
        try {
          const parsed = parseBlocklist(await this.#read(source));
          this.#lists.set(source, parsed.names);
          this.#options.logger.info('blocklist loaded', {
            source,
            names: parsed.names.length,
            ignoredLines: parsed.ignoredLines,
            badLines: parsed.errors.length,
          });
        } catch (error) {
          failed++;
          this.#options.logger.warn('blocklist not loaded, keeping the previous one', {
            source,
            error,
          });
        }
      }),
    );
    this.#blocked = new BlockedNames([...this.#lists.values()]);
    this.#options.logger.info('blocklists ready', { names: this.#blocked.size, failed });
    return failed;
  }

  async #read(source: string): Promise<string> {
    if (/^https?:\/\//i.test(source)) return this.#options.fetchText(source);
    return new TextDecoder().decode(await this.#options.tree.get(source));
  }
}
