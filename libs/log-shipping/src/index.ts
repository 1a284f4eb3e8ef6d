export {
  APP_LOGS_STREAM,
  LOG_SHIPPER_DEFAULTS,
  LogShipper,
  toMessage,
  type LogShipperSettings,
  type LogShipperStats,
} from './log-shipper';
export {
  LOG_SPOOL_MAX_BYTES,
  LOG_SPOOL_NAME,
  LogShippingModule,
  type LogShippingOptions,
} from './log-shipping.module';
