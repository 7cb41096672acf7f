import { parentPort, workerData } from 'node:worker_threads';
import { createTestSamlIdp } from 'jit-sso/testing';
import { CALLBACK_URL, IDP_ISSUER, SP_ENTITY_ID } from './common.mjs';

const { keys, users, notOnOrAfter } = workerData;
const idp = await createTestSamlIdp({ users: [], issuer: IDP_ISSUER, preset: 'entra-saml', keys });
const out = users.map((user) => idp.createResponse({ user, acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, notOnOrAfter: new Date(notOnOrAfter) }).base64);
parentPort.postMessage(out);
