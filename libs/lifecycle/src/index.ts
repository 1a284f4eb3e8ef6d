export { LifecycleModule } from './lifecycle.module';
export { lifecycleConfig } from './lifecycle.config';
export { ShutdownPhase } from './shutdown-phase';
export {
  ShutdownCoordinator,
  type ShutdownOutcome,
  type ShutdownParticipant,
} from './shutdown.coordinator';
export { ReadinessRegistry, type ReadinessCheck } from './readiness.registry';
export { StartupStatus } from './startup-status';
export { READINESS_DEPENDENCY_UP } from './readiness.metrics';
export { StatusRegistry, type StatusSection } from './status.registry';
