// The immutable registry of loaded definitions.
import { DefinitionError } from './errors.js';
import type { ApiDefinition, DefinitionSet } from './types.js';

/**
 * A DefinitionSet over already-validated definitions (from parseDefinition). Lookups go to a
 * private Map only, so a name taken from a URL never reaches the file system and never finds
 * inherited properties (`__proto__`, `constructor`). Throws DefinitionError on a duplicate name.
 */
export function createDefinitionSet(definitions: Iterable<ApiDefinition>): DefinitionSet {
  const byName = new Map<string, ApiDefinition>();
  for (const def of definitions) {
    if (byName.has(def.name)) {
      throw new DefinitionError([{ file: `${def.name}.json`, message: `duplicate API name "${def.name}"` }]);
    }
    byName.set(def.name, def);
  }
  const sorted: readonly ApiDefinition[] = Object.freeze([...byName.values()].sort((a, b) => compareNames(a.name, b.name)));
  return Object.freeze({
    get: (name: string) => (typeof name === 'string' ? byName.get(name) : undefined),
    list: () => sorted,
  });
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
