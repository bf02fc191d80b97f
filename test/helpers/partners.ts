/** The default partners, as tests name them. */
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { RateLimitScope } from '../../domain/partner.js';

export const PARTNER_IDS = PARTNER_REGISTRY.ids;
export const partner = (id: string) => PARTNER_REGISTRY.require(id);
export const scopeOf = (id: string): RateLimitScope => partner(id).capabilities.rateLimitScope;
export const capabilitiesOf = (id: string) => partner(id).capabilities;
