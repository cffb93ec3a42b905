import { ACCOUNT_ROUTES, MULTI_SEGMENT_PARAMS, REPOSITORY_ROUTES, type HttpMethod, type RouteDefinition } from './route-table.js';

export interface RouteMatch {
  route: RouteDefinition;
  template: string;
  /** Decoded parameter values; multi-segment ones joined with `/`. */
  params: Record<string, string>;
}

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string; multi: boolean };

interface CompiledRoute {
  route: RouteDefinition;
  segments: Segment[];
  literals: number;
  multis: number;
}

function compile(route: RouteDefinition): CompiledRoute {
  const segments: Segment[] = route.template
    .split('/')
    .slice(1)
    .map((part) => {
      const param = /^\{([a-z_]+)\}$/.exec(part);
      if (param === null) return { kind: 'literal', text: part };
      return { kind: 'param', name: param[1]!, multi: MULTI_SEGMENT_PARAMS.has(param[1]!) };
    });
  return {
    route,
    segments,
    literals: segments.filter((s) => s.kind === 'literal').length,
    multis: segments.filter((s) => s.kind === 'param' && s.multi).length,
  };
}

function matchSegments(pattern: readonly Segment[], path: readonly string[], p: number, s: number, params: Record<string, string>): boolean {
  if (p === pattern.length) return s === path.length;
  const segment = pattern[p]!;
  if (s >= path.length) return false;
  if (segment.kind === 'literal') return segment.text === path[s] && matchSegments(pattern, path, p + 1, s + 1, params);
  if (!segment.multi) {
    params[segment.name] = path[s]!;
    return matchSegments(pattern, path, p + 1, s + 1, params);
  }
  // A multi-segment parameter takes as few segments as leave the rest matchable, longest last.
  const remainingMinimum = pattern.length - p - 1;
  for (let end = path.length - remainingMinimum; end > s; end--) {
    if (matchSegments(pattern, path, p + 1, end, params)) {
      params[segment.name] = path.slice(s, end).join('/');
      return true;
    }
  }
  return false;
}

export class InvalidApiPathError extends Error {
  readonly code = 'API_PATH_INVALID';
  override readonly name = 'InvalidApiPathError';
}

/**
 * The path's segments, percent-decoded. Refuses what could make gitgate and GitHub read a path
 * differently: empty, `.` or `..` segments, and encoded slashes, backslashes or NUL.
 */
export function apiPathSegments(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (!trimmed.startsWith('/')) throw new InvalidApiPathError('the API path must start with /');
  if (trimmed === '/') return [];
  return trimmed
    .split('/')
    .slice(1)
    .map((raw) => {
      let segment: string;
      try {
        segment = decodeURIComponent(raw);
      } catch {
        throw new InvalidApiPathError(`the path segment '${raw}' is not valid percent-encoding`);
      }
      if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
        throw new InvalidApiPathError(`the path segment '${raw}' is not allowed (empty, dot, or an encoded slash)`);
      }
      return segment;
    });
}

/** Matches calls to route templates; the most specific template (most literal segments) wins. */
export class RouteMatcher {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly RouteDefinition[] = [...ACCOUNT_ROUTES, ...REPOSITORY_ROUTES]) {
    this.routes = routes.map(compile);
  }

  match(method: HttpMethod, segments: readonly string[]): RouteMatch | undefined {
    let best: { compiled: CompiledRoute; params: Record<string, string> } | undefined;
    for (const compiled of this.routes) {
      const methods = compiled.route.methods;
      if (!methods.includes(method) && !(method === 'HEAD' && methods.includes('GET'))) continue;
      if (best !== undefined && (compiled.literals < best.compiled.literals || (compiled.literals === best.compiled.literals && compiled.multis >= best.compiled.multis))) continue;
      const params: Record<string, string> = {};
      if (matchSegments(compiled.segments, segments, 0, 0, params)) best = { compiled, params };
    }
    return best === undefined ? undefined : { route: best.compiled.route, template: best.compiled.route.template, params: best.params };
  }
}
