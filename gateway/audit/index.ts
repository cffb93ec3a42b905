export * from './audit-types.js';
