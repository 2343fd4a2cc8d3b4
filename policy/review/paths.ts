/**
 * Property paths the way Pulumi writes them in `detailedDiff` keys and `gantry diff` rows:
 * `resource.PropertyPath.String()` in pulumi/pulumi sdk/go/common/resource/properties_path.go.
 * A key made only of `[A-Za-z0-9_]` is written bare (`.name`), any other key quoted
 * (`tags["gantry:app"]`, `data["app.properties"]`, a `"` inside escaped as `\"`), an array index as
 * `[0]`. Parsing follows the engine's loose reader: a bare name runs to the next `.` or `[`.
 */

export type PathSegment = string | number;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const [i, s] of segments.entries()) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z0-9_]+$/.test(s)) out += i === 0 ? s : `.${s}`;
    else out += `["${s.replace(/"/g, '\\"')}"]`;
  }
  return out;
}

/** The segments of a path; null when it is not one Pulumi could have written. */
export function parsePath(path: string): PathSegment[] | null {
  const out: PathSegment[] = [];
  let i = 0;
  if (path.startsWith(".")) return null;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      i++;
      if (i === path.length) return null;
      continue;
    }
    if (c === "[") {
      if (path[i + 1] === '"') {
        let key = "";
        let j = i + 2;
        for (;;) {
          if (j >= path.length) return null;
          if (path[j] === '"') break;
          if (path[j] === "\\" && path[j + 1] === '"') {
            key += '"';
            j += 2;
          } else key += path[j++];
        }
        if (path[j + 1] !== "]") return null;
        out.push(key);
        i = j + 2;
      } else {
        const close = path.indexOf("]", i);
        if (close < 0) return null;
        const inner = path.slice(i + 1, close);
        if (inner === "*") out.push("*");
        else if (/^\d+$/.test(inner)) out.push(Number(inner));
        else return null;
        i = close + 1;
      }
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

/** Does `prefix` lead to `path` (or equal it)? `*` matches any one segment. */
export function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((s, i) => s === "*" || path[i] === "*" || s === path[i]);
}

/** Either path leads to the other: they describe the same change at different depths. */
export function overlaps(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return isPrefix(a, b) || isPrefix(b, a);
}

/**
 * The value at a path, walking into JSON documents held in strings (an IAM policy, ECS container
 * definitions) the way `gantry diff` rows do. `secret` is true when the path crosses a value the
 * engine masked as "[secret]" (a secret object hides everything under it).
 */
export function valueAt(root: unknown, path: readonly PathSegment[], parseDocument: (v: unknown) => unknown): { value: unknown; secret: boolean } {
  let cur: unknown = root;
  for (const s of path) {
    if (cur === "[secret]") return { value: "[secret]", secret: true };
    const doc = parseDocument(cur);
    if (doc !== undefined) cur = doc;
    if (cur === null || typeof cur !== "object") return { value: undefined, secret: false };
    cur = Array.isArray(cur) ? (typeof s === "number" ? cur[s] : undefined) : (cur as Record<string, unknown>)[String(s)];
  }
  return { value: cur, secret: cur === "[secret]" };
}
