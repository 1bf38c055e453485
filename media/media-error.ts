/** A media operation refused for a reason the client can act on; `code` is machine-readable. */
export class MediaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
