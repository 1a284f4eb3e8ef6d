export { ConfigError, isConfigError, isStartupRefusal, StartupRefusal } from './config.errors';
export { APP_NAME, ENV } from './config.constants';
export { ConfigModule } from './config.module';
export { FILE_SUFFIX, parseConfig, type Env } from './parse-config';
export { displayValue, isSecretVariable, maskUrlPassword } from './secret-values';
export {
  defineConfig,
  validateConfigs,
  type ConfigDefinition,
  type ConfigOf,
} from './define-config';
export { booleanVar, enumVar, intVar, listVar, portVar, urlVar } from './env-types';
export { isMatchingKeyPair, pemFileVar } from './pem-file-var';
export { errorChain, tlsRefusalOf, type TlsRefusal } from './certificate-errors';
