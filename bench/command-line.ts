// What every benchmark's command line shares: its arguments as npm hands them over, mistakes as
// one line and exit code 64, and integer options checked against their range.

/** The arguments after the script; `npm run bench -- NAME -- --rounds 3` leaves a leading '--'. */
export function benchArguments(): string[] {
  return process.argv.slice(process.argv[2] === '--' ? 3 : 2);
}

/** A mistake on the command line of benchmark `bench`: one line, exit code 64. */
export function usageError(bench: string, message: string): never {
  console.error(`${bench}: ${message}`);
  process.exit(64);
}

/** `text` as an integer in min..max, or a usage error naming `flag`. */
export function integerOption(
  bench: string,
  text: string,
  flag: string,
  min: number,
  max: number,
): number {
  const value = Number(text);
  if (!(/^\d+$/.test(text) && value >= min && value <= max)) {
    usageError(bench, `${flag} takes an integer in ${min}..${max}, got '${text}'`);
  }
  return value;
}
