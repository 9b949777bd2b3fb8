/** Raised by every backend when a unique key (account id, login name, app key…) already exists. */
export class DuplicateError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'DuplicateError';
  }
}
