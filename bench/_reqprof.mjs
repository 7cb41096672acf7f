import { enableProfiles } from './lib/child.mjs';
import { runRequests, formatRequests } from './suites/requests.mjs';
enableProfiles('req');
const ctx = { quick: true, results: {} };
console.log(formatRequests(await runRequests(ctx)));
