/** Exit codes follow BSD sysexits(3) where one fits, so systemd and scripts can tell failures apart. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 64,
  /** EX_UNAVAILABLE: hardware or a library the config asks for is not there. */
  unavailable: 69,
  /** EX_SOFTWARE: an internal error (uncaught exception, stalled loop). */
  software: 70,
  /** EX_CONFIG: the configuration is invalid. */
  config: 78,
} as const;
