/**
 * How much more time this machine needs than the build host: 1 on a host, 10 inside the
 * cgroup-v2 VM (`SOCKET_WORKBOOK_VM=1`, software emulation, where a Python start takes 0.6 s
 * instead of 15 ms and a Node start 0.4 s instead of 40 ms). It multiplies time *allowances*
 * (health answers within, quiet periods, wall times a test does not mean to reach), never a
 * limit that a test expects a program to hit.
 */
export const SLOWDOWN = process.env.SOCKET_WORKBOOK_VM ? 10 : 1;

/** A time allowance for this machine: `ms` on a host, `ms * SLOWDOWN` in the VM. */
export const allowanceMs = (ms: number): number => ms * SLOWDOWN;
