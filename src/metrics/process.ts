// Process metrics (CPU, memory, heap, event loop, GC, handles): prom-client's default set.
//
// The one piece of module-level state in the metrics, on purpose. These values describe
// the process, not a gateway: two gateways in one process rightly report the same ones.
// And collectDefaultMetrics cannot be undone: every call starts a GC PerformanceObserver
// and an event-loop delay monitor (a 10 ms timer) that prom-client 15 never stops and
// gives no handle to (measured: some 15 KB of heap and 0.1 ms of CPU per second for each
// call, kept after its registry is gone). So they are collected once per process, in a
// registry of their own that every gateway's registry is merged with.
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
