export { ConsoleModule } from './console.module';
export { consoleConfig, DEFAULT_CONSOLE_APPS, type ConsoleApp } from './console.config';
export type { AppStatus } from './console-apps.client';
