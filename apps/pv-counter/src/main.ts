import 'reflect-metadata';
import { runMain } from '@lib/platform';
import { createPvCounterApp } from './pv-counter.app';

runMain(() => createPvCounterApp(process.env));
