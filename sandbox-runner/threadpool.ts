/**
 * Imported first by the runner's entry points. Moving a process into a cgroup waits for an RCU
 * grace period (~5–15 ms), and each such write holds one of libuv's threadpool threads (4 by
 * default) meanwhile; with several sessions preparing runs at once the pool would queue every
 * other file operation behind them. The pool is created on first use, so setting its size here,
 * before any asynchronous file operation, takes effect.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
