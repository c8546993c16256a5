// The `sim` target: the service on a simulated network with simulated clients, in virtual time.
// `simulate` starts the service (driving virtual time, since starting may wait on timers), starts
// the clients, runs the topology's duration, stops the service and reports one outcome line per
// client action. `runSimMain` is the process around it, with runMain's conventions: a usage
// mistake is one line and exit 64, `--help` prints the options, a failure to start exits 1; then
// the lines and a summary go to stdout, and the exit code says whether every expectation held.

import {
  type ArgumentValues,
  type DeviceProviders,
  type RunningUnikernel,
  type Target,
  type UnikernelDefinition,
  UnikernelLauncher,
} from '@oasis/runtime';
import { runVirtualTime, settleInVirtualTime } from '@oasis/sim';
import { EXIT_FAILURE, exitStartFailure, parseCommandLine } from './run-main.ts';
import { type OutcomeStatus, outcomeLines, startClients } from './sim-clients.ts';
import { SIM_TARGET_ARGS, SimWorld } from './sim-world.ts';

export interface SimulationReport {
  /** One line per client action, in the order the actions started. */
  readonly lines: readonly string[];
  readonly actions: number;
  readonly ok: number;
  readonly failed: number;
  /** UDP exchanges without an `expect` that got no reply: reported, neither ok nor failed. */
  readonly unchecked: number;
  /** Virtual time simulated. */
  readonly virtualMs: number;
  /** Real time it took, start and stop included. */
  readonly wallMs: number;
}

/** Lets the callbacks that a timer set off run: promise reactions and the I/O they queue. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The launcher of `definition` on the sim target, with the world it runs in (not loaded yet). */
export function simLauncher(
  definition: UnikernelDefinition,
  makeProviders: (world: SimWorld) => DeviceProviders,
): { readonly launcher: UnikernelLauncher; readonly world: SimWorld } {
  const world = new SimWorld(definition);
  const target: Target = {
    name: 'sim',
    args: SIM_TARGET_ARGS,
    environment: async (_serviceName, values) => world.load(values),
    providers: makeProviders(world),
  };
  return { launcher: new UnikernelLauncher(definition, target), world };
}

/**
 * Runs one simulation with the launcher's parsed argument `values`. Rejects when the service
 * cannot start: with DeviceArgumentError for a malformed topology or device argument.
 */
export async function simulate(
  launcher: UnikernelLauncher,
  world: SimWorld,
  values: ArgumentValues,
): Promise<SimulationReport> {
  const wallStartMs = performance.now();
  const running = await startInVirtualTime(launcher, world, values);
  const { clock } = world;
  const { durationMs } = world.topology;
  const clients = await startClients(world);
  await runVirtualTime(clock, { untilMs: durationMs, settle });
  const virtualMs = clock.nowMs();
  const outcomes = await clients.finish();
  const stopping = running.stop();
  // Stopping may wait on timers too (flows given time to close): the same budget again.
  if (!(await settleInVirtualTime(clock, stopping, { untilMs: virtualMs + durationMs, settle }))) {
    running.environment.logger.warn('the service did not stop', { withinMs: durationMs });
  }
  const count = (status: OutcomeStatus): number =>
    outcomes.filter((outcome) => outcome.status === status).length;
  return {
    lines: outcomeLines(outcomes),
    actions: outcomes.length,
    ok: count('ok'),
    failed: count('failed'),
    unchecked: count('unchecked'),
    virtualMs,
    wallMs: performance.now() - wallStartMs,
  };
}

/** `sim: 3 actions, 3 ok, 0 failed; 5000 ms of virtual time in 41 ms`. */
export function summaryLine(report: SimulationReport): string {
  const unchecked = report.unchecked === 0 ? '' : `, ${report.unchecked} unchecked`;
  return (
    `sim: ${report.actions} actions, ${report.ok} ok, ${report.failed} failed${unchecked}; ` +
    `${report.virtualMs} ms of virtual time in ${Math.round(report.wallMs)} ms`
  );
}

export async function runSimMain(
  definition: UnikernelDefinition,
  makeProviders: (world: SimWorld) => DeviceProviders,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const { launcher, world } = simLauncher(definition, makeProviders);
  const values = parseCommandLine(launcher, argv);
  if (values === undefined) return;
  let report: SimulationReport;
  try {
    report = await simulate(launcher, world, values);
  } catch (error) {
    return exitStartFailure(definition.name, error);
  }
  process.stdout.write(`${[...report.lines, summaryLine(report)].join('\n')}\n`);
  process.exit(report.failed === 0 ? 0 : EXIT_FAILURE);
}

async function startInVirtualTime(
  launcher: UnikernelLauncher,
  world: SimWorld,
  values: ArgumentValues,
): Promise<RunningUnikernel> {
  const starting = launcher.start(values);
  // The target's environment(), start's first step, loads the world before start returns; if
  // the world is not loaded, loading threw (a malformed topology) and `starting` rejects.
  if (!world.loaded) return starting;
  const { durationMs } = world.topology;
  if (!(await settleInVirtualTime(world.clock, starting, { untilMs: durationMs, settle }))) {
    throw new Error(`the service did not start within ${durationMs} ms of virtual time`);
  }
  return starting;
}
