import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { parseSnapshotParams } from './popular-products.params';
import type { PopularProductsSnapshot } from './popular-products.snapshot';
import { PopularProductsStore } from './popular-products.store';

/** `GET /v1/stores/:storeId/popular-products?date=` (docs/contract.md): the stored snapshot. */
@Controller('v1/stores')
export class PopularProductsController {
  constructor(private readonly store: PopularProductsStore) {}

  /** The store's snapshot of the day (default today, UTC) as last exported; 404 before the first export. */
  @Get(':storeId/popular-products')
  async ofStore(
    @Param() path: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
  ): Promise<PopularProductsSnapshot> {
    const { storeId, date } = parseSnapshotParams(path, query);
    const snapshot = await this.store.find(storeId, date);
    if (snapshot === undefined)
      throw new NotFoundException(
        `no popular-products snapshot for store ${storeId} on ${date}: the export has not run for that day since the store's first sale`,
      );
    return {
      storeId: snapshot.storeId,
      date: snapshot.date,
      generatedAt: snapshot.generatedAt,
      products: snapshot.products,
    };
  }
}
