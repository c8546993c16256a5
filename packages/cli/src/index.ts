// @oasis/cli: the `oasis` command (bin/oasis.mjs). `oasis build <dir> --target T` generates the
// entry point that wires a service's declared devices to the target's implementations and
// bundles it with esbuild into one tree-shaken file; `oasis run` rebuilds when stale and runs
// the bundle; `oasis list` shows the services. Node-only.

export { type BuildOptions, type BuildReport, build, bundlePath, staleReason } from './build.ts';
export { main } from './main.ts';
export { TARGETS, type TargetName } from './targets.ts';
