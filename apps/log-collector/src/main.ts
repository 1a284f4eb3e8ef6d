import 'reflect-metadata';
import { runMain } from '@lib/platform';
import { createLogCollectorApp } from './log-collector.app';

runMain(() => createLogCollectorApp(process.env));
