/**
 * What a protocol adapter gives the jitSso router. Adapters build the Passport strategy with secure
 * defaults and turn the protocol's output into raw claims for `jitProvision`.
 * @module
 */
import type { Request, Response } from 'express';
import type { Strategy } from 'passport';
import type { PresetName } from '../identity/presets.js';
import type { ClaimMap } from '../identity/types.js';
import type { Logger } from '../internal/logger.js';
import type { JitProvisioner } from '../provisioning/jit-provision.js';
import type { ProvisioningOptions } from '../provisioning/policy.js';

/** Protocol facts kept in the session for logout (never tokens or assertions). */
export interface SsoSessionInfo {
  provider: string;
  nameID?: string;
  nameIDFormat?: string;
  sessionIndex?: string;
}

/** A configured identity provider, as `samlProvider()` / `oidcProvider()` return it. */
export interface SsoProvider {
  readonly id: string;
  readonly protocol: 'saml' | 'oidc';
  readonly preset: PresetName;
  readonly claimMap?: ClaimMap;
  readonly provisioning?: ProvisioningOptions;
  /**
   * The provider accepts people from more than one tenant (Entra's multi-tenant endpoints, several
   * allowed tenants): its provisioning policy must then set `unmappedRoles` explicitly.
   */
  readonly multiTenant?: boolean;
  /** Called once by `jitSso()`. */
  mount(context: ProviderMountContext): ProviderRuntime;
}

/** What `jitSso()` hands a provider when mounting it. */
export interface ProviderMountContext {
  provisioner: JitProvisioner;
  logger: Logger;
}

/** What a mounted provider offers the router. */
export interface ProviderRuntime {
  /** The Passport strategy, registered under the provider id on jit-sso's own Passport instance. */
  strategy: Strategy;
  /** HTTP methods the callback route accepts. */
  callbackMethods: ReadonlyArray<'get' | 'post'>;
  /** Largest accepted callback body, in bytes. */
  maxMessageBytes: number;
  /** Refuses a callback request before the strategy runs (size, shape); throws a JitSsoError. */
  precheckCallback?(req: Request): void;
  /** Passport `authenticate` options for starting a login that should come back to `returnTo`. */
  loginOptions(returnTo: string): Record<string, unknown>;
  /**
   * Starts a login itself instead of through Passport (SAML: to bind it to the browser); the router
   * prefers it when present. Answers the request (a redirect) or rejects.
   */
  startLogin?(req: Request, res: Response, returnTo: string): Promise<void>;
  /**
   * Claims the exchange a callback answers before the strategy runs (SAML: the login this browser
   * started, named by RelayState, single use); rejects with a JitSsoError refusal.
   */
  claimCallback?(req: Request): Promise<void>;
  /** The `returnTo` a callback carries (SAML: the bound `returnTo`, or an unsolicited RelayState); unvalidated. */
  callbackReturnTo(req: Request): string | undefined;
  /** SP metadata, when the protocol has it. */
  metadata?(): string;
  /**
   * Where to send the browser to end the IdP session, or `null` when the IdP has no logout. May bind
   * the logout to the browser (`res` sets its cookie) so that only this browser can complete it.
   */
  logoutUrl?(session: SsoSessionInfo, returnTo: string, req: Request, res: Response): Promise<string | null>;
  /**
   * Handles a logout message from the IdP: a LogoutRequest (ends the session only when it names the
   * session's user; `redirectTo` carries the LogoutResponse to the IdP) or a LogoutResponse
   * answering the logout this browser started (`returnTo`, unvalidated, is where the browser goes next).
   */
  handleLogoutMessage?(req: Request, session: SsoSessionInfo | undefined): Promise<{ endSession: boolean; redirectTo?: string; returnTo?: string }>;
}
