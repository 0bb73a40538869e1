// What a worker tells the primary (over the cluster IPC channel).

export interface ListeningMessage {
  type: 'evercycle:listening';
  url: string;
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as ListeningMessage).type === 'evercycle:listening' && typeof (message as ListeningMessage).url === 'string';
}

/** Tell the primary this worker is serving; it logs the one "listening" line for all. */
export function announceListening(url: string): void {
  const message: ListeningMessage = { type: 'evercycle:listening', url };
  process.send?.(message);
}
