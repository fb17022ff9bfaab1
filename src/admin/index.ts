export { AdminServer, type AdminServerOptions } from './server.js';
export { AdminClient, adminRequest, connectError } from './client.js';
export { AdminMethods, type AdminRegistry, type AdminHandler, type AdminContext, type MethodInfo } from './methods.js';
export { LineSplitter, parseRequest, errorBody, MAX_LINE_BYTES, type AdminRequest, type AdminResponse, type AdminErrorBody } from './protocol.js';
