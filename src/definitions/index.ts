// Public surface of the definitions module: load + validate API definition files, path
// templates and path-parameter resolution.
export * from './types.js';
export { DefinitionError, PathTemplateError } from './errors.js';
export { compilePathTemplate, pathTemplateProblems } from './template.js';
export { apiNameProblem, definitionProblems, isValidApiName, parseDefinition } from './parse.js';
export { createBodySchemaAjv, bodySchemaProblems, compileBodyValidator, MAX_BODY_ERRORS, type BodyFieldError, type BodyValidator } from './body-schema.js';
export { createDefinitionSet } from './set.js';
export { loadDefinitions } from './load.js';
export { resolveUpstreamPath, type ParamSources, type ResolveResult } from './params.js';
export { LiveDefinitions, difference, type DefinitionsStatus, type ReloadResult } from './live.js';
export { DefinitionCollector, deriveApiName, slugify, type DefinitionFile, type GeneratedDefinition } from './generate.js';
export { definitionsFromMarkdown, type MarkdownOptions, type MarkdownProblem, type MarkdownResult } from './from-markdown.js';
export { definitionsFromOpenApi, OpenApiInputError, UPSTREAM_EXTENSION, type OpenApiProblem, type OpenApiResult } from './from-openapi.js';
