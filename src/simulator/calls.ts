// Per-endpoint request counters, keyed "METHOD /route/pattern" (e.g. "GET /v1/asset/:id").
// A request counts once it has been routed, whatever the answer (401, 400, 404 included).

export class CallCounter {
  private readonly counts = new Map<string, number>();

  hit(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
  }
}
