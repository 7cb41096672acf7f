/**
 * The logger jit-sso writes to: pino-compatible (`logger.warn(obj, msg)`), so a pino or bunyan
 * instance can be passed as is. Nothing jit-sso logs contains assertions, tokens or secrets.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The default: warnings and errors to the console, the rest dropped. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    console.warn(`[jit-sso] ${msg ?? ''}`, obj);
  },
  error(obj, msg) {
    console.error(`[jit-sso] ${msg ?? ''}`, obj);
  },
};

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
