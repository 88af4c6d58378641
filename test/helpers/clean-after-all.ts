import { cleanTempDirs } from './synth';

// Every test file's synthesized stacks (tempDir()) are removed once its tests ran, whether or not it asks.
afterAll(cleanTempDirs);
