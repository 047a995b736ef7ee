// Domain errors carry a stable code and a Chinese message, never an HTTP status:
// the transports (api/errors.ts, site pages) map the kind to their own answer.

export type ErrorKind =
  | 'invalid' // bad input
  | 'unauthenticated' // not signed in / bad credentials
  | 'forbidden' // outside the caller's role or scope
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_type'
  | 'invalid_rows'
  | 'throttled';

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** Extra top-level members of the error envelope (e.g. `rows` for invalid_rows). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.extra = extra;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
