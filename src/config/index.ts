// The config module's public face: everything else imports from here.
export { schema, type SpangateConfig } from './schema.js';
export type { KeySpec, SchemaSection } from './schema/key.js';
export { LOG_LEVELS, type LogLevel } from './formats.js';
export { listKeys, lookup, deepFreeze, getPath, type KeyInfo } from './keys.js';
export {
  loadConfig, loadConfigObject, defaultConfig, readConfigFile, defaultConfigFile, resolveConfigFile, processEnv,
  DEFAULT_CONFIG_FILE, type Env, type LoadOptions,
} from './load.js';
export { diffConfigs, redact, applyReloadable, REDACTED, type Change } from './diff.js';
export { exampleConfigJson, configReferenceMarkdown } from './example.js';
export { setConfigKey, unsetConfigKey, listHistory, historyDir, writeAtomic, HISTORY_KEEP, type SetResult } from './edit.js';
export { validateCrossKeys, type Problem } from './rules.js';
export { checkSchema } from './validate.js';
