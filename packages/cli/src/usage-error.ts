// A mistake on the command line: reported as one line, exit code 64 (EX_USAGE).

export class UsageError extends Error {
  override get name(): string {
    return 'UsageError';
  }
}
