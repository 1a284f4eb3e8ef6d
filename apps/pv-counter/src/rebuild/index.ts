export { RebuildModule } from './rebuild.module';
export { rebuildConfig } from './rebuild.config';
export type { RebuildResult } from './rebuild.service';
