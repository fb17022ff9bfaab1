// Entry point of the spangate CLI (bin/spangate imports the built copy of this file).
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
