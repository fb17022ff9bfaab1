export { SpanManager, type SpanManagerOptions, type SpanView, type TdmNative } from './span-manager.js';
export { PriLeg, type PriLegHost, type PriLegOptions, type PriOriginateRequest, type PriPartyView } from './pri-leg.js';
export { loadTdmNative } from './native.js';
export { TdmProvider, partyFor, type TdmProviderOptions } from './provider.js';
export { PriMedia, type TdmApi } from './pri-media.js';
