import { runScale, formatScale } from './suites/scale.mjs';
const ctx = { quick: true, results: {} };
console.log(formatScale(await runScale(ctx)));
