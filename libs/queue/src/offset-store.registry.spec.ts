import { OffsetStore, type StoredOffset } from './offset-store';
import { OffsetStoreRegistry } from './offset-store.registry';
import { QueueError } from './queue.errors';

class Store extends OffsetStore {
  async load(): Promise<StoredOffset[]> {
    return [];
  }

  async save(): Promise<void> {}
}

describe('OffsetStoreRegistry', () => {
  it('holds no store until one registers, then that store', () => {
    const registry = new OffsetStoreRegistry();
    expect(registry.store).toBeUndefined();
    const store = new Store();
    registry.register(store);
    registry.register(store); // the same module object imported twice registers twice
    expect(registry.store).toBe(store);
  });

  it('refuses a second, different store: two offset ledgers would fence each other', () => {
    const registry = new OffsetStoreRegistry();
    const first = new Store();
    registry.register(first);
    expect(() => registry.register(new Store())).toThrow(QueueError);
    expect(registry.store).toBe(first);
  });
});
