import { runRequests, formatRequests } from './suites/requests.mjs';
const ctx = { quick: true, results: {} };
console.log(formatRequests(await runRequests(ctx)));
