export { SalesModule } from './sales.module';
export { PopularProductsModule } from './popular-products.module';
export { popularProductsConfig, DEFAULT_POPULAR_PRODUCTS_CRON } from './popular-products.config';
export { PopularProductsExport, type ExportResult } from './popular-products.export';
export {
  POPULAR_PRODUCTS_STREAM,
  type PopularProduct,
  type PopularProductsMessage,
  type PopularProductsSnapshot,
} from './popular-products.snapshot';
