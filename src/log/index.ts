export { LogManager, LogSubsystem, type Logger, type LogSettings, type LogDestination } from './logger.js';
