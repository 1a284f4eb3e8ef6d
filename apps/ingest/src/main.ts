import 'reflect-metadata';
import { runMain } from '@lib/platform';
import { createIngestApp } from './ingest.app';

runMain(() => createIngestApp(process.env));
