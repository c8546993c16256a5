// The outcome of an operation that can fail on bad input. Codecs and parsers return it instead
// of throwing, so a malformed packet is a value the stack can count, never an exception.

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}

/** The value of an Ok; throws the error (wrapped in an Error if it is not one) otherwise. For tests and start-up code. */
export function unwrap<T, E>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  const { error } = result;
  throw error instanceof Error ? error : new Error(`unwrap of an Err: ${String(describe(error))}`);
}

function describe(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) return JSON.stringify(error);
  return error;
}
