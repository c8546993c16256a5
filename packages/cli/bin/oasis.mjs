#!/usr/bin/env node
// The `oasis` command. Services and the CLI are TypeScript: tsx loads them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
