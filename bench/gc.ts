// A full garbage collection in a gateway started with --inspect on loopback, through the
// DevTools protocol (HeapProfiler.collectGarbage): the soak compares the heap that is still
// referenced, not whatever garbage V8 has not got round to collecting (an idle process
// runs no major GC, so without this the old generation reads as it was left by the load).
import { WebSocket } from 'undici';

export async function collectGarbage(inspectorPort: number): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on 127.0.0.1:${inspectorPort}`);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('the inspector connection failed')), { once: true });
    });
    let id = 0;
    const call = (method: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const mine = ++id;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector`)), 10_000);
        const onMessage = (event: { data: unknown }): void => {
          if ((JSON.parse(String(event.data)) as { id?: number }).id !== mine) return;
          ws.removeEventListener('message', onMessage);
          clearTimeout(timer);
          resolve();
        };
        ws.addEventListener('message', onMessage);
        ws.send(JSON.stringify({ id: mine, method }));
      });
    await call('HeapProfiler.enable');
    await call('HeapProfiler.collectGarbage');
  } finally {
    ws.close();
  }
}
