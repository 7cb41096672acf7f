#!/usr/bin/env node
/**
 * The `jit-sso` command line.
 *
 *   jit-sso explain --preset entra-saml --claims claims.json [--policy policy.json]
 *                   [--store sqlite:./users.db | --store postgres://…] [--roles Admin,Seller]
 *                   [--provider entra] [--json]
 *
 * Exit codes: 0 explained; 2 bad input (one line on stderr); 1 the store could not be read.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isJitSsoError } from '../errors.js';
import type { PresetName } from '../identity/presets.js';
import type { ProvisioningOptions } from '../provisioning/policy.js';
import { explain, parseClaimsFile, type ExplainInput } from './explain.js';
import { formatExplanation } from './format.js';
import { openReadOnlyStore } from './store-url.js';

const USAGE = `usage: jit-sso explain --preset <preset> --claims <file> [--policy <file>] [--store sqlite:<file>|postgres://…] [--roles A,B] [--provider <id>] [--json]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'explain') throw new UsageError(`unknown command "${command}"`);
  const { values } = parseArgs({
    args: rest,
    options: {
      preset: { type: 'string' },
      claims: { type: 'string' },
      policy: { type: 'string' },
      store: { type: 'string' },
      roles: { type: 'string' },
      provider: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.preset) throw new UsageError('--preset is required');
  if (!values.claims) throw new UsageError('--claims is required');
  const input: ExplainInput = { preset: values.preset as PresetName, claims: parseClaimsFile(readInput(values.claims, '--claims')) };
  if (values.policy) input.policy = readJson(values.policy, '--policy') as ProvisioningOptions;
  if (values.provider) input.provider = values.provider;
  if (values.roles) input.roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  const store = values.store ? await openReadOnlyStore(values.store) : undefined;
  try {
    const explanation = await explain({ ...input, ...(store ? { store: store.store } : {}) });
    process.stdout.write(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatExplanation(explanation)}\n`);
    return 0;
  } finally {
    await store?.close();
  }
}

function readInput(path: string, flag: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function readJson(path: string, flag: string): unknown {
  try {
    return JSON.parse(readInput(path, flag));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag}: ${path} is not valid JSON`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const bad = err instanceof UsageError || (isJitSsoError(err) && err.code !== 'ERR_JIT_SSO_STORE_UNAVAILABLE') || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`jit-sso: ${message.split('\n')[0]}\n`);
    process.exitCode = bad ? 2 : 1;
  },
);
