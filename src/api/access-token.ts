/**
 * The Web UI can pass its signed-in user's access token to the codec endpoint
 * (TEMPORAL_CODEC_PASS_ACCESS_TOKEN). We accept it when it is a JWT signed by a key of the
 * configured JWKS, not expired, and — when configured — from the expected issuer and for the
 * expected audience.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface AccessTokenVerifierConfig {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
}

export type AccessTokenVerifier = (token: string) => Promise<boolean>;

export function accessTokenVerifier(c: AccessTokenVerifierConfig): AccessTokenVerifier {
  const keys = createRemoteJWKSet(new URL(c.jwksUrl));
  return async (token) => {
    try {
      await jwtVerify(token, keys, {
        ...(c.issuer ? { issuer: c.issuer } : {}),
        ...(c.audience ? { audience: c.audience } : {}),
      });
      return true;
    } catch {
      return false;
    }
  };
}
