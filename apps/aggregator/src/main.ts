import 'reflect-metadata';
import { runMain } from '@lib/platform';
import { createAggregatorApp } from './aggregator.app';

runMain(() => createAggregatorApp(process.env));
